"""Decoding of client WebSocket frames, shared by every socket (comment stream, Realtime): one
place that turns any frame a client can send into a JSON object or a ProtocolError with a
precise code, so no frame can take a connection down.

What it refuses, and why each needs a rule of its own:
- frames over the size limit, binary frames that are not UTF-8;
- NaN / Infinity (Python's json accepts them; JSON does not, and they poison arithmetic);
- nesting deeper than MAX_DEPTH (the C scanner raises RecursionError at ~1,000 levels, well
  under any size limit, and nothing in the protocols nests more than a few levels);
- lone surrogates such as "\\ud800" anywhere, keys included: valid JSON escapes that are not
  text, which break the UTF-8 encoding of every reply that echoes them.

`dumps` is the matching writer: never raises on what the server itself is about to send."""

from __future__ import annotations

import json
from typing import Any

from assistant.errors import ProtocolError

MAX_DEPTH = 32


def _no_constants(name: str) -> Any:
    raise ProtocolError("invalid_json", f"{name} is not valid JSON")


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_tree(value: Any) -> None:
    """Depth and surrogates, iteratively (a recursive walk would hit the very limit it checks)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if _has_surrogate(node):
                raise ProtocolError("invalid_text", "a string holds a lone surrogate (e.g. "
                                    "\\ud800), which is not text")
            continue
        if not isinstance(node, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise ProtocolError("invalid_json", f"message is nested more than {MAX_DEPTH} "
                                "levels deep")
        if isinstance(node, dict):
            for k, v in node.items():
                stack.append((k, depth + 1))
                stack.append((v, depth + 1))
        else:
            stack.extend((v, depth + 1) for v in node)


def decode(msg: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    """An ASGI websocket.receive message -> a JSON object, or ProtocolError."""
    raw = msg.get("text")
    if raw is None:
        data = msg.get("bytes") or b""
        if len(data) > max_bytes:
            raise ProtocolError("message_too_large",
                                f"message is {len(data)} bytes; the limit is {max_bytes}")
        try:
            raw = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("invalid_encoding", "binary frame is not UTF-8 JSON") from None
    if len(raw) > max_bytes // 4 and len(raw.encode("utf-8", "surrogatepass")) > max_bytes:
        raise ProtocolError("message_too_large",
                            f"message is {len(raw.encode('utf-8', 'surrogatepass'))} bytes; "
                            f"the limit is {max_bytes}")
    try:
        data = json.loads(raw, parse_constant=_no_constants)
    except json.JSONDecodeError as e:
        raise ProtocolError("invalid_json",
                            f"message is not valid JSON: {e.msg} at {e.pos}") from None
    except RecursionError:
        raise ProtocolError("invalid_json", f"message is nested more than {MAX_DEPTH} levels "
                            "deep") from None
    _check_tree(data)
    if not isinstance(data, dict):
        raise ProtocolError("invalid_message", "message must be a JSON object")
    return data


def dumps(frame: dict[str, Any]) -> str:
    """JSON text for a server frame. Falls back to ASCII escapes if something unencodable (a
    surrogate from a backend) slipped in, instead of failing the send and the connection."""
    text = json.dumps(frame, ensure_ascii=False)
    if _has_surrogate(text):
        return json.dumps(frame)
    return text
