"""Market versions and the operator audit trail, in one SQLite file.

A version is the full text of a market's four files after a save, with who saved it, when,
which files changed and a short summary; rolling back copies an old version's texts into a new
version, so history only grows. The audit table records every operator request, including the
refused ones (401/403)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    market  TEXT NOT NULL,
    version INTEGER NOT NULL,
    ts      REAL NOT NULL,
    who     TEXT NOT NULL,
    action  TEXT NOT NULL,
    files   TEXT NOT NULL,   -- JSON list of the file names this version changed
    summary TEXT NOT NULL,
    content TEXT NOT NULL,   -- JSON {file name: full text}
    PRIMARY KEY (market, version)
);
CREATE TABLE IF NOT EXISTS audit (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    ts      REAL NOT NULL,
    who     TEXT NOT NULL,
    action  TEXT NOT NULL,
    market  TEXT,
    outcome TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_ts ON audit (ts);
"""


@dataclass(frozen=True, slots=True)
class Version:
    market: str
    version: int
    ts: float
    who: str
    action: str  # initial | external_edit | update | rollback
    files: list[str]
    summary: str
    content: dict[str, str]

    def meta(self) -> dict:
        return {"version": self.version, "ts": self.ts, "who": self.who, "action": self.action,
                "files": self.files, "summary": self.summary}


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    ts: float
    who: str
    action: str
    market: str | None
    outcome: str
    detail: str


class OperatorStore:
    """Thread-safe: one connection behind a lock (operator traffic is a trickle)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None,
                                   timeout=5.0)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- versions

    def latest(self, market: str) -> Version | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM versions WHERE market = ? ORDER BY version DESC LIMIT 1", (market,)
            ).fetchone()
        return _version(row) if row else None

    def get(self, market: str, version: int) -> Version | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM versions WHERE market = ? AND version = ?", (market, version)
            ).fetchone()
        return _version(row) if row else None

    def versions(self, market: str, limit: int = 100) -> list[Version]:
        """Newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM versions WHERE market = ? ORDER BY version DESC LIMIT ?",
                (market, limit),
            ).fetchall()
        return [_version(r) for r in rows]

    def add(self, market: str, *, who: str, action: str, files: list[str], summary: str,
            content: dict[str, str]) -> Version:
        """Append the next version. The number is taken inside the write transaction, so two
        processes saving at once get distinct numbers (the editor's version check catches
        the conflict before this)."""
        ts = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                (last,) = self._db.execute(
                    "SELECT COALESCE(MAX(version), 0) FROM versions WHERE market = ?", (market,)
                ).fetchone()
                self._db.execute(
                    "INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (market, last + 1, ts, who, action, json.dumps(files), summary,
                     json.dumps(content, ensure_ascii=False)),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return Version(market, last + 1, ts, who, action, files, summary, content)

    # --- audit

    def audit(self, *, who: str, action: str, market: str | None, outcome: str,
              detail: str = "") -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO audit (ts, who, action, market, outcome, detail) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (time.time(), who, action, market, outcome, detail[:2000]),
            )

    def audit_log(self, *, limit: int = 100, market: str | None = None) -> list[AuditEntry]:
        """Newest first."""
        sql, args = "SELECT * FROM audit", []
        if market is not None:
            sql += " WHERE market = ?"
            args.append(market)
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [AuditEntry(*r) for r in rows]


def _version(row: tuple) -> Version:
    market, version, ts, who, action, files, summary, content = row
    return Version(market, version, ts, who, action, json.loads(files), summary,
                   json.loads(content))
