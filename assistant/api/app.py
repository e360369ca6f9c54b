"""The app factory: builds the services from Settings once, wires routers and error mapping."""

from __future__ import annotations

import asyncio
import gc
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from assistant import __version__
from assistant.api import (
    chat,
    host,
    markets,
    openai_compat,
    operator,
    questions,
    realtime,
    web,
)
from assistant.api.auth import RefusalLog
from assistant.api.errors import Boundary, install
from assistant.config import Settings
from assistant.credentials import CredentialReport, banner
from assistant.operator import make_operator
from assistant.operator.watch import PromptsWatcher
from assistant.session.factory import build_chat_service
from assistant.session.voice_engines import SessionSlots, VoiceEngines

log = logging.getLogger(__name__)

_MAX_BODY = 256 * 1024


def _backend_name(settings: Settings) -> str:
    if settings.dialogue_backend == "grounded":
        return "embedded grounded engine"
    return f"{settings.dialogue_backend} {settings.llm_model} at {settings.llm_base_url}, " \
        "guarded, grounded fallback"


def create_app(settings: Settings | None = None, *,
               credentials: CredentialReport | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        service, store = build_chat_service(settings)
        if not service.registry.ids:
            log.error("no market could be loaded", extra={"prompts_dir": str(settings.prompts_dir)})
        app.state.registry = service.registry
        app.state.store = store
        app.state.feed = service.feed
        app.state.chat = service
        app.state.operator = make_operator(settings, service.registry,
                                           detector=service.languages.detector)
        app.state.voice_engines = VoiceEngines(settings)
        app.state.voice_slots = SessionSlots(settings.voice_max_sessions)
        # Start-up leaves ~1M long-lived objects (lexicons, regexes, locale data). Moving them
        # out of the collector's sight keeps full collections from pausing the comment stream.
        registry = service.registry
        log.info(banner(
            settings, credentials, markets=registry.ids,
            refused={m: str(e.problems[0]) + (f" (+{len(e.problems) - 1} more)"
                                               if len(e.problems) > 1 else "")
                     for m, e in registry.refused.items()},
            stale={m: str(e.problems[0]) for m, e in registry.stale.items()},
            backend=_backend_name(settings)))
        gc.collect()
        gc.freeze()
        stop = asyncio.Event()
        preload = None
        if settings.voice_preload:
            # In the background: the service answers chat at once; voice waits for this load.
            preload = app.state.voice_engines.start_preload()
        watcher = None
        if settings.watch_prompts:
            app.state.watcher = PromptsWatcher(app.state.operator, poll=settings.prompts_poll)
            watcher = asyncio.create_task(app.state.watcher.run(stop), name="prompts-watcher")
        try:
            yield
        finally:
            stop.set()
            for task in (watcher, preload):
                if task is not None:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            app.state.refusals.flush(app.state.operator.store)
            await service.aclose()
            app.state.voice_engines.close()
            app.state.operator.close()
            store.close_all()

    # FastAPIOffline: /docs and /redoc load Swagger UI from the package, not a CDN (offline).
    app = FastAPIOffline(title="Live co-host assistant", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.refusals = RefusalLog()
    install(app)

    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["*"], allow_headers=["*"])
    app.add_middleware(Boundary, max_body=_MAX_BODY)  # added last: the outermost
    for r in (markets.router, chat.router, host.router, openai_compat.router, realtime.router,
              operator.router, questions.router, web.router):
        app.include_router(r)
    return app
