"""Logging: structured fields that can never break the call that logs them, two output formats
(`text` keeps the fields as key=value after the message, `json` one object a line), and secrets
kept out of uvicorn's access log.

Why a Logger subclass: the stdlib raises KeyError when `extra` names a LogRecord attribute
("created", "name", "msg", ...). One such key in a handoff log line once made every buyer's
reply an HTTP 500 at the default log level. `FieldLogger.makeRecord` never raises for a key: the
fields are kept whole in `record.fields`, and only keys that do not clash are also set as
attributes (what stdlib formatters and filters expect)."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

_RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message", "asctime", "fields",
}
FORMATS = ("text", "json")
# ?token=... (WebSockets from browsers) must never reach a log file.
_SECRET_QUERY = re.compile(r"((?:^|[?&])(?:token|api_key|access_token)=)[^&\s\"]*", re.I)


class FieldLogger(logging.Logger):
    def makeRecord(self, name, level, fn, lno, msg, args, exc_info, func=None, extra=None,
                   sinfo=None):  # noqa: N802 - the stdlib's name
        record = super().makeRecord(name, level, fn, lno, msg, args, exc_info, func, None, sinfo)
        if extra:
            record.fields = dict(extra)
            for key, value in extra.items():
                if key not in _RESERVED:
                    record.__dict__[key] = value
        return record


def install_logger_class() -> None:
    """Every logger made after this (all of `assistant.*`: the package calls it first) is a
    FieldLogger."""
    if not issubclass(logging.getLoggerClass(), FieldLogger):
        logging.setLoggerClass(FieldLogger)
    # Loggers made before (the package's own parents) are re-classed: same state, safe method.
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger) and type(logger) is logging.Logger:
            logger.__class__ = FieldLogger


_NOISE = frozenset({"color_message"})  # uvicorn's ANSI-coloured copy of the message


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    if not fields:
        return {}
    return {k: v for k, v in fields.items() if k not in _NOISE}


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = _fields(record)
        if not fields:
            return line
        head, sep, tail = line.partition("\n")  # fields before a traceback, not after it
        pairs = " ".join(f"{k}={json.dumps(_plain(v), ensure_ascii=False)}"
                         for k, v in fields.items())
        return f"{head} {pairs}{sep}{tail}"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in _fields(record).items():
            out[key if key not in out else f"field_{key}"] = _plain(value)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


class RedactSecrets(logging.Filter):
    """Masks token query parameters in a record's arguments (uvicorn's access log line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(_SECRET_QUERY.sub(r"\1***", a) if isinstance(a, str) else a
                                for a in record.args)
        if isinstance(record.msg, str) and "=" in record.msg:
            record.msg = _SECRET_QUERY.sub(r"\1***", record.msg)
        return True


def configure(level: str = "info", fmt: str = "text") -> None:
    """One handler on the root logger for everything, uvicorn's loggers included (uvicorn is
    started with log_config=None so that it does not install its own)."""
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    install_logger_class()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
