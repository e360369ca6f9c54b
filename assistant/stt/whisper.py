"""Whisper speech-to-text on CPU through faster-whisper / CTranslate2, tuned for the latency of
short live-chat utterances.

Two paths:
- **fast path** (default, audio up to `max_fast_s`): log-Mel features of the real audio plus
  2 s of silence (a 10 s window at least) so the decoder sees where speech ends; ONE encoder
  pass over those frames (not the 30 s window `WhisperModel.transcribe` always pads to); language
  detected from that same encoding and restricted to the caller's candidates; one greedy,
  bounded decode without timestamps or previous-text conditioning. Whisper was trained on
  30 s windows, so a short encoding now and then makes the decoder loop; when the output looks
  repetitive (or fills the token budget) it is decoded once more from a full 30 s encoding.
- **windowed path** (`fast_path=False`, and audio longer than `max_fast_s`): language detected
  on the first 30 s window, then `WhisperModel.transcribe` with that language forced, greedy,
  no VAD filter, no conditioning on previous text, with its compression-ratio / no-speech
  thresholds.

`interim=True` (a transcript of speech still in progress) decodes with a tighter token budget
and never decodes twice; the encoder pass, which dominates, is the same.

Both paths return "" for digital silence (without running the model), for what looks like no
speech (no-speech probability above `max_no_speech_prob`, or Whisper's own rule), and for a
hallucinated loop (compression ratio above the threshold, or a decode that fills its budget).
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from assistant.errors import ConfigError
from assistant.stt.base import STTBackend
from assistant.stt.model import DEFAULT_MODEL, resolve_model

_WINDOW_FRAMES = 3000  # Whisper's 30 s window, in 10 ms feature frames
_NO_SPACE_LANGS = frozenset({"ja", "zh", "th", "yue", "lo", "my"})  # written without spaces


def compression_ratio(text: str) -> float:
    """How well the text compresses; Whisper's own measure of a repetitive (looping) decode."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


