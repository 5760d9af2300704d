"""Tag history: hand-computed rows for each road :func:`portrait.tags.history.record`
takes, and parity with the plain rule (every value against its open row) over random
sequences of builds."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from portrait.store import open_engine
from portrait.store.engine import Engine
from portrait.tags import history as history_mod
from portrait.tags import snapshots

TAGS = ["n", "c", "s"]
D1, D2, D3 = dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31)
Row = tuple[str, float | None, str | None, list[str]]


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    eng = open_engine("duckdb", tmp_path / "h.duckdb")
    snapshots.ensure_tables(eng)
    return eng


def write(engine: Engine, day: dt.date, rows: list[Row], n_type: str = "DOUBLE") -> str:
    """Write and register the snapshot as of ``day``, as a build does before recording."""
    table = snapshots.table_name(day)
    engine.execute(f"CREATE OR REPLACE TABLE {table} (customer_id VARCHAR, n {n_type}, c VARCHAR, "
                   "s VARCHAR[])")
    for row in rows:
        engine.execute(f"INSERT INTO {table} VALUES (?, ?, ?, ?)", list(row))
    engine.execute(f"DELETE FROM {snapshots.REGISTRY} WHERE as_of = ?", [day])
    engine.execute(f"INSERT INTO {snapshots.REGISTRY} VALUES (?, ?, now(), ?, '{{}}', ?)",
                   [day, table, json.dumps(TAGS), len(rows)])
    return table


def history(engine: Engine, table: str = snapshots.HISTORY) -> list[tuple[Any, ...]]:
    return engine.query(f"SELECT customer_id, tag, value, valid_from, valid_to FROM {table} "
                        "ORDER BY ALL")


@pytest.mark.parametrize("batch", [1, history_mod.PAIR_BATCH])
def test_each_path_records_what_changed(engine: Engine, batch: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history_mod, "PAIR_BATCH", batch)  # tags paired one at a time, or together
    # first build: no history yet, every value is inserted ('null' and [] included)
    first = write(engine, D1, [("a", 1.0, "x", ["p"]), ("b", None, "y", [])])
    assert snapshots.record_history(engine, D1, first, TAGS) == 6
    assert history(engine) == [
        ("a", "c", '"x"', D1, None), ("a", "n", "1", D1, None), ("a", "s", '["p"]', D1, None),
        ("b", "c", '"y"', D1, None), ("b", "n", "null", D1, None), ("b", "s", "[]", D1, None)]
    # a later date, compared with the snapshot before it: a's n and b's c move
    second = write(engine, D2, [("a", 2.0, "x", ["p"]), ("b", None, "y2", [])])
    assert snapshots.record_history(engine, D2, second, TAGS) == 2
    # the same date again with another value: what that date recorded is replaced
    write(engine, D2, [("a", 2.5, "x", ["p"]), ("b", None, "y2", [])])
    assert snapshots.record_history(engine, D2, second, TAGS) == 1
    # and once more with the same values: nothing
    assert snapshots.record_history(engine, D2, second, TAGS) == 0
    # b leaves and c arrives: b's open rows close, c's values open
    third = write(engine, D3, [("a", 2.5, "x", ["p"]), ("c", 3.0, "z", ["q", "r"])])
    assert snapshots.record_history(engine, D3, third, TAGS) == 6
    assert history(engine) == [
        ("a", "c", '"x"', D1, None), ("a", "n", "1", D1, D2), ("a", "n", "2.5", D2, None),
        ("a", "s", '["p"]', D1, None),
        ("b", "c", '"y"', D1, D2), ("b", "c", '"y2"', D2, D3), ("b", "n", "null", D1, D3),
        ("b", "s", "[]", D1, D3),
        ("c", "c", '"z"', D3, None), ("c", "n", "3", D3, None), ("c", "s", '["q","r"]', D3, None)]


def test_a_tag_new_to_history_beside_tags_already_there(engine: Engine) -> None:
    first = write(engine, D1, [("a", 1.0, "x", ["p"])])
    assert snapshots.record_history(engine, D1, first, ["n"]) == 1
    second = write(engine, D2, [("a", 1.0, "w", ["p"])])
    assert snapshots.record_history(engine, D2, second, TAGS) == 2  # c and s are new; n kept
    assert history(engine) == [("a", "c", '"w"', D2, None), ("a", "n", "1", D1, None),
                               ("a", "s", '["p"]', D2, None)]


def test_a_previous_snapshot_changed_behind_historys_back_is_not_trusted(engine: Engine) -> None:
    first = write(engine, D1, [("a", 1.0, "x", ["p"])])
    snapshots.record_history(engine, D1, first, TAGS)
    engine.execute(f"UPDATE {first} SET n = 5")  # history still holds 1
    second = write(engine, D2, [("a", 1.0, "x", ["p"])])
    assert snapshots.record_history(engine, D2, second, TAGS) == 0
    assert history(engine) == [("a", "c", '"x"', D1, None), ("a", "n", "1", D1, None),
                               ("a", "s", '["p"]', D1, None)]


def test_a_zero_that_changes_sign_is_a_change(engine: Engine) -> None:
    first = write(engine, D1, [("a", 0.0, "x", [])])
    snapshots.record_history(engine, D1, first, ["n"])
    second = write(engine, D2, [("a", -0.0, "x", [])])
    assert snapshots.record_history(engine, D2, second, ["n"]) == 1  # '0' then '-0'


# -- parity with the plain algorithm --------------------------------------------------
REFERENCE = "ref_history"


def reference_record(engine: Engine, as_of: dt.date, table: str, tags: list[str]) -> int:
    """The plain algorithm: every (customer, tag) value against its open row."""
    listed = ", ".join(f"'{t}'" for t in tags)
    day = f"DATE '{as_of.isoformat()}'"
    latest = engine.query(f"SELECT max(valid_from) FROM {REFERENCE} WHERE tag IN ({listed})")[0][0]
    assert latest is None or as_of >= latest, "the parity test builds forward only"
    types = engine.columns(table)
    parts = [f"SELECT customer_id, '{t}' AS tag, coalesce("
             + (f"printf('%.12g', {t})" if types[t] == "DOUBLE" else f"CAST(to_json({t}) AS VARCHAR)")
             + f", 'null') AS value FROM {table}" for t in tags]
    engine.execute("CREATE OR REPLACE TEMP TABLE rn AS " + " UNION ALL ".join(parts))

    def diff() -> int:
        engine.execute(
            "CREATE OR REPLACE TEMP TABLE rc AS SELECT coalesce(n.customer_id, o.customer_id) AS "
            "customer_id, coalesce(n.tag, o.tag) AS tag, n.value AS new_value, o.value IS NOT NULL "
            f"AS was_open FROM rn n FULL JOIN (SELECT * FROM {REFERENCE} WHERE valid_to IS NULL AND "
            f"tag IN ({listed})) o ON n.customer_id = o.customer_id AND n.tag = o.tag "
            "WHERE n.value IS DISTINCT FROM o.value")
        return int(engine.query("SELECT count(*) FROM rc")[0][0])

    changed = diff()
    if latest == as_of and changed:
        engine.execute(f"DELETE FROM {REFERENCE} WHERE tag IN ({listed}) AND valid_from = {day}")
        engine.execute(f"UPDATE {REFERENCE} SET valid_to = NULL WHERE tag IN ({listed}) "
                       f"AND valid_to = {day}")
        diff()
    engine.execute(f"UPDATE {REFERENCE} h SET valid_to = {day} FROM rc c WHERE h.customer_id = "
                   "c.customer_id AND h.tag = c.tag AND h.valid_to IS NULL AND c.was_open")
    engine.execute(f"INSERT INTO {REFERENCE} SELECT customer_id, tag, new_value, {day}, NULL "
                   "FROM rc WHERE new_value IS NOT NULL")
    return changed


customers = st.dictionaries(
    st.sampled_from("abcde"),
    st.tuples(st.sampled_from([None, 0.0, -0.0, 1.5, 1.0 / 3, 1.0 / 3 + 1e-15]),
              st.sampled_from([None, "x", "y"]),
              st.lists(st.sampled_from("pq"), max_size=2, unique=True).map(sorted)),
    max_size=5)
builds = st.lists(st.tuples(st.integers(0, 1), customers, st.sampled_from([TAGS, ["n"], ["c", "s"]]),
                            st.sampled_from(["DOUBLE", "DOUBLE", "INTEGER"]), st.booleans()),
                  min_size=1, max_size=6)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(builds)
def test_same_history_as_the_plain_algorithm(
        engine: Engine, steps: list[tuple[int, dict[str, Any], list[str], str, bool]]) -> None:
    engine.execute(f"DELETE FROM {snapshots.HISTORY}")
    engine.execute(f"DELETE FROM {snapshots.REGISTRY}")
    engine.execute(f"CREATE OR REPLACE TABLE {REFERENCE} AS SELECT * FROM {snapshots.HISTORY}")
    day, table = D1, None
    for advance, values, tags, n_type, tamper in steps:
        if tamper and table is not None:  # the previous snapshot changed without its history
            engine.execute(f"UPDATE {table} SET c = 'tampered' WHERE customer_id = 'a'")
        day += dt.timedelta(days=advance)  # 0: a rebuild of the same date
        rows = [(k, None if n_type == "INTEGER" else v[0], *v[1:]) for k, v in sorted(values.items())]
        table = write(engine, day, rows, n_type)
        expected = reference_record(engine, day, table, tags)
        assert snapshots.record_history(engine, day, table, tags) == expected
        assert history(engine) == history(engine, REFERENCE)


# -- backfills: a date older than the latest ------------------------------------------
def test_a_backfilled_date_splits_merges_and_prepends_runs(engine: Engine) -> None:
    write(engine, D1, [("a", 1.0, "x", []), ("b", 1.0, "x", [])])
    snapshots.record_history(engine, D1, snapshots.table_name(D1), ["n", "c"])
    write(engine, D3, [("a", 1.0, "y", []), ("b", 1.0, "x", []), ("c", 2.0, "z", [])])
    snapshots.record_history(engine, D3, snapshots.table_name(D3), ["n", "c"])
    # D2 lies between: a's n moves and comes back (split), a's c takes D3's value early
    # (merge), b's c moves once (a run of its own), c joined by D2 (prepended to its first run)
    d2 = write(engine, D2, [("a", 5.0, "y", []), ("b", 1.0, "w", []), ("c", 3.0, "z", [])])
    assert snapshots.record_history(engine, D2, d2, ["n", "c"]) == 5
    assert history(engine) == [
        ("a", "c", '"x"', D1, D2), ("a", "c", '"y"', D2, None),
        ("a", "n", "1", D1, D2), ("a", "n", "1", D3, None), ("a", "n", "5", D2, D3),
        ("b", "c", '"w"', D2, D3), ("b", "c", '"x"', D1, D2), ("b", "c", '"x"', D3, None),
        ("b", "n", "1", D1, None),
        ("c", "c", '"z"', D2, None), ("c", "n", "2", D3, None), ("c", "n", "3", D2, D3)]


joined = st.dictionaries(st.sampled_from("abcd"), st.integers(0, 3), min_size=1)
values = st.lists(st.tuples(st.sampled_from([None, 1.0, 2.0]), st.sampled_from([None, "x", "y"])),
                  min_size=4, max_size=4)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(joined, st.dictionaries(st.sampled_from("abcd"), values), st.permutations(range(4)))
# the latest snapshot changed nothing (no run starts on it), then an earlier date is built
@example({"c": 0}, {"c": [(None, None), (1.0, "x"), (None, None), (1.0, "x")]}, [0, 1, 3, 2])
def test_backfills_record_what_a_recompute_would(
        engine: Engine, first: dict[str, int], series: dict[str, list[tuple[float | None, str | None]]],
        order: list[int]) -> None:
    """Snapshots built in any order (customers stay once they join) end with the history a
    recompute from every snapshot gives."""
    engine.execute(f"DELETE FROM {snapshots.HISTORY}")
    engine.execute(f"DELETE FROM {snapshots.REGISTRY}")
    days = [D1 + dt.timedelta(days=10 * i) for i in range(4)]
    for i in order:
        rows: list[Row] = [(k, *series.get(k, [(None, None)] * 4)[i], []) for k, j in sorted(first.items())
                           if j <= i]
        table = write(engine, days[i], rows)
        snapshots.record_history(engine, days[i], table, ["n", "c"])
        built = history(engine)
        history_mod._recompute(engine, ["n", "c"])
        assert built == history(engine)
