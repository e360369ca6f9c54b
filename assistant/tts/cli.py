"""`assistant say`: speak a text into a WAV file with a chosen TTS backend and report timing.
Registered on the `assistant` group by assistant/cli.py."""

from __future__ import annotations

import time
import wave
from pathlib import Path

import click

from assistant.tts.base import TTSBackend

DEFAULT_VOICES_DIR = Path(__file__).resolve().parent.parent.parent / "voices"


def _speak_to_wav(tts: TTSBackend, text: str, lang: str, voice: str | None, out: Path) -> dict:
    start = time.perf_counter()
    first: float | None = None
    n_bytes = 0
    with wave.open(str(out), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(tts.sample_rate)
        for chunk in tts.synthesize(text, lang, voice=voice):
            if first is None:
                first = time.perf_counter() - start
            wav.writeframes(chunk)
            n_bytes += len(chunk)
    total = time.perf_counter() - start
    return {
        "audio_s": n_bytes / 2 / tts.sample_rate,
        "first_chunk_s": first,
        "synth_s": total,
    }


@click.command("say")
@click.option("--lang", required=True, help="Language code, e.g. en, es, pt, zh.")
@click.option("--backend", type=click.Choice(["espeak", "piper", "coqui"]), default="espeak",
              show_default=True)
@click.option("--voice", default=None, help="Override the voice from voices/voices.yaml.")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="WAV file to write.")
@click.option("--voices-dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=DEFAULT_VOICES_DIR, show_default=True)
@click.argument("text")
def say_command(lang: str, backend: str, voice: str | None, output: Path, voices_dir: Path,
                text: str) -> None:
    """Speak TEXT in language LANG into a WAV file."""
    from assistant.errors import AssistantError
    from assistant.tts import make_tts

    try:
        tts = make_tts(backend, voices_dir=voices_dir)
        try:
            load_start = time.perf_counter()
            tts.warm_up(lang)  # so that "first chunk" measures synthesis, not model loading
            load_s = time.perf_counter() - load_start
            stats = _speak_to_wav(tts, text, lang, voice, output)
        finally:
            tts.close()
    except AssistantError as e:
        raise click.ClickException(str(e)) from e
    if stats["first_chunk_s"] is None:
        raise click.ClickException("nothing to say: the text is empty")
    rtf = stats["synth_s"] / stats["audio_s"] if stats["audio_s"] else float("nan")
    click.echo(
        f"{output}: {stats['audio_s']:.2f} s of audio at {tts.sample_rate} Hz; "
        f"voice loaded in {load_s * 1000:.0f} ms; "
        f"first chunk after {stats['first_chunk_s'] * 1000:.1f} ms; "
        f"synthesized in {stats['synth_s'] * 1000:.1f} ms (real-time factor {rtf:.3f})"
    )
