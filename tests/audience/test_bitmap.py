"""The bitmap index answers exactly as SQL does, NULLs included (property test)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portrait.audience import bitmap, bitmap_build
from portrait.audience.bitmap import Index
from portrait.audience.bitmap_file import IndexFile, read_header
from portrait.audience.sql import select_ids
from portrait.audience.validate import Catalog, TagInfo, compile_query
from portrait.store.duckdb_engine import DuckDBEngine
from portrait.store.engine import Engine
from tests.audience.conftest import ROWS, TYPES, write_snapshot

AS_OF = dt.date(2024, 6, 30)
LEVELS = ("low", "mid", "high")
NUMS = (-3.0, -2.5, 0.0, 0.5, 1.0, 2.0, 3.5, 7.0, 10.0, 100.0, 1000.0)
PROP_TYPES = {"cat": pa.string(), "ord": pa.string(), "num": pa.float64(), "flag": pa.bool_(),
              "product_categories_held": pa.list_(pa.string())}
PROP_INFOS = [TagInfo("cat", "categorical"), TagInfo("ord", "ordinal", levels=LEVELS),
              TagInfo("num", "numeric"), TagInfo("flag", "boolean"),
              TagInfo("product_categories_held", "set")]


def _random_rows(n: int, seed: int) -> list[tuple[Any, ...]]:
    rnd = random.Random(seed)

    def maybe(value: Any) -> Any:
        return None if rnd.random() < 0.15 else value

    rows = []
    for i in range(n):
        items = None if rnd.random() < 0.1 else sorted(rnd.sample(["x", "y", "z"], rnd.randint(0, 3)))
        rows.append((f"k{i:04d}", maybe(rnd.choice("abc")),
                     maybe(rnd.choice([*LEVELS, "weird"])),   # 'weird' is no level
                     maybe(rnd.choice([-2.5, 0.0, 0.0, 1.0, 2.0, 3.5, 10.0, 100.0])
                           if rnd.random() < 0.4 else round(rnd.uniform(-5, 200), 1)),
                     maybe(rnd.random() < 0.5), items))
    return rows


def _engine(path: Path) -> Engine:
    return DuckDBEngine(path, {})


@pytest.fixture(scope="module")
def prop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, str, Index, Catalog]]:
    """400 random customers, NULLs in every column, indexed with tiny buckets."""
    folder = tmp_path_factory.mktemp("bitmap-prop")
    engine = _engine(folder / "w.duckdb")
    table = write_snapshot(engine, AS_OF, _random_rows(400, 7), PROP_TYPES)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bitmap_build, "BUCKET_ROWS", 16)   # many buckets, so bounds fall inside them
        mp.setattr(bitmap, "_DIRECT", 8)               # and ranges go through the bucket bitmaps
        bitmap_build.build_index(engine, table, PROP_INFOS, folder / "t.idx", meta={"as_of": "x"})
        index = Index(IndexFile(folder / "t.idx"))
        yield engine, table, index, Catalog({i.name: i for i in PROP_INFOS}, index.domain)
    engine.close()


def _q(s: str) -> str:
    return "'" + s + "'"


def _num(v: float) -> str:
    return repr(v)


OPS = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
NUM = st.one_of(st.sampled_from(NUMS), st.integers(-60, 2100).map(lambda i: i / 10))
LEAF = st.one_of(
    st.builds(lambda op, v: f"cat {op} {_q(v)}", st.sampled_from(["=", "!="]), st.sampled_from("abc")),
    st.lists(st.sampled_from("abc"), min_size=1, max_size=3).map(
        lambda vs: f"cat in ({', '.join(map(_q, vs))})"),
    st.builds(lambda op, v: f"ord {op} {_q(v)}", OPS, st.sampled_from(LEVELS)),
    st.builds(lambda a, b: f"ord between {_q(LEVELS[min(a, b)])} and {_q(LEVELS[max(a, b)])}",
              st.integers(0, 2), st.integers(0, 2)),
    st.lists(st.sampled_from(LEVELS), min_size=1, max_size=2).map(
        lambda vs: f"ord not in ({', '.join(map(_q, vs))})"),
    st.builds(lambda op, v: f"num {op} {_num(v)}", OPS, NUM),
    st.builds(lambda a, b: f"num between {_num(min(a, b))} and {_num(max(a, b))}", NUM, NUM),
    st.lists(NUM, min_size=1, max_size=3).map(
        lambda vs: f"num in ({', '.join(map(_num, vs))})"),
    st.sampled_from(["flag", "flag = true", "flag = false", "flag != true", "flag in (false)"]),
    st.sampled_from("xyz").map(lambda v: f"product_categories_held contains {_q(v)}"),
    st.sampled_from("xyz").map(lambda v: f"holds({_q(v)})"),
    st.builds(lambda t, neg: f"{t} is {'not ' if neg else ''}null",
              st.sampled_from(list(PROP_TYPES)), st.booleans()),
)
EXPRS = st.recursive(LEAF, lambda inner: st.one_of(
    st.builds(lambda a, b: f"{a} and {b}", inner, inner),
    st.builds(lambda a, b: f"{a} or {b}", inner, inner),
    st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
    st.builds(lambda a, b: f"({a} or {b})", inner, inner),
    inner.map(lambda a: f"not ({a})"),
    inner.map(lambda a: f"not {a}"),
), max_leaves=8)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=EXPRS)
def test_bitmap_and_sql_select_the_same_customers(
        prop: tuple[Engine, str, Index, Catalog], text: str) -> None:
    engine, table, index, catalog = prop
    query = compile_query(text, catalog)
    by_sql = {r[0] for r in engine.query(select_ids(query, table))}
    by_bitmap = set(index.customer_ids(index.rows(query)))
    assert by_bitmap == by_sql, text
    assert index.count(query) == len(by_sql)


# --- values on the six hand-made customers ---------------------------------------------

@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Index, Catalog]]:
    folder = tmp_path_factory.mktemp("bitmap-tiny")
    engine = _engine(folder / "w.duckdb")
    table = write_snapshot(engine, AS_OF, ROWS)
    infos = [TagInfo("gender", "categorical"), TagInfo("age", "numeric"),
             TagInfo("aum_band", "ordinal", levels=("aum_lt_10k", "aum_10k_50k", "aum_50k_200k",
                                                      "aum_200k_1m", "aum_1m_6m", "aum_6m_plus")),
             TagInfo("holds_loan", "boolean"), TagInfo("product_categories_held", "set"),
             TagInfo("city", "categorical")]
    assert [i.name for i in infos] == list(TYPES)
    bitmap_build.build_index(engine, table, infos, folder / "t.idx", meta={"as_of": AS_OF.isoformat()})
    engine.close()
    index = Index(IndexFile(folder / "t.idx"))
    yield index, Catalog({i.name: i for i in infos}, index.domain)


@pytest.mark.parametrize(("text", "ids"), [
    ("gender = 'F'", {"c1", "c3", "c6"}),
    ("not gender = 'F'", {"c2", "c5"}),                   # c4's NULL gender is unknown, not false
    ("gender != 'F' or gender is null", {"c2", "c4", "c5"}),
    ("holds_loan", {"c1", "c5"}),
    ("not holds_loan", {"c2", "c6"}),
    ("holds_loan is null", {"c3", "c4"}),
    ("age >= 30", {"c2", "c3", "c5", "c6"}),
    ("age = 30", {"c5", "c6"}),
    ("age between 26 and 41", {"c2", "c5", "c6"}),
    ("not age between 26 and 41", {"c1", "c3"}),
    ("aum_band >= 'aum_1m_6m'", {"c3", "c6"}),           # level order, not string order
    ("aum_band < 'aum_200k_1m'", {"c1", "c5"}),
    ("holds('insurance')", {"c3", "c6"}),
    ("not holds('loan')", {"c2", "c3", "c5", "c6"}),      # [] is known; NULL (c4) is not
    ("product_categories_held is not null", {"c1", "c2", "c3", "c5", "c6"}),
    ("city in ('Praha', 'Brno') and not (age > 60 or holds_loan)", {"c2", "c6"}),
    ("not (holds_loan and gender = 'F')", {"c2", "c5", "c6"}),
])
def test_values_on_hand_made_customers(tiny: tuple[Index, Catalog], text: str, ids: set[str]) -> None:
    index, catalog = tiny
    assert set(index.customer_ids(index.rows(compile_query(text, catalog)))) == ids


def test_domains_come_from_the_index(tiny: tuple[Index, Catalog]) -> None:
    index, _ = tiny
    assert index.domain("city") == {"Praha", "Brno", "Ostrava"}
    assert index.domain("product_categories_held") == {"deposit", "loan", "fund", "insurance"}
    assert index.domain("age") is None
    assert index.customer_ids() == [r[0] for r in ROWS]


def test_a_failed_build_leaves_no_file(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "w.duckdb")
    table = write_snapshot(engine, AS_OF, ROWS)
    with pytest.raises(Exception, match="nope"):
        bitmap_build.build_index(engine, table, [TagInfo("nope", "numeric")], tmp_path / "t.idx",
                                 meta={})
    engine.close()
    assert read_header(tmp_path / "t.idx") is None
    assert list(tmp_path.glob("*.tmp")) == [] and list(tmp_path.glob(".*.tmp")) == []


def test_uncovered_tags_stored_as_null_columns_are_indexed(tmp_path: Path) -> None:
    """A tag the data cannot cover is a column of type NULL in the snapshot."""
    engine = _engine(tmp_path / "w.duckdb")
    types = {"flag": pa.null(), "product_categories_held": pa.null(), "num": pa.null()}
    table = write_snapshot(engine, AS_OF, [("a", None, None, None), ("b", None, None, None)], types)
    infos = [TagInfo("flag", "boolean"), TagInfo("product_categories_held", "set"),
             TagInfo("num", "numeric")]
    bitmap_build.build_index(engine, table, infos, tmp_path / "t.idx", meta={})
    index = Index(IndexFile(tmp_path / "t.idx"))
    catalog = Catalog({i.name: i for i in infos}, index.domain)
    for text, expected in [("flag or holds('x') or num > 1", 0), ("not flag", 0),
                           ("flag is null and num is null", 2)]:
        query = compile_query(text, catalog)
        assert index.count(query) == engine.query(select_ids(query, table).sql("duckdb")).__len__() \
            == expected, text
    engine.close()
