"""The Gradio app: its shell (`shell`) and its tabs, one module each. They render what the
services return and send the human's decisions back; they build no prompt and call no model.
"""

import os

# Self-hosted means no calls home: Gradio's usage analytics stay off unless asked for.
# Set here, before any module of this package imports Gradio.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
