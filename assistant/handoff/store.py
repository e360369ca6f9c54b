"""The durable handoff store: one SQLite file (stdlib sqlite3) holding every handoff of a viewer to
the human host, with its transcript, score, reasons and status (open -> acknowledged -> closed).

Durability: WAL journal and a commit before every write method returns, so a record that
`open_or_update` returned survives a killed process. By default synchronous=NORMAL: the commit is
a write into the WAL without an fsync, which survives a crash of this process but not of the
machine; `fsync=True` (setting ASSISTANT_DB_FSYNC) makes it synchronous=FULL, which also survives a
power cut at the cost of an fsync per handoff (measured: it was the comment stream's bottleneck
when a quarter of a burst were buyers).

Concurrency: one connection, `check_same_thread=False`, every call under a `threading.Lock`.
The store is used from the asyncio server inline (not via a thread pool): writes happen only on
a handoff (rare) and reads on host requests, and each call is a single indexed statement or a
small transaction well under a millisecond on a local file, so running it on the event loop costs
less than a thread hop would. The lock makes it equally safe from worker threads. A deployment
where several processes serve the same rooms needs a shared store instead (see design.md).

One OPEN (open or acknowledged) handoff per (room, viewer) is enforced by the database itself
with a partial UNIQUE index, so even two processes on the same file cannot create two.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

from assistant.errors import BackendError

OPEN = "open"
ACKNOWLEDGED = "acknowledged"
CLOSED = "closed"
STATUSES = (OPEN, ACKNOWLEDGED, CLOSED)
MAX_TURNS = 20  # transcript turns kept per handoff (the newest)
_TURN_KEYS = ("role", "text", "lang", "ts")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS handoffs (
    id              TEXT PRIMARY KEY,
    room            TEXT NOT NULL,
    market          TEXT NOT NULL,
    viewer          TEXT NOT NULL,
    lang            TEXT NOT NULL,
    summary         TEXT NOT NULL,
    turns           TEXT NOT NULL,      -- JSON list of {role, text, lang, ts}
    score           REAL NOT NULL,
    reasons         TEXT NOT NULL,      -- JSON list of reason codes
    status          TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'closed')),
    created_at      REAL NOT NULL,
    updated_at      REAL NOT NULL,
    acknowledged_by TEXT,
    closed_by       TEXT,
    kind            TEXT NOT NULL DEFAULT 'purchase'  -- purchase | question
);
CREATE UNIQUE INDEX IF NOT EXISTS handoffs_one_open_per_viewer
    ON handoffs (room, viewer) WHERE status != 'closed';
CREATE INDEX IF NOT EXISTS handoffs_room_created ON handoffs (room, created_at);
CREATE INDEX IF NOT EXISTS handoffs_status_created ON handoffs (status, created_at);
"""
_COLUMNS = (
    "id, room, market, viewer, lang, summary, turns, score, reasons, status, created_at, "
    "updated_at, acknowledged_by, closed_by, kind"
)
PURCHASE = "purchase"  # high purchase intent: the host closes a sale
QUESTION = "question"  # the bot promised a follow-up it cannot give: the host answers
KINDS = (PURCHASE, QUESTION)
# Columns added after the first release, for databases made before them.
_MIGRATIONS = {"kind": "ALTER TABLE handoffs ADD COLUMN kind TEXT NOT NULL DEFAULT 'purchase'"}


class StoreError(BackendError):
    """The handoff database failed (disk full, file gone, closed): nothing was acknowledged."""


_F = TypeVar("_F", bound=Callable[..., Any])


