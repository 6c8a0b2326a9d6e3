"""Ressenti's Gradio app: `python app.py` (or `ressenti app`) starts it.

The app is an adapter over the services: it renders and sends, nothing more. Its shell
(sign-in, language, the tabs each role opens) is `ui/shell.py`; each tab is a module of
`ui/`. No prompt is built and no model is called there: the services do that.
"""

from __future__ import annotations

from ui.shell import build, launch, main

__all__ = ["build", "launch", "main"]

if __name__ == "__main__":
    main()
