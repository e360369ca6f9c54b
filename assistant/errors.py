"""The exception tree. Third-party errors are translated into these at the boundary
(`raise BackendError(...) from e`) so that no SDK exception reaches a session or a client."""

from __future__ import annotations

from dataclasses import dataclass


class AssistantError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(AssistantError):
    """Settings or start-up configuration are unusable; the service refuses to start."""


@dataclass(frozen=True)
class MarketProblem:
    """One thing wrong in a market's files: which file, which field, what is wrong."""

    market: str
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"[{self.market}] {where}: {self.message}"


class MarketError(AssistantError):
    """A market's files could not be loaded; carries every problem found, not just the first."""

    def __init__(self, market: str, problems: list[MarketProblem]):
        self.market = market
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems) or f"market {market!r} is invalid")


class UnknownMarket(AssistantError):
    def __init__(self, market: str, known: list[str]):
        self.market = market
        self.known = known
        super().__init__(f"unknown market {market!r}; known markets: {', '.join(known) or 'none'}")


class InputError(AssistantError):
    """Client input is unusable (empty, oversized, binary, malformed). Maps to 4xx / error event."""

    def __init__(self, code: str, message: str, *, status: int = 400):
        self.code = code
        self.status = status
        super().__init__(message)


class BackendError(AssistantError):
    """A model backend (LLM, STT, TTS) failed. `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool = False):
        self.retryable = retryable
        super().__init__(message)


class ProtocolError(AssistantError):
    """A WebSocket client sent a message the protocol does not allow."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)
