"""The same compiled expression selects the same customers on Spark as on DuckDB."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from portrait.audience.sql import select_ids
from portrait.audience.validate import Catalog, TagInfo, compile_query
from portrait.store import Workspace, open_engine, spark_engine
from portrait.store.engine import Engine
from portrait.tags import snapshots
from portrait.tags.loader import load_catalog

pytestmark = [pytest.mark.spark,
              pytest.mark.skipif(not spark_engine.pyspark_available(), reason="PySpark is not installed")]

EXPRESSIONS = [
    "gender = 'F' and age >= 30",
    "not holds_loan",
    "aum_band >= 'aum_200k_1m' or city in ('Brno')",
    "holds('insurance') and not (gender = 'M')",
    "age between 25 and 41 and product_categories_held contains 'deposit'",
    "city is null or age is not null and not holds('fund')",
]


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = open_engine("spark", tmp_path_factory.mktemp("spark"), {})
    yield engine
    engine.close()


def _catalog() -> Catalog:
    levels = {t.spec.name: t.spec.levels for t in load_catalog()}["aum_band"]
    assert levels
    return Catalog({
        "gender": TagInfo("gender", "categorical"), "age": TagInfo("age", "numeric"),
        "aum_band": TagInfo("aum_band", "ordinal", levels=tuple(levels)),
        "holds_loan": TagInfo("holds_loan", "boolean"),
        "product_categories_held": TagInfo("product_categories_held", "set"),
        "city": TagInfo("city", "categorical"),
    })


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_spark_and_duckdb_select_the_same_customers(tiny_ws: Workspace, spark: Engine, text: str) -> None:
    query = compile_query(text, _catalog())
    table = snapshots.table_name(dt.date(2024, 6, 30))
    warehouse = tiny_ws.engine()
    try:
        on_duckdb = {r[0] for r in warehouse.query(select_ids(query, table).sql("duckdb"))}
        spark.materialize(select_ids(query, table).sql("spark"), [table], warehouse, "spark_ids")
        on_spark = {r[0] for r in warehouse.query("SELECT customer_id FROM spark_ids")}
    finally:
        warehouse.close()
    assert on_spark == on_duckdb
