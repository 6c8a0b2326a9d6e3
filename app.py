"""Ressenti's app: `python app.py` (or `ressenti app`) starts it.

One process, one port (`web/`): the sign-in page, the HTTP API under `/api/v1/`,
`/healthz`, and the Gradio app (`ui/shell.py`, one module of `ui/` per tab) behind the
session. The app is an adapter over the services: it renders and sends, nothing more; no
prompt is built and no model is called there.
"""

from __future__ import annotations

from web.app import create_app
from web.serve import main

__all__ = ["create_app", "main"]

if __name__ == "__main__":
    main()
