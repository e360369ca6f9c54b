"""Prometheus metrics shared by the backends (served at /metrics)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from prometheus_client import REGISTRY, Counter, Histogram

_M = TypeVar("_M", Counter, Histogram)


def metric(cls: type[_M], name: str, doc: str, labels: Sequence[str], **kw: Any) -> _M:
    """Create a metric, or return the one already registered under `name`: modules can be
    imported twice in one process (tests, reloads)."""
    try:
        return cls(name, doc, labels, **kw)
    except ValueError:
        existing = REGISTRY._names_to_collectors.get(name)  # noqa: SLF001 - no public lookup
        if not isinstance(existing, cls):
            raise
        return existing
