"""The append-only audit log, chained by SHA-256 hashes (warehouse table ``audit_log``).

Each entry's ``hash`` is the SHA-256 of its own fields and of ``prev_hash``, the hash
of the entry before it (64 zeros for the first). Editing an entry changes its hash;
deleting or reordering entries breaks a ``prev_hash`` link or the run of ``seq``
numbers. The head of the chain (last seq and hash) is also kept in the warehouse's
``audit_head`` table, written in the same transaction, so deleting the *last* entries is
caught too. :func:`verify` reports the first entry that does not check out.

Whoever can rewrite the whole file can also recompute every hash; the chain proves
the log was not changed *through Portrait* or by a partial edit. Shipping the head
hash elsewhere (a WORM store, a ticket) closes that gap.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from portrait.store import layout
from portrait.store.engine import Engine

TABLE = "audit_log"
COLUMNS = [("seq", "BIGINT"), ("ts", "TIMESTAMP"), ("actor", "VARCHAR"), ("role", "VARCHAR"),
           ("action", "VARCHAR"), ("target", "VARCHAR"), ("outcome", "VARCHAR"),
           ("details", "JSON"), ("prev_hash", "VARCHAR"), ("hash", "VARCHAR")]
GENESIS = "0" * 64
#: One row: the seq and hash of the last entry, moved in the same transaction as appends.
HEAD_DDL = ("CREATE TABLE IF NOT EXISTS audit_head (id INTEGER PRIMARY KEY, seq BIGINT, "
            "hash VARCHAR)")
ALLOWED = "allowed"
DENIED = "denied"
FAILED = "failed"
#: Deferred entries waiting beyond this make deferred appends commit synchronously.
MAX_QUEUED = 10_000
_LOCKS: dict[str, threading.Lock] = {}
_log = logging.getLogger(__name__)
_LOCKS_GUARD = threading.Lock()


@dataclass(frozen=True)
class Entry:
    seq: int
    ts: dt.datetime
    actor: str
    role: str
    action: str
    target: str
    outcome: str
    details: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "ts": self.ts.isoformat(), "actor": self.actor, "role": self.role,
                "action": self.action, "target": self.target, "outcome": self.outcome,
                "details": self.details, "prev_hash": self.prev_hash, "hash": self.hash}


def _canonical(details: dict[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)


def entry_hash(seq: int, ts: dt.datetime, actor: str, role: str, action: str, target: str,
               outcome: str, details: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 over the entry's fields (canonical JSON) and the previous hash."""
    body = json.dumps([seq, ts.isoformat(), actor, role, action, target, outcome,
                       _canonical(details), prev_hash], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def ensure_table(engine: Engine) -> None:
    engine.execute(layout.create_table(TABLE, COLUMNS))
    engine.execute(HEAD_DDL)


def _lock_for(key: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


@dataclass
class _Pending:
    fields: dict[str, Any]
    deferred: bool = False
    entry: Entry | None = None
    error: BaseException | None = None


class AuditLog:
    """Appends entries to one warehouse's log; safe to share between threads.

    Appends from many threads are group-committed: whichever thread gets the writer
    lock writes every entry waiting at that moment in one transaction, and each caller
    returns only once its own entry is committed. Under load that turns one commit per
    request into one per batch, without ever answering before the entry is durable.

    A serving session may also *defer* routine entries (profile views, searches:
    :meth:`submit`): they are queued and a background thread commits the queue every
    ``interval`` seconds, so a read answers without waiting for a disk sync. The chain
    is the same (entries are chained in the order they were queued, with the waiting
    synchronous ones), a synchronous append commits everything queued before it, and
    :meth:`close` commits what is left. What deferral gives up: on a hard crash (power
    loss, ``kill -9``) the entries of the last interval are lost. If the warehouse
    refuses a write the entries stay queued and are tried again; when the queue holds
    :data:`MAX_QUEUED` entries, deferred appends wait for the commit like synchronous
    ones.

    Args:
        key: Identifies the warehouse (one writer lock per warehouse per process, so
            two threads never chain onto the same head).
    """

    def __init__(self, key: str) -> None:
        self._lock = _lock_for(key)
        self._queue_lock = threading.Lock()
        self._pending: list[_Pending] = []
        self._ready = False
        self._flusher: threading.Thread | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.failures = 0

    def append(self, engine: Engine, *, actor: str, role: str, action: str, target: str = "",
               outcome: str = ALLOWED, details: dict[str, Any] | None = None) -> Entry:
        """Append one entry (and move the chain's head); returns once it is committed."""
        item = self._enqueue(actor, role, action, target, outcome, details)
        self._commit(engine, item)
        if item.error is not None:
            raise item.error
        assert item.entry is not None
        return item.entry

    def submit(self, engine: Engine, *, actor: str, role: str, action: str, target: str = "",
               outcome: str = ALLOWED, details: dict[str, Any] | None = None) -> None:
        """Queue one entry for the background writer (or append it now if there is none,
        or if the queue is full)."""
        if self._flusher is None:
            self.append(engine, actor=actor, role=role, action=action, target=target,
                        outcome=outcome, details=details)
            return
        self._enqueue(actor, role, action, target, outcome, details, deferred=True)
        with self._queue_lock:
            full = len(self._pending) >= MAX_QUEUED
        if full:
            self._commit(engine, None)

    def _enqueue(self, actor: str, role: str, action: str, target: str, outcome: str,
                 details: dict[str, Any] | None, *, deferred: bool = False) -> _Pending:
        item = _Pending({"ts": dt.datetime.now(dt.UTC).replace(tzinfo=None), "actor": actor,
                         "role": role, "action": action, "target": target, "outcome": outcome,
                         "details": dict(details or {})}, deferred=deferred)
        with self._queue_lock:
            self._pending.append(item)
        return item

    def _commit(self, engine: Engine, item: _Pending | None) -> None:
        """Write everything queued (unless ``item`` was already written by another thread)."""
        with self._lock:
            if item is not None and (item.entry is not None or item.error is not None):
                return
            with self._queue_lock:
                batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                if not self._ready:
                    ensure_table(engine)
                    self._ready = True
                for pending, entry in zip(batch, _write(engine, batch), strict=True):
                    pending.entry = entry
            except BaseException as exc:
                # deferred entries have no caller waiting: keep them for the next try;
                # a waiting caller gets the error
                with self._queue_lock:
                    self._pending[:0] = [p for p in batch if p.deferred]
                for pending in batch:
                    if not pending.deferred:
                        pending.error = exc
                if item is None:
                    raise

    def defer(self, engine_for_thread: Callable[[], Engine], interval: float) -> None:
        """Start the background writer: queued entries are committed every ``interval`` s."""
        if self._flusher is not None:
            return
        self._stop.clear()

        def run() -> None:
            engine = engine_for_thread()
            while not self._stop.is_set():
                self._wake.wait(interval)
                self._wake.clear()
                try:
                    self._commit(engine, None)
                except Exception:  # kept queued, retried, counted
                    self.failures += 1
                    _log.exception("audit: writing queued entries failed; will retry")

        self._flusher = threading.Thread(target=run, name="audit-writer", daemon=True)
        self._flusher.start()

    def flush(self, engine: Engine) -> None:
        """Commit every queued entry now (before reading the log, so a reader sees
        everything done before)."""
        self._commit(engine, None)

    @property
    def queued(self) -> int:
        with self._queue_lock:
            return len(self._pending)

    def close(self, engine: Engine) -> None:
        """Stop the background writer and commit whatever is still queued."""
        flusher, self._flusher = self._flusher, None
        if flusher is not None:
            self._stop.set()
            self._wake.set()
            flusher.join()
        self._commit(engine, None)


def _tail(engine: Engine) -> tuple[int, str, bool]:
    """(seq, hash) of the chain's head: the recorded head, else the last entry; and
    whether the head is recorded."""
    rows = engine.query("SELECT seq, hash FROM audit_head WHERE id = 1")
    if rows:
        return int(rows[0][0]), str(rows[0][1]), True
    rows = engine.query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
    return (int(rows[0][0]), str(rows[0][1]), False) if rows else (0, GENESIS, False)


def _write(engine: Engine, batch: list[_Pending]) -> list[Entry]:
    """Chain and insert a batch of entries and move the head, in one transaction."""
    engine.execute("BEGIN TRANSACTION")
    try:
        seq, prev, recorded = _tail(engine)
        entries, params = [], []
        for pending in batch:
            f = pending.fields
            seq, ts = seq + 1, f["ts"]
            digest = entry_hash(seq, ts, f["actor"], f["role"], f["action"], f["target"],
                                f["outcome"], f["details"], prev)
            entries.append(Entry(seq, ts, f["actor"], f["role"], f["action"], f["target"],
                                 f["outcome"], f["details"], prev, digest))
            params += [seq, ts, f["actor"], f["role"], f["action"], f["target"], f["outcome"],
                       _canonical(f["details"]), prev, digest]
            prev = digest
        rows = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(batch))
        engine.execute(f"INSERT INTO audit_log VALUES {rows}", params)
        # an UPDATE of the one row costs DuckDB a quarter of an INSERT OR REPLACE
        if recorded:
            engine.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", [seq, prev])
        else:
            engine.execute("INSERT INTO audit_head VALUES (1, ?, ?)", [seq, prev])
        engine.execute("COMMIT")
    except BaseException:
        engine.execute("ROLLBACK")
        raise
    return entries


def _entry(row: Sequence[Any]) -> Entry:
    details = json.loads(row[7]) if row[7] else {}
    return Entry(int(row[0]), row[1], row[2], row[3], row[4], row[5], row[6], details, row[8], row[9])


def entries(engine: Engine, *, limit: int = 50, offset: int = 0, actor: str | None = None,
            action: str | None = None, target: str | None = None, outcome: str | None = None,
            newest_first: bool = True) -> tuple[list[Entry], int]:
    """A page of entries matching the filters (exact values), and how many match in all."""
    ensure_table(engine)
    where, params = ["true"], []
    for column, value in (("actor", actor), ("action", action), ("target", target),
                          ("outcome", outcome)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    cond = " AND ".join(where)
    total = int(engine.query(f"SELECT count(*) FROM audit_log WHERE {cond}", params)[0][0])
    order = "DESC" if newest_first else "ASC"
    rows = engine.query(f"SELECT * FROM audit_log WHERE {cond} ORDER BY seq {order} "
                        "LIMIT ? OFFSET ?", [*params, limit, offset])
    return [_entry(r) for r in rows], total


@dataclass
class Verification:
    """Result of checking the chain: ``ok``, entries checked, and the first bad seq."""

    ok: bool
    entries: int
    first_bad_seq: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "first_bad_seq": self.first_bad_seq,
                "problem": self.problem}


def verify(engine: Engine, *, batch: int = 50_000) -> Verification:
    """Recompute the chain from the first entry; stop at the first that does not check out."""
    ensure_table(engine)
    expected_seq, prev, checked = 1, GENESIS, 0
    while True:
        rows = engine.query("SELECT * FROM audit_log ORDER BY seq, hash LIMIT ? OFFSET ?",
                            [batch, checked])
        if not rows:
            break
        for row in rows:
            e = _entry(row)
            if e.seq != expected_seq:
                what = "missing" if e.seq > expected_seq else "duplicated"
                return Verification(False, checked, expected_seq,
                                    f"entry {expected_seq} is {what} (next found: {e.seq})")
            if e.prev_hash != prev:
                return Verification(False, checked, e.seq,
                                    f"entry {e.seq} does not link to entry {e.seq - 1}")
            recomputed = entry_hash(e.seq, e.ts, e.actor, e.role, e.action, e.target, e.outcome,
                                    e.details, e.prev_hash)
            if recomputed != e.hash:
                return Verification(False, checked, e.seq, f"entry {e.seq} was modified")
            prev, expected_seq, checked = e.hash, e.seq + 1, checked + 1
    head = engine.query("SELECT seq, hash FROM audit_head WHERE id = 1")
    if head:
        head_seq, head_hash = int(head[0][0]), str(head[0][1])
        if head_seq != checked or head_hash != prev:
            return Verification(False, checked, checked + 1 if head_seq > checked else head_seq,
                                f"the log ends at entry {checked} but its recorded head is "
                                f"entry {head_seq}: entries were removed or the head was changed")
    elif checked:
        return Verification(False, checked, 1, "the recorded head of the chain is missing")
    return Verification(True, checked)
