"""The `assistant` command: serve, chat in the terminal, check market files."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click
from pydantic import ValidationError

from assistant.config import Settings
from assistant.logs import configure as configure_logging


def _settings(prompts_dir: Path | None, **overrides) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    if prompts_dir is not None:
        values["prompts_dir"] = prompts_dir
    return Settings(**values)


class _Commands(click.Group):
    """Translates a bad setting (an ASSISTANT_ variable or .env line) into one line naming it,
    not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ValidationError as e:
            if e.title != Settings.__name__:
                raise
            problems = "; ".join(
                f"ASSISTANT_{'_'.join(map(str, err['loc'])).upper()}: {err['msg']}"
                for err in e.errors())
            raise click.ClickException(f"invalid setting: {problems}") from None


@click.group(cls=_Commands)
@click.version_option(package_name="live-cohost-assistant")
def main() -> None:
    """Multilingual AI co-host for cross-border live commerce."""


@main.command()
@click.option("--host", default=None, help="Bind address (ASSISTANT_HOST).")
@click.option("--port", type=int, default=None, help="Port (ASSISTANT_PORT).")
@click.option("--prompts-dir", type=click.Path(path_type=Path), default=None,
              help="Market data folder (ASSISTANT_PROMPTS_DIR).")
@click.option("--db-path", type=click.Path(path_type=Path), default=None,
              help="SQLite file for handoffs (ASSISTANT_DB_PATH).")
def serve(host: str | None, port: int | None, prompts_dir: Path | None,
          db_path: Path | None) -> None:
    """Run the HTTP/WebSocket service."""
    import uvicorn

    from assistant.api.app import create_app
    from assistant.credentials import secure

    settings = _settings(prompts_dir, host=host, port=port, db_path=db_path)
    configure_logging(settings.log_level, settings.log_format)
    settings, credentials = secure(settings)
    uvicorn.run(
        create_app(settings, credentials=credentials), host=settings.host, port=settings.port,
        log_level=settings.log_level, log_config=None,  # our handler (assistant/logs.py)
        # Our own limit (max_ws_message_bytes) answers oversized frames with an error event;
        # the server's limit only guards against abuse far beyond it.
        ws_max_size=1 << 20,
        # Chat frames are a few hundred bytes: per-message deflate costs more CPU than it saves.
        ws_per_message_deflate=False,
    )


@main.group()
def markets() -> None:
    """Market data tools."""


@markets.command("check")
@click.option("--prompts-dir", type=click.Path(path_type=Path), default=None)
def markets_check(prompts_dir: Path | None) -> None:
    """Validate every market under prompts/ and print every problem."""
    from assistant.knowledge.market import load_markets

    settings = _settings(prompts_dir)
    good, errors = load_markets(settings.prompts_dir)
    for m in good.values():
        click.echo(f"ok      {m.id:<8} {m.name} ({', '.join(m.languages)}; {m.currency}; "
                   f"{len(m.products)} products, {len(m.faq)} FAQ, {len(m.campaigns)} campaigns)")
    for e in errors:
        click.echo(f"REFUSED {e.market}: {len(e.problems)} problem(s)")
        for p in e.problems:
            where = f"{p.file}: {p.field}" if p.field else p.file
            click.echo(f"  - {where}: {p.message}")
    sys.exit(1 if errors else 0)


@main.group("languages")
def languages_group() -> None:
    """Language pack tools (assistant/languages/<code>.yaml)."""


@languages_group.command("check")
@click.option("--dir", "folder", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="A folder of packs to check instead of the installed ones.")
def languages_check(folder: Path | None) -> None:
    """Validate every language pack and print every problem."""
    from assistant import languages

    found, problems = languages.check(folder or languages.FOLDER)
    for code, pack in sorted(found.items()):
        click.echo(f"ok      {code}  {pack.name} ({pack.script.writing}, {pack.script.words}; "
                   f"{sum(map(len, pack.topics.values()))} topic phrases, "
                   f"{len(pack.replies)} replies)")
    for p in problems:
        click.echo(f"PROBLEM {p}")
    sys.exit(1 if problems else 0)


@main.command()
@click.option("--market", "market_id", required=True, help="Market id, e.g. us.")
@click.option("--viewer", default="terminal", help="Viewer id for this session.")
@click.option("--room", default="terminal", help="Room id.")
@click.option("--prompts-dir", type=click.Path(path_type=Path), default=None)
@click.option("--db-path", type=click.Path(path_type=Path), default=None)
def chat(market_id: str, viewer: str, room: str, prompts_dir: Path | None,
         db_path: Path | None) -> None:
    """Talk to the FAQ bot in the terminal. Commands: /stage SKU, /viewer ID, /quit."""
    from assistant.errors import AssistantError
    from assistant.session.factory import build_chat_service

    # One person typing (or a piped script) is not a flood: no per-viewer rate limit here.
    settings = _settings(prompts_dir, db_path=db_path, rate_limit_burst=1_000_000)
    service, store = build_chat_service(settings)
    try:
        market = service.registry.get(market_id)
    except AssistantError as e:
        raise click.ClickException(str(e)) from None
    interactive = sys.stdin.isatty()
    click.echo(f"{market.name} ({', '.join(market.languages)}). Products: "
               + ", ".join(f"{p.sku}" for p in market.products)
               + ". /stage SKU, /viewer ID, /quit")

    async def loop() -> None:
        nonlocal viewer
        while True:
            try:
                line = await asyncio.to_thread(input, "you> " if interactive else "")
            except EOFError:
                return
            line = line.strip()
            if not line:
                continue
            if line in ("/quit", "/exit"):
                return
            try:
                if line.startswith("/stage"):
                    sku = line.split(maxsplit=1)[1] if " " in line else None
                    click.echo(f"on stage: {service.set_on_stage(room, market_id, sku)}")
                    continue
                if line.startswith("/viewer "):
                    viewer = line.split(maxsplit=1)[1]
                    click.echo(f"viewer: {viewer}")
                    continue
                from assistant.session.chat import Comment

                reply = await service.handle(Comment(room, market_id, viewer, line))
            except AssistantError as e:
                click.echo(f"error: {e}")
                continue
            tag = f"[{reply.lang} {reply.topic}{' ' + reply.sku if reply.sku else ''}]"
            click.echo(f"bot {tag}> {reply.text}")
            if reply.handoff is not None and reply.handoff_created:
                click.echo(f"  (handed to {market.host_name}: handoff {reply.handoff.id})")

    async def run() -> None:
        try:
            await loop()
        finally:
            await service.aclose()

    try:
        asyncio.run(run())
    finally:
        store.close_all()


def _register_voice_commands() -> None:
    # Imported here, not at the top: they pull in audio libraries `serve` does not need yet.
    from assistant.tts.cli import say_command
    from assistant.voice_cli import transcribe_command, voice_demo_command

    for command in (say_command, transcribe_command, voice_demo_command):
        main.add_command(command)


_register_voice_commands()

if __name__ == "__main__":
    main()
