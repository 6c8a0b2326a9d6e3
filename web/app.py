"""The one FastAPI application: sign-in, `/healthz`, the HTTP API, the app's page.

- `/signin`, `/signout`, `/auth/session`: the sign-in page and the session cookie
  (`web/signin.py`), for anyone;
- `/healthz`: the process answers, and its database too, for anyone;
- `/api/v1/…`: the HTTP API, its OpenAPI document and docs page (`web/api/`), for bearer
  tokens;
- `/embed/chatwoot` and `/embed/api/…`: the Chatwoot Dashboard App page and its calls
  (`web/embed.py`), for a session token the page holds in memory;
- `/` and `/gradio_api/…`: the Gradio app (`ui/shell.py`): page, config, queue, uploads,
  files, for a live session.

The page itself (`GET /`) sends a browser without a live session to `/signin`; every other
route of the Gradio app answers 401 to it (Gradio's `auth_dependency`). Gradio's
`/gradio_api/startup-events`, which it leaves open and which would start a second copy of
its queue's loops when called, answers 404: the application runs those events itself when
it starts.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from agents.services.sessions import SESSION_COOKIE, SessionStore
from agents.services.workspace import Workspace
from ui.shell import mount
from web.api.app import create_api
from web.embed import embed_router
from web.signin import signin_router

CLOSED_GRADIO_ROUTES = frozenset({"/gradio_api/startup-events", "/gradio_api/startup-events/"})
"""Routes Gradio serves to anyone that this application never needs."""


class SignInFirst:
    """Sends a browser that asks for the app's page without a live session to `/signin`,
    and closes `CLOSED_GRADIO_ROUTES` (plain ASGI, so the app's event streams pass through
    untouched)."""

    def __init__(self, app: ASGIApp, sessions: SessionStore, page: str = "/") -> None:
        self.app = app
        self.sessions = sessions
        self.page = page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in CLOSED_GRADIO_ROUTES:
            await JSONResponse({"detail": "Not Found"}, status_code=404)(scope, receive, send)
            return
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and scope["path"] == self.page
        ):
            token = Request(scope).cookies.get(SESSION_COOKIE)
            signed = await run_in_threadpool(self.sessions.resolve, token)
            if signed is None:
                root = scope.get("root_path", "")
                await RedirectResponse(f"{root}/signin", status_code=303)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(ws: Workspace) -> FastAPI:
    """Ressenti over one workspace, as one ASGI application."""
    app = FastAPI(title="Ressenti", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.workspace = ws

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        try:
            with ws.store.reading() as session:
                session.execute(text("SELECT 1"))
        except Exception as exc:  # any failure of the database means "not healthy"
            return JSONResponse(
                {"status": "unhealthy", "database": type(exc).__name__}, status_code=503
            )
        return JSONResponse({"status": "ok", "database": "ok"})

    app.include_router(signin_router(ws))
    app.mount("/api/v1", create_api(ws))
    app.include_router(embed_router(ws))

    async def user_of(request: Request) -> str | None:
        """The signed-in caller of a request to the Gradio app (None: 401)."""
        token = request.cookies.get(SESSION_COOKIE)
        signed = await run_in_threadpool(ws.sessions.resolve, token, touch=False)
        return signed.account.email if signed else None

    app.state.page = mount(app, ws, user_of=user_of, path="/")
    app.add_middleware(SignInFirst, sessions=ws.sessions)
    return app
