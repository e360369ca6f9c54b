"""Public market info and service health: what a platform needs to connect a room."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

router = APIRouter(tags=["service"])


@router.get("/v1/markets")
async def markets(request: Request) -> dict:
    registry = request.app.state.registry
    return {
        "markets": [
            {"id": m.id, "name": m.name, "languages": m.languages, "currency": m.currency,
             "host_name": m.host_name}
            for m in registry.all()
        ],
        # Broken markets are listed (not their contents) so a platform sees why one is missing.
        "refused": sorted(registry.refused),
    }


@router.get("/v1/markets/{market_id}")
async def market(market_id: str, request: Request) -> dict:
    m = request.app.state.registry.get(market_id)
    return {
        "id": m.id, "name": m.name, "languages": m.languages, "currency": m.currency,
        "host_name": m.host_name,
        "products": [{"sku": p.sku, "name": p.name} for p in m.products],
    }


@router.get("/healthz")
async def healthz(request: Request) -> dict:
    registry = request.app.state.registry
    # stale: serving the last good version while the files on disk are broken.
    return {"status": "ok", "markets": registry.ids, "refused": sorted(registry.refused),
            "stale": sorted(registry.stale), "voice": request.app.state.voice_engines.state}


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
