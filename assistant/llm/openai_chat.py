"""The LLM backend for any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM,
llama.cpp server, Ollama, ...) through the `openai` package. Picked by name with
`assistant.llm.make_backend(settings)` (also re-exported here).

The SDK's own retries are off (`max_retries=0`): the base class retries once within the reply
deadline. SDK errors are translated here, at the boundary, into LLMError with a kind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai

from assistant.config import Settings
from assistant.llm import BACKENDS, make_backend
from assistant.llm.base import DialogueContext, LLMBackend, LLMError
from assistant.llm.prompt import build_messages

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_RETRYABLE_STATUS = frozenset({408, 409, 425, 429})

__all__ = ["BACKENDS", "OpenAIChatBackend", "make_backend", "translate_error"]


class OpenAIChatBackend(LLMBackend):
    name = "openai"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str = "not-needed",
        model: str,
        timeout_s: float = 6.0,
        first_token_timeout_s: float | None = None,
        max_tokens: int = 200,
        temperature: float = 0.3,
    ):
        super().__init__(timeout_s=timeout_s, first_token_timeout_s=first_token_timeout_s)
        self.model = model
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.base_url = base_url or DEFAULT_BASE_URL
        # Self-hosted servers ignore the key, but the SDK refuses an empty one.
        self._client = openai.AsyncOpenAI(
            base_url=self.base_url, api_key=api_key or "not-needed", timeout=timeout_s,
            max_retries=0,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIChatBackend:
        return cls(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key.get_secret_value(),
            model=settings.llm_model,
            timeout_s=settings.llm_timeout_s,
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
        )

    async def aclose(self) -> None:
        await self._client.close()

    async def _stream(self, ctx: DialogueContext) -> AsyncIterator[str]:
        try:
            stream = await self._client.chat.completions.create(
                model=self.model,
                messages=build_messages(ctx),  # type: ignore[arg-type]
                stream=True,
                max_tokens=self.max_tokens,
                temperature=self.temperature,
            )
            async with stream:
                async for chunk in stream:
                    if chunk.choices and (delta := chunk.choices[0].delta.content):
                        yield delta
        except openai.APIError as e:
            raise translate_error(e) from e


def translate_error(e: openai.APIError) -> LLMError:
    if isinstance(e, openai.APITimeoutError):
        return LLMError("llm request timed out", kind="timeout", retryable=True)
    if isinstance(e, openai.APIConnectionError):
        return LLMError(f"llm endpoint unreachable: {e}", kind="connection", retryable=True)
    if isinstance(e, openai.APIStatusError):
        status = e.status_code
        if status in (401, 403):
            return LLMError(f"llm endpoint refused the API key ({status})", kind="auth")
        if status == 429:
            return LLMError("llm endpoint rate limit (429)", kind="rate_limit", retryable=True)
        if status >= 500 or status in _RETRYABLE_STATUS:
            return LLMError(f"llm endpoint error {status}", kind="server", retryable=True)
        return LLMError(f"llm endpoint rejected the request ({status}): {e.message}",
                        kind="bad_request")
    # An error event inside the stream, or a response that does not fit the schema.
    return LLMError(f"llm stream error: {e.message}", kind="protocol")