@contextmanager
def _timed(timings: dict[str, float], key: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[key] = timings.get(key, 0.0) + (time.perf_counter() - start) * 1000.0


class WhisperSTT(STTBackend):
    """faster-whisper on CPU. `model` is "base" (the assembled default), a model folder, or a
    faster-whisper model name (downloaded from the Hugging Face Hub: needs network).

    Thread-safe: the CTranslate2 model takes concurrent calls and queues them on its
    `num_workers` workers; the only other shared state, a tokenizer per language, is built
    under a lock.
    """

    name = "whisper"

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        model_dir: Path | None = None,
        fast_path: bool = True,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 2,
        num_workers: int = 1,
        max_fast_s: float = 28.0,
        tail_s: float = 2.0,
        min_window_s: float = 10.0,
        tokens_per_s: float = 10.0,
        interim_tokens_per_s: float = 6.0,
        no_speech_threshold: float = 0.6,
        max_no_speech_prob: float = 0.2,
        silence_peak: float = 1e-3,
        log_prob_threshold: float = -1.0,
        compression_ratio_threshold: float = 2.4,
    ):
        try:
            from faster_whisper import WhisperModel
            from faster_whisper.tokenizer import Tokenizer
        except ImportError as e:  # pragma: no cover - depends on the install
            raise ConfigError("the whisper STT backend needs `pip install faster-whisper`") from e
        self._tokenizer_cls = Tokenizer
        path = resolve_model(model, model_dir=model_dir)
        try:
            self._model = WhisperModel(
                path,
                device=device,
                compute_type=compute_type,
                cpu_threads=cpu_threads,
                num_workers=num_workers,
            )
        except Exception as e:
            raise ConfigError(f"could not load Whisper model {path!r}: {e}") from e
        ct2 = self._model.model
        if not ct2.is_multilingual:
            self.languages = frozenset({"en"})
        else:
            self.languages = frozenset(self._model.supported_languages)
        self.fast_path = fast_path
        self.max_fast_s = min(max_fast_s, 30.0 - tail_s)  # speech + tail must fit 30 s
        self.tail_frames = int(tail_s * 100)
        self.min_frames = int(min_window_s * 100)
        self.tokens_per_s = tokens_per_s
        self.interim_tokens_per_s = interim_tokens_per_s
        self.no_speech_threshold = no_speech_threshold
        self.max_no_speech_prob = max_no_speech_prob
        self.silence_peak = silence_peak
        self.log_prob_threshold = log_prob_threshold
        self.compression_ratio_threshold = compression_ratio_threshold
        self._max_length = self._model.max_length
        # Tokenizers per language are cheap but not free to build; a market has a handful.
        self._tokenizers: dict[str, object] = {}
        self._tokenizers_lock = threading.Lock()

    # ------------------------------------------------------------------ shared pieces

    def _tokenizer(self, lang: str):
        tok = self._tokenizers.get(lang)
        if tok is None:
            with self._tokenizers_lock:
                tok = self._tokenizers.get(lang)
                if tok is None:
                    tok = self._tokenizer_cls(
                        self._model.hf_tokenizer,
                        self._model.model.is_multilingual,
                        task="transcribe",
                        language=lang,
                    )
                    self._tokenizers[lang] = tok
        return tok

    def _pick_language(
        self, probs: list[tuple[str, float]], languages: tuple[str, ...] | None
    ) -> tuple[str, float]:
        """The most probable language among the candidates. `probs` is the model's list of
        ("<|xx|>", p), most probable first."""
        if not self._model.model.is_multilingual:
            return "en", 1.0
        for token, prob in probs:
            lang = token[2:-2]
            if languages is None or lang in languages:
                return lang, prob
        return (languages[0] if languages else "en"), 0.0

    def _encode(self, features: np.ndarray):
        import ctranslate2

        view = ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None]))
        return self._model.model.encode(view, to_cpu=False)

    def _is_no_speech(self, no_speech_prob: float, avg_logprob: float) -> bool:
        # Whisper's own rule (high no-speech probability and an unconfident decode) lets
        # confident hallucinations through: on 2-5 s of silence, noise or music the base model
        # says "I am the boss of the game." at no-speech 0.69, log-prob -0.25. A live co-host
        # must not answer those, so any no-speech probability above `max_no_speech_prob` drops
        # the text too: such clips scored 0.23-0.69, every real utterance in bench/stt.py <= 0.09.
        if no_speech_prob > self.max_no_speech_prob:
            return True
        return no_speech_prob > self.no_speech_threshold and avg_logprob < self.log_prob_threshold

    # ------------------------------------------------------------------ the hook

    def _transcribe(
        self,
        audio: np.ndarray,
        languages: tuple[str, ...] | None,
        *,
        interim: bool,
        timings: dict[str, float],
    ) -> tuple[str, str, float]:
        if float(np.max(np.abs(audio))) < self.silence_peak:
            # Digital silence (a muted mic): nothing to hear, and Whisper would invent something.
            return "", (languages[0] if languages else "en"), 0.0
        seconds = audio.shape[0] / self.sample_rate
        if self.fast_path and seconds <= self.max_fast_s:
            return self._fast(audio, languages, interim=interim, timings=timings)
        return self._windowed(audio, languages, timings=timings)

    def _fast(
        self,
        audio: np.ndarray,
        languages: tuple[str, ...] | None,
        *,
        interim: bool,
        timings: dict[str, float],
    ) -> tuple[str, str, float]:
        fe = self._model.feature_extractor
        with _timed(timings, "features"):
            # Whisper only ever saw 30 s windows, mostly speech followed by silence. Encoding
            # just the speech makes the decoder miss the end and loop (measured: most clips
            # under 3 s, some up to 9 s); 2 s of real silence (zero samples, so log-Mel at the
            # floor) and a 10 s minimum window stop that on every clip in bench/stt.py, at a
            # third of the cost of the 30 s window.
            tail = self.tail_frames * fe.hop_length
            features = fe(audio, padding=tail + fe.hop_length)
            frames = min(_WINDOW_FRAMES, max(self.min_frames, features.shape[-1] - 1))
            frames += frames % 2  # the encoder's stride-2 convolution halves the frame count
            features = _fit(features, frames)
        with _timed(timings, "encode"):
            encoding = self._encode(features)
        with _timed(timings, "detect"):
            lang, prob = self._pick_language(
                self._model.model.detect_language(encoding)[0], languages
            )
        seconds = audio.shape[0] / self.sample_rate
        rate = self.interim_tokens_per_s if interim else self.tokens_per_s
        budget = int(rate * seconds) + (10 if interim else 20)
        with _timed(timings, "decode"):
            text, no_speech, logprob, full = self._decode(encoding, lang, budget)
        if self._is_no_speech(no_speech, logprob):
            return "", lang, prob
        looping = full or compression_ratio(text) > self.compression_ratio_threshold
        if looping and not interim:
            # A short encoding lets the decoder run past the end of speech and repeat itself;
            # the full 30 s window (speech followed by silence, as in training) does not.
            with _timed(timings, "retry"):
                encoding = self._encode(_fit(features, _WINDOW_FRAMES))
                text, no_speech, logprob, full = self._decode(encoding, lang, budget)
            timings["retried"] = 1.0
            if self._is_no_speech(no_speech, logprob):
                return "", lang, prob
            looping = full or compression_ratio(text) > self.compression_ratio_threshold
        if looping:
            return "", lang, prob
        return text, lang, prob

    def _decode(self, encoding, lang: str, budget: int) -> tuple[str, float, float, bool]:
        """Greedy decode; returns (text, no_speech_prob, avg_logprob, hit_the_budget)."""
        from faster_whisper.transcribe import get_suppressed_tokens

        tok = self._tokenizer(lang)
        prompt = [*tok.sot_sequence, tok.no_timestamps]
        max_length = min(self._max_length, len(prompt) + budget)
        result = self._model.model.generate(
            encoding,
            [prompt],
            beam_size=1,
            max_length=max_length,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=list(get_suppressed_tokens(tok, [-1])),
        )[0]
        tokens = result.sequences_ids[0]
        # CTranslate2 returns the cumulative log-prob divided by the length (length_penalty 1);
        # faster-whisper's average divides it by length + 1 instead (the end token).
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        text = tok.decode(tokens).strip()
        return text, result.no_speech_prob, avg_logprob, len(prompt) + len(tokens) >= max_length

    def _windowed(
        self,
        audio: np.ndarray,
        languages: tuple[str, ...] | None,
        *,
        timings: dict[str, float],
    ) -> tuple[str, str, float]:
        with _timed(timings, "detect"):
            if self._model.model.is_multilingual:
                _, _, probs = self._model.detect_language(audio)
                lang, prob = self._pick_language([(f"<|{c}|>", p) for c, p in probs], languages)
            else:
                lang, prob = "en", 1.0
        with _timed(timings, "decode"):
            segments, _ = self._model.transcribe(
                audio,
                language=lang,
                task="transcribe",
                beam_size=1,
                temperature=(0.0, 0.4, 0.8),
                vad_filter=False,
                condition_on_previous_text=False,
                compression_ratio_threshold=self.compression_ratio_threshold,
                log_prob_threshold=self.log_prob_threshold,
                no_speech_threshold=self.no_speech_threshold,
            )
            kept = [
                s.text.strip()
                for s in segments
                if s.compression_ratio <= self.compression_ratio_threshold
                and not self._is_no_speech(s.no_speech_prob, s.avg_logprob)
            ]
        joiner = "" if lang in _NO_SPACE_LANGS else " "
        return joiner.join(t for t in kept if t).strip(), lang, prob


def _fit(features: np.ndarray, frames: int) -> np.ndarray:
    """Trim or zero-pad log-Mel features to `frames` frames (zero is what faster-whisper pads
    the 30 s window with)."""
    n = features.shape[-1]
    if n >= frames:
        return features[:, :frames]
    return np.pad(features, ((0, 0), (0, frames - n)))
