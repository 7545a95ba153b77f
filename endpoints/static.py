"""The files Causa serves itself: GraphiQL and its assets, the invitation page."""

from __future__ import annotations

from pathlib import Path

from starlette.responses import FileResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent.parent / "static"


def page(name: str) -> FileResponse:
    """``static/<name>/index.html``, checked again on each visit (never cached stale)."""
    return FileResponse(STATIC / name / "index.html", headers={"Cache-Control": "no-cache"})


routes = [Mount("/static", StaticFiles(directory=STATIC), name="static")]
