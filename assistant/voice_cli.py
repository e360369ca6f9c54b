"""Voice commands of the `assistant` CLI: transcribe a file, and run a recording through the
whole voice pipeline (`voice-demo`). `say` lives with the TTS backends (assistant/tts/cli.py)."""

from __future__ import annotations

import asyncio
import time
import wave
from pathlib import Path

import click
import numpy as np

from assistant.config import Settings


def _load(path: Path, rate: int) -> np.ndarray:
    from faster_whisper import decode_audio  # PyAV: wav, flac, mp3, ogg, ...

    try:
        return decode_audio(str(path), sampling_rate=rate)
    except Exception as e:  # PyAV raises many kinds: a clear message is what the user needs
        raise click.ClickException(f"cannot read audio from {path}: {e}") from None


@click.command("transcribe")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lang", "langs", multiple=True, help="Candidate language(s); repeatable.")
@click.option("--market", default=None, help="Restrict languages to this market's.")
@click.option("--plain", is_flag=True, help="Use plain WhisperModel.transcribe() (no fast path).")
def transcribe_command(file: Path, langs: tuple[str, ...], market: str | None,
                       plain: bool) -> None:
    """Transcribe an audio file with the configured Whisper model."""
    from assistant.errors import AssistantError
    from assistant.knowledge.market import load_market
    from assistant.stt import create_stt

    settings = Settings()
    candidates = list(langs)
    if market:
        try:
            candidates = load_market(settings.prompts_dir / market).languages
        except AssistantError as e:
            raise click.ClickException(str(e)) from None
    try:
        stt = create_stt("whisper", model=settings.stt_model, model_dir=settings.stt_model_dir,
                         fast_path=not plain)
        audio = _load(file, stt.sample_rate)
        t = stt.transcribe(audio, languages=candidates or None)
    except AssistantError as e:
        raise click.ClickException(str(e)) from None
    click.echo(t.text)
    click.echo(f"[{t.lang} p={t.lang_probability:.2f}; {t.audio_s:.1f} s of audio; "
               + ", ".join(f"{k} {v:.0f} ms" for k, v in t.timings_ms.items()) + "]", err=True)


@click.command("voice-demo")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--market", "market_id", required=True, help="Market id, e.g. us.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("reply.wav"), show_default=True, help="Where to write the reply.")
@click.option("--db-path", type=click.Path(path_type=Path), default=None)
@click.option("--turn-detection", "turn_type", type=click.Choice(["server_vad", "semantic_vad"]),
              default="server_vad", show_default=True,
              help="How the end of the question is found: a silence window, or the "
                   "end-of-turn model.")
def voice_demo_command(file: Path, market_id: str, output: Path, db_path: Path | None,
                       turn_type: str) -> None:
    """Run a recording through the whole voice pipeline (VAD, STT, dialogue, TTS) at real-time
    pace, write the spoken reply and print a timing table per stage. The session is the one
    the Realtime endpoint builds (same options, same responder)."""
    from assistant.errors import AssistantError
    from assistant.session import voice_events as ev
    from assistant.session.factory import build_chat_service
    from assistant.session.spoken import VoiceResponder
    from assistant.session.voice import VoiceSession
    from assistant.session.voice_engines import VoiceEngines

    settings = Settings(**({"db_path": db_path} if db_path else {}),
                        rate_limit_burst=1_000_000)
    chat, store = build_chat_service(settings)
    try:
        market = chat.registry.get(market_id)
    except AssistantError as e:
        raise click.ClickException(str(e)) from None
    rate = 24_000
    audio = _load(file, rate)
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()

    async def run() -> tuple[list[ev.VoiceEvent], bytearray]:
        respond = VoiceResponder(chat, room="demo", market=market_id, viewer="demo")
        engines = await VoiceEngines(settings).get()
        try:
            session = VoiceSession(engines.session_options(market, turn_type=turn_type),
                                   stt=engines.stt, tts=engines.tts, respond=respond)
        except AssistantError as e:
            raise click.ClickException(str(e)) from None
        events: list[ev.VoiceEvent] = []
        out = bytearray()
        async with session:
            async def feed() -> None:
                chunk, start = rate // 50 * 2, time.perf_counter()
                tail = bytes(int(1.5 * rate) * 2)  # silence after the recording ends the turn
                for i, off in enumerate(range(0, len(pcm) + len(tail), chunk)):
                    await asyncio.sleep(max(0.0, start + i * 0.02 - time.perf_counter()))
                    await session.push_audio((pcm + tail)[off:off + chunk])

            feeder = asyncio.create_task(feed())
            try:
                async with asyncio.timeout(len(pcm) / 2 / rate + 60):
                    async for e in session.events():
                        events.append(e)
                        if isinstance(e, ev.AudioOut):
                            out += e.pcm
                        if isinstance(e, ev.ResponseDone) and feeder.done():
                            break
            finally:
                feeder.cancel()
                await respond.aclose()
        return events, out

    try:
        events, out = asyncio.run(run())
    finally:
        store.close_all()
    for e in events:
        if isinstance(e, ev.TranscriptCompleted):
            click.echo(f"heard [{e.lang}]: {e.text}")
        elif isinstance(e, ev.ResponseDone):
            click.echo(f"said  [{e.lang}] ({e.status}): {e.text}")
            for stage, ms in e.timings_ms.items():
                click.echo(f"  {stage:<28} {ms:8.1f} ms")
        elif isinstance(e, ev.Error):
            click.echo(f"error {e.code}: {e.message}", err=True)
    with wave.open(str(output), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(out))
    click.echo(f"wrote {output} ({len(out) / 2 / rate:.1f} s of reply audio)")
