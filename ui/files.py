"""Files the app offers (evaluation figures, comparison figures, campaign exports), served
from the data folder by one route that checks the session and the role.

Gradio serves a file only from its allowed paths (its cache, the system's temporary
directory, `allowed_paths`): a default install keeps its data under
`~/.local/share/ressenti`, so an evaluation figure or an export handed to a Gradio
component shows "Error" there. Widening Gradio's allowed paths would also let any
signed-in account fetch any of those files through `/gradio_api/file=`. This route serves
only the data folder's served subfolders, each to the roles whose tab offers it; the page
links to it (`file_url`) with plain HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse

from agents.services.accounts import Tab
from agents.services.sessions import SESSION_COOKIE
from agents.services.workspace import Workspace

ROUTE = "files"
"""The route's first segment (relative to the page: the page links `files/<area>/<path>`)."""


@dataclass(frozen=True)
class ServedArea:
    folder: str
    """The subfolder of the data folder."""
    tab: Tab
    """Who may fetch its files: the accounts that may open this tab."""
    download: bool
    """Sent as an attachment (a download) rather than shown in the page."""


AREAS: dict[str, ServedArea] = {
    "evaluations": ServedArea("evals/runs", "evaluations", download=False),
    "exports": ServedArea("exports", "studio", download=True),
}
SUFFIXES = {".png", ".zip"}
"""Only figures and export archives are ever linked from the page."""


def file_url(ws: Workspace, area: str, path: Path) -> str | None:
    """The page's link to `path` (None when it lies outside the area's folder)."""
    base = (ws.settings.data_dir / AREAS[area].folder).resolve()
    try:
        relative = path.resolve().relative_to(base)
    except ValueError:
        return None
    return f"{ROUTE}/{area}/{quote(relative.as_posix())}"


def files_router(ws: Workspace) -> APIRouter:
    router = APIRouter()

    @router.get(f"/{ROUTE}/{{area}}/{{path:path}}", include_in_schema=False)
    def served_file(area: str, path: str, request: Request) -> FileResponse:
        served = AREAS.get(area)
        if served is None:
            raise HTTPException(status_code=404)
        signed = ws.sessions.resolve(request.cookies.get(SESSION_COOKIE), touch=False)
        if signed is None:
            raise HTTPException(status_code=401)
        if not signed.account.may_open(served.tab):
            raise HTTPException(status_code=403)
        base = (ws.settings.data_dir / served.folder).resolve()
        target = (base / path).resolve()
        if (
            not target.is_relative_to(base)
            or target.suffix.lower() not in SUFFIXES
            or not target.is_file()
        ):
            raise HTTPException(status_code=404)
        return FileResponse(
            target,
            filename=target.name if served.download else None,
            content_disposition_type="attachment" if served.download else "inline",
            headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
        )

    return router
