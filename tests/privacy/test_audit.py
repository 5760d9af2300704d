"""The hash-chained audit log: any edited, reordered or deleted entry is found."""

from __future__ import annotations

import json

import pytest

from portrait.privacy import audit
from portrait.store import Workspace
from portrait.store.engine import Engine


@pytest.fixture
def logged(workspace: Workspace) -> Engine:
    eng = workspace.engine()
    log = audit.AuditLog(str(workspace.warehouse_path))
    for n in range(1, 6):
        log.append(eng, actor=f"user{n}", role="analyst", action="customers.view",
                   target=f"customer:C{n}", details={"pii": "masked", "n": n})
    return eng


def test_chain_links_and_verifies(logged: Engine) -> None:
    rows = logged.query("SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq")
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0][1] == audit.GENESIS
    assert all(rows[i][1] == rows[i - 1][2] for i in range(1, 5))
    assert audit.verify(logged) == audit.Verification(True, 5)
    assert logged.query("SELECT seq, hash FROM audit_head") == [(5, rows[-1][2])]


def test_edited_details_are_found(logged: Engine) -> None:
    logged.execute("UPDATE audit_log SET details = ? WHERE seq = 3",
                   [json.dumps({"pii": "clear", "n": 3})])
    result = audit.verify(logged)
    assert (result.ok, result.first_bad_seq, result.entries) == (False, 3, 2)
    assert "modified" in str(result.problem)


def test_edited_actor_is_found(logged: Engine) -> None:
    logged.execute("UPDATE audit_log SET actor = 'someone_else' WHERE seq = 2")
    assert audit.verify(logged).first_bad_seq == 2


def test_deleted_entry_is_found(logged: Engine) -> None:
    logged.execute("DELETE FROM audit_log WHERE seq = 2")
    result = audit.verify(logged)
    assert (result.ok, result.first_bad_seq) == (False, 2)
    assert "missing" in str(result.problem)


def test_deleted_last_entry_is_found_through_the_head(logged: Engine) -> None:
    logged.execute("DELETE FROM audit_log WHERE seq = 5")
    result = audit.verify(logged)
    assert (result.ok, result.first_bad_seq) == (False, 5)


def test_reordered_entries_are_found(logged: Engine) -> None:
    logged.execute("UPDATE audit_log SET seq = CASE seq WHEN 2 THEN 3 ELSE 2 END WHERE seq IN (2, 3)")
    result = audit.verify(logged)
    assert (result.ok, result.first_bad_seq) == (False, 2)


def test_delete_and_relink_is_still_found(logged: Engine) -> None:
    """Removing entry 3 and renumbering the rest breaks the hashes, which include seq."""
    logged.execute("DELETE FROM audit_log WHERE seq = 3")
    logged.execute("UPDATE audit_log SET seq = seq - 1 WHERE seq > 3")
    assert audit.verify(logged).first_bad_seq == 3


def test_entries_pages_and_filters(logged: Engine) -> None:
    page, total = audit.entries(logged, limit=2, offset=1)
    assert total == 5 and [e.seq for e in page] == [4, 3]
    page, total = audit.entries(logged, actor="user2")
    assert total == 1 and page[0].details == {"pii": "masked", "n": 2}


def test_appends_continue_after_reopening(workspace: Workspace, logged: Engine) -> None:
    logged.close()
    eng = workspace.engine()
    try:
        entry = audit.AuditLog(str(workspace.warehouse_path)).append(
            eng, actor="x", role="compliance", action="audit.view")
        assert entry.seq == 6
        assert audit.verify(eng).ok
    finally:
        eng.close()


def test_a_log_without_its_head_row_continues_from_its_last_entry(logged: Engine) -> None:
    """A log kept before the head was recorded: the next append chains on the last
    entry and records the head (then moves it)."""
    logged.execute("DELETE FROM audit_head")
    log = audit.AuditLog("no-head")
    for n in (6, 7):
        entry = log.append(logged, actor="x", role="compliance", action="audit.view")
        assert entry.seq == n
        assert logged.query("SELECT seq, hash FROM audit_head") == [(n, entry.hash)]
    assert audit.verify(logged) == audit.Verification(True, 7)


def test_concurrent_appends_form_one_chain(workspace: Workspace) -> None:
    """Many threads appending at once are group-committed into one unbroken chain."""
    import threading

    log = audit.AuditLog(str(workspace.warehouse_path))
    engines = [workspace.engine() for _ in range(8)]
    seqs: list[int] = []

    def work(eng: Engine, n: int) -> None:
        for i in range(10):
            seqs.append(log.append(eng, actor=f"t{n}", role="analyst", action="x",
                                   details={"i": i}).seq)

    threads = [threading.Thread(target=work, args=(e, n)) for n, e in enumerate(engines)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert sorted(seqs) == list(range(1, 81))
        assert audit.verify(engines[0]) == audit.Verification(True, 80)
    finally:
        for eng in engines:
            eng.close()


class _FailingFirst:
    """The real warehouse connection, except that the first ``n`` statements fail (a
    disk-full or lock error on the way to the warehouse)."""

    def __init__(self, engine: Engine, n: int) -> None:
        self.engine, self.left = engine, n

    def execute(self, sql: object, params: object = None) -> None:
        if self.left:
            self.left -= 1
            raise OSError("disk full")
        self.engine.execute(sql, params)  # type: ignore[arg-type]

    def query(self, sql: object, params: object = None) -> object:
        return self.engine.query(sql, params)  # type: ignore[arg-type]


def test_deferred_entries_survive_a_failed_write_and_keep_their_order(
        workspace: Workspace) -> None:
    eng = workspace.engine()
    log = audit.AuditLog(str(workspace.warehouse_path) + "#deferred")
    audit.ensure_table(eng)
    log._ready = True  # the tables exist; the first write below is made to fail
    flaky = _FailingFirst(eng, 1)
    log.defer(lambda: flaky, 3600.0)  # type: ignore[arg-type, return-value]
    try:
        log.submit(eng, actor="a", role="analyst", action="customers.view", target="customer:C1")
        with pytest.raises(OSError):  # a waiting caller is told; the deferred entry is kept
            log.append(flaky, actor="b", role="analyst",  # type: ignore[arg-type]
                       action="customers.export", target="customer:C2")
        assert log.queued == 1
        log.submit(eng, actor="c", role="analyst", action="customers.view", target="customer:C3")
    finally:
        log.close(eng)
    entries, total = audit.entries(eng, newest_first=False)
    assert total == 2 and [e.actor for e in entries] == ["a", "c"]
    assert audit.verify(eng).ok
