"""Questions the market data could not answer, per market, grouped and counted (Intercom Fin's
"unresolved questions"): what operators should add to the FAQ or the catalog next.

Each time a reply says "I'll check with the host", the viewer's words are recorded under a
group keyed by their normalized text (case, accents, punctuation and spacing folded), with a
count, distinct viewers, first and last time, and a few recent wordings. An operator turns a
group into an FAQ entry (status `faq`, with the entry's id) or dismisses it; asked again after
that, it opens again - the FAQ did not catch that wording.

Same SQLite file as the handoffs (durable records the host and operators act on), own
connection and lock; writes only on unanswered questions, inline like the handoff store's."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from assistant.handoff.store import translated_errors

OPEN, FAQ, DISMISSED = "open", "faq", "dismissed"
STATUSES = (OPEN, FAQ, DISMISSED)
EXAMPLES_KEPT = 10  # recent wordings kept per group

_SCHEMA = """
CREATE TABLE IF NOT EXISTS question_groups (
    id         TEXT PRIMARY KEY,
    market     TEXT NOT NULL,
    key        TEXT NOT NULL,
    text       TEXT NOT NULL,     -- the first wording seen
    lang       TEXT NOT NULL,
    topic      TEXT NOT NULL,
    sku        TEXT,
    asks       INTEGER NOT NULL,
    first_at   REAL NOT NULL,
    last_at    REAL NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('open', 'faq', 'dismissed')),
    faq_id     TEXT,
    UNIQUE (market, key)
);
CREATE INDEX IF NOT EXISTS question_groups_market ON question_groups (market, status, asks);
CREATE TABLE IF NOT EXISTS question_viewers (
    group_id TEXT NOT NULL,
    viewer   TEXT NOT NULL,       -- room + viewer: "distinct viewers" counts people, not asks
    PRIMARY KEY (group_id, viewer)
);
CREATE TABLE IF NOT EXISTS question_examples (
    group_id TEXT NOT NULL,
    ts       REAL NOT NULL,
    room     TEXT NOT NULL,
    text     TEXT NOT NULL,
    lang     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS question_examples_group ON question_examples (group_id, ts);
"""


def question_key(text: str) -> str:
    """What two wordings of one question share: NFKC, casefold, no accents, no punctuation or
    symbols (emoji), single spaces."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    kept = []
    for ch in folded:
        cat = unicodedata.category(ch)
        if cat == "Mn":
            continue
        kept.append(" " if cat[0] in "PSZC" else ch)
    return " ".join("".join(kept).split())


@dataclass(frozen=True, slots=True)
class QuestionGroup:
    id: str
    market: str
    text: str
    lang: str
    topic: str
    sku: str | None
    asks: int
    viewers: int
    first_at: float
    last_at: float
    status: str
    faq_id: str | None
    examples: tuple[dict, ...] = ()

    def to_dict(self) -> dict:
        return {"id": self.id, "market": self.market, "text": self.text, "lang": self.lang,
                "topic": self.topic, "sku": self.sku, "asks": self.asks,
                "viewers": self.viewers, "first_at": self.first_at, "last_at": self.last_at,
                "status": self.status, "faq_id": self.faq_id,
                "examples": [dict(e) for e in self.examples]}


class UnansweredQuestions:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None,
                                   timeout=5.0)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @translated_errors
    def record(self, *, market: str, room: str, viewer: str, text: str, lang: str, topic: str,
               sku: str | None) -> QuestionGroup | None:
        """Count one unanswered ask; returns its group (None for text with nothing to group)."""
        key = question_key(text)
        if not key:
            return None
        gid = hashlib.sha256(f"{market}\x00{key}".encode()).hexdigest()[:16]
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO question_groups (id, market, key, text, lang, topic, sku, asks, "
                    "first_at, last_at, status) VALUES (?,?,?,?,?,?,?,1,?,?,'open') "
                    "ON CONFLICT (market, key) DO UPDATE SET asks = asks + 1, last_at = ?, "
                    "status = 'open'",
                    (gid, market, key, text[:500], lang, topic, sku, now, now, now))
                self._db.execute("INSERT OR IGNORE INTO question_viewers VALUES (?, ?)",
                                 (gid, f"{room}\x00{viewer}"))
                self._db.execute("INSERT INTO question_examples VALUES (?,?,?,?,?)",
                                 (gid, now, room, text[:500], lang))
                self._db.execute(
                    "DELETE FROM question_examples WHERE group_id = ? AND rowid NOT IN ("
                    "SELECT rowid FROM question_examples WHERE group_id = ? "
                    "ORDER BY ts DESC LIMIT ?)", (gid, gid, EXAMPLES_KEPT))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return self._get(gid)

    @translated_errors
    def groups(self, market: str, *, status: str | None = OPEN,
               limit: int = 100) -> list[QuestionGroup]:
        """Most asked first (then most recent)."""
        sql = "SELECT id FROM question_groups WHERE market = ?"
        args: list = [market]
        if status not in (None, "all"):
            if status not in STATUSES:
                raise ValueError(f"status must be one of {', '.join(STATUSES)} or all")
            sql += " AND status = ?"
            args.append(status)
        sql += " ORDER BY asks DESC, last_at DESC LIMIT ?"
        args.append(max(1, int(limit)))
        with self._lock:
            ids = [r["id"] for r in self._db.execute(sql, args)]
            return [g for g in (self._get(i) for i in ids) if g is not None]

    @translated_errors
    def get(self, group_id: str) -> QuestionGroup | None:
        with self._lock:
            return self._get(group_id)

    @translated_errors
    def resolve(self, group_id: str, *, status: str, faq_id: str | None = None) -> QuestionGroup:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        with self._lock:
            cur = self._db.execute("UPDATE question_groups SET status = ?, faq_id = ? "
                                   "WHERE id = ?", (status, faq_id, group_id))
            if cur.rowcount == 0:
                raise KeyError(group_id)
            group = self._get(group_id)
        assert group is not None
        return group

    def _get(self, group_id: str) -> QuestionGroup | None:
        row = self._db.execute("SELECT * FROM question_groups WHERE id = ?",
                               (group_id,)).fetchone()
        if row is None:
            return None
        viewers = self._db.execute("SELECT COUNT(*) FROM question_viewers WHERE group_id = ?",
                                   (group_id,)).fetchone()[0]
        examples = tuple(
            {"ts": r["ts"], "room": r["room"], "text": r["text"], "lang": r["lang"]}
            for r in self._db.execute("SELECT * FROM question_examples WHERE group_id = ? "
                                      "ORDER BY ts DESC", (group_id,)))
        return QuestionGroup(row["id"], row["market"], row["text"], row["lang"], row["topic"],
                             row["sku"], row["asks"], viewers, row["first_at"], row["last_at"],
                             row["status"], row["faq_id"], examples)
