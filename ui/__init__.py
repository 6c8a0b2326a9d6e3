"""The Gradio app's tabs, one module each. They render what the services return and send
the human's decisions back; they build no prompt and call no model."""