def translated_errors(method: _F) -> _F:
    """sqlite3 errors leave the store as StoreError (503 for a client), never as themselves."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as e:
            raise StoreError(f"the handoff store is unavailable ({type(e).__name__})",
                             retryable=True) from e

    return wrapper  # type: ignore[return-value]


@dataclass(frozen=True)
class Handoff:
    id: str
    room: str
    market: str
    viewer: str
    lang: str
    summary: str
    turns: tuple[dict[str, Any], ...]
    score: float
    reasons: tuple[str, ...]
    status: str
    created_at: float
    updated_at: float
    acknowledged_by: str | None = None
    closed_by: str | None = None
    kind: str = PURCHASE

    def to_dict(self) -> dict[str, Any]:
        # Shallow on purpose: dataclasses.asdict deep-copies every turn recursively, which
        # made it the most expensive step of a handoff.
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["turns"] = [dict(t) for t in self.turns]
        d["reasons"] = list(self.reasons)
        return d


class HandoffStore:
    def __init__(self, path: Path | str, *, fsync: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # isolation_level=None: autocommit; transactions are explicit (BEGIN IMMEDIATE) so a
        # read-modify-write takes the write lock up front and cannot deadlock on upgrade.
        self._db = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=5.0
        )
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
            self._db.execute("PRAGMA foreign_keys=ON")
            # A checkpoint syncs the database file; run inline it stalled one unlucky write
            # (and the whole event loop) for up to 190 ms. Our own thread does it instead.
            self._db.execute("PRAGMA wal_autocheckpoint=0")
            self._db.executescript(_SCHEMA.split("CREATE UNIQUE INDEX")[0])
            have = {r[1] for r in self._db.execute("PRAGMA table_info(handoffs)")}
            for column, ddl in _MIGRATIONS.items():
                if column not in have:
                    self._db.execute(ddl)
            self._db.executescript("CREATE UNIQUE INDEX" + _SCHEMA.split("CREATE UNIQUE INDEX")[1])
        self._stop = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, name="handoff-checkpoint", daemon=True
        )
        self._checkpointer.start()

    def _checkpoint_loop(self, interval_s: float = 1.0) -> None:
        # PASSIVE never waits for the writer: it copies what it can and tries again later.
        db = sqlite3.connect(self.path, isolation_level=None, timeout=5.0)
        try:
            while not self._stop.wait(interval_s):
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:
                    continue  # busy or locked: the next round catches up
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()

    # --- writes

    @translated_errors
    def open_or_update(
        self,
        *,
        room: str,
        market: str,
        viewer: str,
        lang: str,
        summary: str,
        turns: Iterable[Mapping[str, Any]],
        score: float,
        reasons: Sequence[str],
        kind: str = PURCHASE,
    ) -> tuple[Handoff, bool]:
        """Open a handoff for (room, viewer), or fold this trigger into the one already open.

        Returns (handoff, created). An update appends new turns (deduplicated), keeps the max
        score, merges reasons and refreshes summary and language; it keeps status and creator.
        A question folded into a purchase stays a purchase (the more urgent); a purchase folded
        into a question makes it one, with the purchase's summary."""
        if kind not in KINDS:
            raise ValueError(f"unknown handoff kind {kind!r}")
        new_turns = [_clean_turn(t) for t in turns]
        now = time.time()
        with self._lock, self._transaction():
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM handoffs WHERE room = ? AND viewer = ? "
                "AND status != 'closed'",
                (room, viewer),
            ).fetchone()
            if row is None:
                handoff_id = uuid.uuid4().hex
                self._db.execute(
                    f"INSERT INTO handoffs ({_COLUMNS}) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,NULL,NULL,?)",
                    (
                        handoff_id, room, market, viewer, lang, summary,
                        json.dumps(new_turns[-MAX_TURNS:], ensure_ascii=False), float(score),
                        json.dumps(_merge_reasons((), reasons)), OPEN, now, now, kind,
                    ),
                )
                created = True
            else:
                handoff_id = row["id"]
                old_turns = json.loads(row["turns"])
                seen = {_turn_key(t) for t in old_turns}
                merged = old_turns + [t for t in new_turns if _turn_key(t) not in seen]
                merged_reasons = _merge_reasons(json.loads(row["reasons"]), reasons)
                if row["kind"] == PURCHASE and kind == QUESTION:
                    summary = row["summary"]  # the sale stays the headline
                merged_kind = PURCHASE if PURCHASE in (row["kind"], kind) else QUESTION
                self._db.execute(
                    "UPDATE handoffs SET market = ?, lang = ?, summary = ?, turns = ?, "
                    "score = MAX(score, ?), reasons = ?, updated_at = ?, kind = ? WHERE id = ?",
                    (
                        market, lang, summary, json.dumps(merged[-MAX_TURNS:], ensure_ascii=False),
                        float(score), json.dumps(merged_reasons), now, merged_kind, handoff_id,
                    ),
                )
                created = False
            handoff = self._get(handoff_id)
        assert handoff is not None
        return handoff, created

    @translated_errors
    def acknowledge(self, handoff_id: str, *, by: str) -> Handoff:
        """open -> acknowledged (acknowledging twice is a no-op that keeps the first host)."""
        with self._lock, self._transaction():
            current = self._require(handoff_id)
            if current.status == CLOSED:
                raise ValueError(f"handoff {handoff_id} is closed")
            if current.status == ACKNOWLEDGED:
                return current
            self._db.execute(
                "UPDATE handoffs SET status = ?, acknowledged_by = ?, updated_at = ? WHERE id = ?",
                (ACKNOWLEDGED, by, time.time(), handoff_id),
            )
            return self._require(handoff_id)

    @translated_errors
    def close(self, handoff_id: str, *, by: str) -> Handoff:
        """open|acknowledged -> closed. Closing twice is an error (it was someone else's close)."""
        with self._lock, self._transaction():
            current = self._require(handoff_id)
            if current.status == CLOSED:
                raise ValueError(f"handoff {handoff_id} is already closed")
            self._db.execute(
                "UPDATE handoffs SET status = ?, closed_by = ?, updated_at = ? WHERE id = ?",
                (CLOSED, by, time.time(), handoff_id),
            )
            return self._require(handoff_id)

    # --- reads

    @translated_errors
    def get(self, handoff_id: str) -> Handoff | None:
        with self._lock:
            return self._get(handoff_id)

    @translated_errors
    def list(
        self, *, room: str | None = None, status: str | None = "open", limit: int = 200,
        before: tuple[float, str] | None = None, kind: str | None = None,
    ) -> list[Handoff]:
        """Newest first. status: "open" = not closed (open + acknowledged), "all" or None =
        everything, or an exact status ("acknowledged", "closed"). `before` = (created_at, id)
        of the last handoff of the previous page: keyset paging, stable while new ones come."""
        where, args = [], []
        if before is not None:
            where.append("(created_at < ? OR (created_at = ? AND id > ?))")
            args += [before[0], before[0], before[1]]
        if kind is not None:
            if kind not in KINDS:
                raise ValueError(f"unknown kind {kind!r}; use one of {KINDS}")
            where.append("kind = ?")
            args.append(kind)
        if room is not None:
            where.append("room = ?")
            args.append(room)
        if status == OPEN:
            where.append("status != 'closed'")
        elif status not in (None, "all"):
            if status not in STATUSES:
                raise ValueError(f"unknown status {status!r}; use open, all, or one of {STATUSES}")
            where.append("status = ?")
            args.append(status)
        sql = f"SELECT {_COLUMNS} FROM handoffs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, id LIMIT ?"
        args.append(max(0, int(limit)))
        with self._lock:
            return [_row_to_handoff(r) for r in self._db.execute(sql, args).fetchall()]

    def close_all(self) -> None:
        """Close the database connection (the name predates the status 'closed'; it closes no
        handoff)."""
        self._stop.set()
        self._checkpointer.join(timeout=10)
        with self._lock:
            self._db.close()

    # --- internals (callers hold the lock)

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    def _get(self, handoff_id: str) -> Handoff | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM handoffs WHERE id = ?", (handoff_id,)
        ).fetchone()
        return _row_to_handoff(row) if row else None

    def _require(self, handoff_id: str) -> Handoff:
        handoff = self._get(handoff_id)
        if handoff is None:
            raise KeyError(handoff_id)
        return handoff


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on error. Commit happens before the caller's
    method returns, which is what makes a returned handoff durable."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


def _clean_turn(turn: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "role": str(turn.get("role", "viewer")),
        "text": str(turn.get("text", "")),
        "lang": str(turn.get("lang", "")),
        "ts": float(turn.get("ts") or 0.0),
    }


def _turn_key(turn: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(turn.get(k) for k in _TURN_KEYS)


def _merge_reasons(old: Iterable[str], new: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([*old, *new]))


def _row_to_handoff(row: sqlite3.Row) -> Handoff:
    return Handoff(
        id=row["id"],
        room=row["room"],
        market=row["market"],
        viewer=row["viewer"],
        lang=row["lang"],
        summary=row["summary"],
        turns=tuple(json.loads(row["turns"])),
        score=row["score"],
        reasons=tuple(json.loads(row["reasons"])),
        status=row["status"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        acknowledged_by=row["acknowledged_by"],
        closed_by=row["closed_by"],
        kind=row["kind"],
    )
