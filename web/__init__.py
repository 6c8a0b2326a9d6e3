"""Ressenti's one process, one port: the app's page, its sign-in, the HTTP API, `/healthz`.

`web.app.create_app(workspace)` builds the FastAPI application: the sign-in page and the
session cookie (`web.signin`), the HTTP API under `/api/v1/` (`web.api`), `/healthz`, and
the Gradio app mounted at `/` behind the session (`ui.shell.mount`). `web.serve` runs it
with uvicorn (`ressenti app`, `make run`).
"""
