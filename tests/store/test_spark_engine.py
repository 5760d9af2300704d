"""The Spark engine: registry, the Parquet round trip, and parity with DuckDB on real data.

One Spark session serves the whole module (a JVM takes several seconds to start). The
tests skip when PySpark is not installed; the registry's message for that case is
tested without it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from portrait.errors import DefinitionError, UsageError
from portrait.store import Workspace, init_workspace, open_engine, spark_engine
from portrait.store.engine import CAP_COMPUTE, Engine
from portrait.tags.build import build
from portrait.tags.loader import load_catalog
from portrait.tags.plan import Plan, build_plan
from tests.conftest import shared
from tests.tags.test_tag_build import AS_OF, FIXTURE, add_undated_row, fill

BERKA_AS_OF = dt.date(1994, 3, 30)
needs_spark = pytest.mark.skipif(not spark_engine.pyspark_available(),
                                 reason="PySpark is not installed (pip install 'portrait[spark]')")
pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    pytest.importorskip("pyspark")
    root = tmp_path_factory.mktemp("spark")
    engine = open_engine("spark", root, {})
    yield engine
    engine.close()
    assert not (root / ".spark").exists(), "the engine leaves no scratch files behind"


# -- the registry ----------------------------------------------------------------------------
@needs_spark
def test_open_engine_gives_a_compute_engine_that_starts_nothing(tmp_path: Path) -> None:
    engine = open_engine("spark", tmp_path, {"master": "local[1]"})
    assert isinstance(engine, spark_engine.SparkEngine)
    assert (engine.name, engine.dialect) == ("spark", "spark")
    assert engine.capabilities == frozenset({CAP_COMPUTE})
    assert not engine.started  # the JVM starts on first use only
    engine.close()


def test_without_pyspark_opening_says_how_to_install(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setattr(spark_engine, "pyspark_available", lambda: False)
    with pytest.raises(UsageError, match="needs PySpark") as err:
        open_engine("spark", tmp_path)
    assert err.value.hint == "pip install 'portrait[spark]'"


@needs_spark
def test_the_warehouse_stays_duckdb(tmp_path: Path) -> None:
    engine = open_engine("spark", tmp_path)
    for call in (engine.ensure_canonical_tables, engine.reset_staging,
                 lambda: engine.publish([], lambda e: None), lambda: engine.get_meta("x")):
        with pytest.raises(UsageError, match="the warehouse stays DuckDB"):
            call()
    engine.close()


def test_tables_read_skips_ctes() -> None:
    sql = ("WITH b AS (SELECT * FROM customers AS c), g AS (SELECT * FROM transactions AS t "
           "LEFT JOIN accounts AS account ON t.account_id = account.account_id) "
           "SELECT * FROM b LEFT JOIN g USING (customer_id)")
    assert spark_engine.tables_read(sql) == ["customers", "transactions", "accounts"]


# -- SQL and the Parquet round trip ------------------------------------------------------------
def test_query_runs_spark_sql(spark: Engine) -> None:
    assert spark.query("SELECT 1 + 1 AS two, 'x' AS s") == [(2, "x")]
    assert spark.query("SELECT ? * 2", [21]) == [(42,)]
    table = spark.query_arrow("SELECT CAST(1.5 AS DOUBLE) AS d, array('a', 'b') AS l")
    assert table.to_pylist() == [{"d": 1.5, "l": ["a", "b"]}]


def test_write_arrow_makes_a_view(spark: Engine) -> None:
    import pyarrow as pa

    spark.write_arrow("small", pa.table({"k": ["a", "b"], "v": [1, 2]}))
    spark.write_arrow("small", pa.table({"k": ["c"], "v": [3]}), append=True)
    assert spark.has_table("small")
    assert spark.columns("small") == {"k": "STRING", "v": "BIGINT"}
    assert spark.query("SELECT sum(v), count(*) FROM small") == [(6, 3)]


def test_materialize_round_trips_values_and_types(spark: Engine, tmp_path: Path) -> None:
    warehouse = open_engine("duckdb", tmp_path / "w.duckdb")
    warehouse.execute("""CREATE TABLE kinds AS SELECT * FROM (VALUES
        (1, 10000000000::BIGINT, 1.25::DOUBLE, 12.30::DECIMAL(18,2), 'žluťoučký kůň',
         DATE '1994-03-30', TIMESTAMP '1994-03-30 12:34:56.5', TRUE, ['b', 'a']),
        (2, NULL, NULL, -0.01::DECIMAL(18,2), NULL, NULL, NULL, NULL, NULL),
        (3, -1, -1e-300, 0::DECIMAL(18,2), '', DATE '1900-01-01', TIMESTAMP '1900-01-01 00:00:00',
         FALSE, []::VARCHAR[])
        ) v(i, big, d, m, s, day, ts, flag, list)""")
    try:
        spark.materialize("SELECT *, big + 1 AS big1, size(list) AS n, CAST(ts AS STRING) AS ts_text "
                          "FROM kinds", ["kinds"], warehouse, "kinds_back")
        assert warehouse.columns("kinds_back") == {
            "i": "INTEGER", "big": "BIGINT", "d": "DOUBLE", "m": "DECIMAL(18,2)", "s": "VARCHAR",
            "day": "DATE", "ts": "TIMESTAMP", "flag": "BOOLEAN", "list": "VARCHAR[]",
            "big1": "BIGINT", "n": "INTEGER", "ts_text": "VARCHAR"}
        back = warehouse.query("SELECT * FROM kinds_back ORDER BY i")
        assert back == [
            (1, 10000000000, 1.25, Decimal("12.30"), "žluťoučký kůň", dt.date(1994, 3, 30),
             dt.datetime(1994, 3, 30, 12, 34, 56, 500000), True, ["b", "a"], 10000000001, 2,
             "1994-03-30 12:34:56.5"),
            (2, None, None, Decimal("-0.01"), None, None, None, None, None, None, None, None),
            (3, -1, -1e-300, Decimal("0.00"), "", dt.date(1900, 1, 1), dt.datetime(1900, 1, 1),
             False, [], 0, 0, "1900-01-01 00:00:00"),
        ]
        # DuckDB renders timestamps as text exactly as Spark does (the ``last`` tie-break
        # used to depend on it)
        assert [r[0] for r in warehouse.query("SELECT CAST(ts AS VARCHAR) FROM kinds ORDER BY i")] \
            == [r[-1] for r in back]
        # an empty result still has its columns
        spark.materialize("SELECT i, s FROM kinds WHERE i < 0", ["kinds"], warehouse, "kinds_none")
        assert warehouse.columns("kinds_none") == {"i": "INTEGER", "s": "VARCHAR"}
        assert warehouse.query("SELECT count(*) FROM kinds_none") == [(0,)]
        assert not spark.has_table("kinds")  # input views are dropped afterwards
    finally:
        warehouse.close()


# -- parity with DuckDB ------------------------------------------------------------------------
def _rows(engine: Engine, table: str) -> tuple[list[str], dict[str, tuple[Any, ...]]]:
    cols = list(engine.columns(table))
    return cols, {r[0]: r for r in engine.query(f"SELECT * FROM {table}")}


def _differences(cols: list[str], ours: dict[str, tuple[Any, ...]],
                 theirs: dict[str, tuple[Any, ...]]) -> tuple[int, dict[str, list[Any]]]:
    """Values compared, and per column the (customer, duckdb, spark) triples that differ."""
    assert ours.keys() == theirs.keys(), "both engines see the same customers"
    compared, diffs = 0, {}
    for key, row in ours.items():
        for col, a, b in zip(cols, row, theirs[key], strict=True):
            compared += 1
            same = (math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
                    if isinstance(a, float) and isinstance(b, float) else a == b)
            if not same:
                diffs.setdefault(col, []).append((key, a, b))
    return compared, diffs


def _assert_parity(warehouse: Engine, spark: Engine, plan: Plan, as_of: dt.date) -> int:
    """Build with DuckDB, then with Spark, and compare the two snapshots value by value."""
    ours = build(warehouse, plan, as_of=as_of)
    assert ours.tags, "the catalog has tags to compare"
    warehouse.execute(f"CREATE OR REPLACE TABLE parity_duckdb AS SELECT * FROM {ours.table}")
    theirs = build(warehouse, plan, as_of=as_of, compute=spark)
    assert (theirs.table, theirs.customers, theirs.uncovered) == \
        (ours.table, ours.customers, ours.uncovered)
    cols, duck_rows = _rows(warehouse, "parity_duckdb")
    spark_cols, spark_rows = _rows(warehouse, theirs.table)
    assert spark_cols == cols
    assert warehouse.columns(theirs.table) == warehouse.columns("parity_duckdb"), "same types"
    compared, diffs = _differences(cols, duck_rows, spark_rows)
    assert not diffs, {c: (len(v), v[:3]) for c, v in diffs.items()}
    return compared


@pytest.fixture(scope="module")
def berka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    from portrait.ingest.berka import BerkaAdapter
    from portrait.ingest.pipeline import run_ingest

    folder = shared("berka")
    ws = init_workspace(tmp_path_factory.mktemp("berka") / "ws")
    run_ingest(ws, BerkaAdapter(folder))
    yield ws


@pytest.mark.integration
def test_parity_on_berka_with_the_fixture_catalog(berka: Workspace, spark: Engine) -> None:
    warehouse = berka.engine()
    try:
        plan = build_plan(load_catalog([FIXTURE], shipped=False))
        compared = _assert_parity(warehouse, spark, plan, BERKA_AS_OF)
    finally:
        warehouse.close()
    assert compared > len(plan.tags) * 1000


def test_parity_on_hand_made_rows_with_ties_and_undated_rows(spark: Engine, tmp_path: Path) -> None:
    """Rows sharing a time, and a row without one, which the engines sort differently
    inside a (time, key) struct: neither may change which row is the latest."""
    warehouse = open_engine("duckdb", tmp_path / "w.duckdb")
    try:
        fill(warehouse)
        add_undated_row(warehouse)
        _assert_parity(warehouse, spark, build_plan(load_catalog([FIXTURE], shipped=False)), AS_OF)
        assert warehouse.query("SELECT balance FROM parity_duckdb WHERE customer_id = 'b'") == [(59990,)]
    finally:
        warehouse.close()


@pytest.mark.integration
def test_parity_on_berka_with_the_shipped_catalog(berka: Workspace, spark: Engine) -> None:
    try:
        catalog = load_catalog()
    except DefinitionError as exc:  # the catalog is being written
        pytest.skip(f"the shipped catalog does not load: {exc}")
    if not catalog:
        pytest.skip("the shipped catalog has no tags yet")
    warehouse = berka.engine()
    try:
        _assert_parity(warehouse, spark, build_plan(catalog), BERKA_AS_OF)
    finally:
        warehouse.close()


# -- end to end --------------------------------------------------------------------------------
@needs_spark
def test_cli_builds_tags_with_spark(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws")
    eng = ws.engine()
    try:
        eng.execute("""INSERT INTO customers (customer_id, gender, birth_date, joined_at) VALUES
            ('a', 'F', DATE '1990-07-01', DATE '2020-01-01'),
            ('b', 'M', DATE '1990-06-30', DATE '2021-01-01')""")
        eng.execute("""INSERT INTO accounts (account_id, customer_id, type, opened_at, status)
            VALUES ('A1', 'a', 'current', DATE '2020-01-01', 'active')""")
        eng.execute("""INSERT INTO transactions (txn_id, account_id, customer_id, ts, amount,
            balance_after, channel, kind) VALUES
            ('t1', 'A1', 'a', TIMESTAMP '2024-06-01 09:00:00', 100, 100, 'mobile', 'other_in'),
            ('t2', 'A1', 'a', TIMESTAMP '2024-06-01 09:00:00.5', 50, 150, 'atm', 'other_in')""")
    finally:
        eng.close()
    done = subprocess.run(
        [sys.executable, "-m", "portrait", "tags", "build", "--engine", "spark", "-w", str(ws.root),
         "--catalog", str(FIXTURE), "--only", "balance", "--as-of", "2024-06-30", "--json"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["as_of"], report["customers"]) == ("2024-06-30", 2)
    assert not (ws.root / ".spark").exists()
    eng = ws.engine()
    try:
        balance = eng.query(f"SELECT customer_id, balance FROM {report['table']} ORDER BY 1")
    finally:
        eng.close()
    assert balance == [("a", 150.0), ("b", None)]  # the later of two rows in the same second
