"""The browser pages served by the service itself: the index, the host's live handoff queue and
the voice demo. Plain static files from assistant/web/ (no build step); the pages hold no
secrets - tokens are typed in by the user and kept in the browser's sessionStorage."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

router = APIRouter(tags=["web"], include_in_schema=False)


def _page(name: str) -> FileResponse:
    # no-cache: the pages are tiny and a stale console after an upgrade is confusing.
    return FileResponse(WEB_DIR / name, media_type="text/html",
                        headers={"Cache-Control": "no-cache"})


@router.get("/")
async def index() -> FileResponse:
    return _page("index.html")


@router.get("/console/host")
async def host_console() -> FileResponse:
    return _page("host.html")


@router.get("/console/demo")
async def voice_demo() -> FileResponse:
    return _page("demo.html")


@router.get("/console/markets")
async def markets_console() -> FileResponse:
    return _page("markets.html")


# Mounted on the router so the lead only has to include this one router.
router.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
