"""Audience use cases on a hand-made workspace: counts, saved audiences, overlap, export,
and an index that is rebuilt when it no longer matches its snapshot."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from portrait.audience.expr import ExpressionError
from portrait.errors import AccessDeniedError, NotFoundError, UsageError
from portrait.services import audience
from portrait.store import Workspace
from tests.audience.conftest import ROWS, write_snapshot

NEW = dt.date(2024, 6, 30)
OLD = dt.date(2023, 12, 31)


def test_count_with_both_engines(tiny_ws: Workspace) -> None:
    expr = "gender = 'F' and age >= 30"
    bitmap = audience.count(tiny_ws.root, expr)
    assert bitmap["count"] == 2 and bitmap["as_of"] == "2024-06-30" and bitmap["engine"] == "bitmap"
    assert bitmap["ms"] >= 0 and bitmap["index_rebuilt"] is True   # no index was built yet
    assert audience.count(tiny_ws.root, expr)["index_rebuilt"] is False
    assert audience.count(tiny_ws.root, expr, engine="sql")["count"] == 2
    assert audience.count(tiny_ws.root, expr, as_of=OLD)["count"] == 1


def test_an_index_that_no_longer_matches_its_snapshot_is_rebuilt(tiny_ws: Workspace) -> None:
    assert audience.count(tiny_ws.root, "holds_loan")["count"] == 2
    engine = tiny_ws.engine()
    try:   # the snapshot is rebuilt with other values: c2 now holds a loan
        rows = [(*r[:4], True if r[0] == "c2" else r[4], *r[5:]) for r in ROWS]
        write_snapshot(engine, NEW, rows)
    finally:
        engine.close()
    again = audience.count(tiny_ws.root, "holds_loan")
    assert again["index_rebuilt"] is True and again["count"] == 3
    path = audience.index_path(tiny_ws, "tags__20240630")
    path.write_bytes(b"garbage")                       # a damaged file is rebuilt too
    damaged = audience.count(tiny_ws.root, "holds_loan")
    assert damaged["index_rebuilt"] is True and damaged["count"] == 3


def test_errors_name_the_problem(tiny_ws: Workspace) -> None:
    with pytest.raises(ExpressionError, match="Unknown tag 'gendr'"):
        audience.count(tiny_ws.root, "gendr = 'F'")
    with pytest.raises(ExpressionError, match="is not a value of 'city'"):
        audience.count(tiny_ws.root, "city = 'Plzen'", engine="sql")
    with pytest.raises(ExpressionError, match="not in this snapshot"):
        audience.count(tiny_ws.root, "churn_risk")
    with pytest.raises(NotFoundError, match="No tag snapshot as of 2020-01-01"):
        audience.count(tiny_ws.root, "holds_loan", as_of=dt.date(2020, 1, 1))
    with pytest.raises(UsageError, match="Unknown audience engine"):
        audience.count(tiny_ws.root, "holds_loan", engine="duckdb")


def test_select_ids_and_sql(tiny_ws: Workspace) -> None:
    assert audience.select_ids(tiny_ws.root, "holds('fund')") == ["c2", "c6"]
    assert "ARRAY_CONTAINS(`product_categories_held`, 'fund')" in audience.to_sql(
        tiny_ws.root, "holds('fund')", "spark")


def test_saved_audiences_with_sizes_across_snapshots(tiny_ws: Workspace) -> None:
    saved = audience.save(tiny_ws.root, "women", "gender = 'F'")
    assert saved["sizes"] == [{"as_of": "2024-06-30", "size": 3, "error": None},
                              {"as_of": "2023-12-31", "size": 2, "error": None}]
    audience.save(tiny_ws.root, "ostrava", "city = 'Ostrava'")   # only in the newer snapshot
    listed = {a["name"]: a for a in audience.list_audiences(tiny_ws.root)}
    assert listed["ostrava"]["sizes"][0]["size"] == 1
    old = listed["ostrava"]["sizes"][1]
    assert old["size"] is None and "'Ostrava' is not a value of 'city'" in old["error"]
    with pytest.raises(UsageError, match="already exists"):
        audience.save(tiny_ws.root, "women", "gender = 'M'")
    replaced = audience.save(tiny_ws.root, "women", "gender = 'M'", replace=True)
    assert replaced["sizes"][0]["size"] == 2
    with pytest.raises(UsageError, match="not a valid audience name"):
        audience.save(tiny_ws.root, "two words", "holds_loan")
    with pytest.raises(ExpressionError):
        audience.save(tiny_ws.root, "bad", "age >= 'old'")
    audience.delete(tiny_ws.root, "ostrava")
    assert [a["name"] for a in audience.list_audiences(tiny_ws.root)] == ["women"]


def test_overlap(tiny_ws: Workspace) -> None:
    audience.save(tiny_ws.root, "women", "gender = 'F'")
    audience.save(tiny_ws.root, "thirty_plus", "age >= 30")
    result = audience.overlap(tiny_ws.root, "women", "thirty_plus")
    assert result == {"a": "women", "b": "thirty_plus", "as_of": "2024-06-30", "size_a": 3,
                      "size_b": 4, "intersection": 2, "union": 5, "only_a": 1, "only_b": 2,
                      "jaccard": 0.4}
    with pytest.raises(NotFoundError, match="Did you mean women"):
        audience.overlap(tiny_ws.root, "womn", "thirty_plus")


def test_export_csv_and_parquet_hold_tokens_and_the_tags_asked_for(tiny_ws: Workspace,
                                                                   tmp_path: Path) -> None:
    out = tmp_path / "women.csv"
    audience.save(tiny_ws.root, "women", "gender = 'F'")
    result = audience.export(tiny_ws.root, out, name="women", tags=["age", "product_categories_held"])
    assert result["rows"] == 3 and result["format"] == "csv"
    table = pacsv.read_csv(out)
    assert table.column_names == ["customer_token", "customer_id", "age", "product_categories_held"]
    assert table.column("customer_id").to_pylist() == ["c1", "c3", "c6"]
    assert table.column("product_categories_held").to_pylist() == [
        "deposit;loan", "deposit;insurance", "fund;insurance"]
    tokens = table.column("customer_token").to_pylist()
    assert tokens == tiny_ws.cipher().tokens(["c1", "c3", "c6"])
    assert all(len(t) == 32 and t != c for t, c in zip(tokens, ["c1", "c3", "c6"], strict=True))

    pq_out = tmp_path / "young.parquet"
    audience.export(tiny_ws.root, pq_out, expr="age < 30", include_customer_id=False)
    data = pq.read_table(pq_out)
    assert data.column_names == ["customer_token"] and data.num_rows == 1


def test_export_refuses_tags_not_allowed_and_unknown_formats(tiny_ws: Workspace,
                                                              tmp_path: Path) -> None:
    with pytest.raises(AccessDeniedError, match="may not export the tag 'age'"):
        audience.export(tiny_ws.root, tmp_path / "x.csv", expr="holds_loan", tags=["gender", "age"],
                        allowed_tags={"gender"})
    with pytest.raises(UsageError, match="Did you mean gender"):
        audience.export(tiny_ws.root, tmp_path / "x.csv", expr="holds_loan", tags=["gendre"])
    with pytest.raises(UsageError, match=r"\*.csv or \*.parquet"):
        audience.export(tiny_ws.root, tmp_path / "x.xlsx", expr="holds_loan")
    with pytest.raises(UsageError, match="not both"):
        audience.export(tiny_ws.root, tmp_path / "x.csv", name="a", expr="holds_loan")
