from __future__ import annotations

import duckdb
import pytest

from portrait.errors import DataRejectedError
from portrait.ingest.pipeline import run_ingest
from portrait.store import Workspace
from tests.ingest.static_source import StaticSource

CUSTOMER = {"customer_id": "c1", "gender": "F", "birth_date": "1990-05-01", "risk_level": "C3"}


def _quarantine(ws: Workspace, table: str) -> list[tuple[object, ...]]:
    path = ws.quarantine_dir / f"{table}.parquet"
    return duckdb.sql(f"SELECT source_file, source_row, field, reason FROM '{path}' "
                      "ORDER BY source_row").fetchall()


def test_each_rule_names_row_field_and_reason(workspace: Workspace) -> None:
    customers = [
        CUSTOMER,
        {**CUSTOMER, "customer_id": "c2", "gender": "X"},
        {**CUSTOMER, "customer_id": "c3", "birth_date": "1990-13-45"},
        {**CUSTOMER, "customer_id": None},
        {**CUSTOMER, "customer_id": "c5", "birth_date": "1850-01-01"},
        {**CUSTOMER, "customer_id": "c1", "gender": "M"},
        {**CUSTOMER, "customer_id": "c7", "district_id": "nowhere"},
        {**CUSTOMER, "customer_id": "c8", "dependents": "-1"},
        {**CUSTOMER, "customer_id": "c9", "risk_level": " C5 ", "gender": ""},
    ]
    report = run_ingest(workspace, StaticSource({"customers": customers}))
    assert report.tables["customers"].loaded == 2
    assert report.tables["customers"].quarantined == 7
    rows = _quarantine(workspace, "customers")
    assert rows == [
        ("customers.csv", 3, "gender", "value 'X' is not one of: M, F"),
        ("customers.csv", 4, "birth_date", "not a valid date: '1990-13-45'"),
        ("customers.csv", 5, "customer_id", "required value is missing"),
        ("customers.csv", 6, "birth_date", "value 1850-01-01 is below the minimum 1900-01-01"),
        ("customers.csv", 7, "customer_id", "duplicate key (first seen at row 2)"),
        ("customers.csv", 8, "district_id",
         "refers to a districts.district_id that does not exist: 'nowhere'"),
        ("customers.csv", 9, "dependents", "value -1 is below the minimum 0"),
    ]
    # text is trimmed and blanks are missing values, not errors
    loaded = workspace.engine().query("SELECT customer_id, gender, risk_level FROM customers "
                                      "ORDER BY 1")
    assert loaded == [("c1", "F", "C3"), ("c9", None, "C5")]


def test_all_reasons_of_a_row_are_kept(workspace: Workspace) -> None:
    bad = {**CUSTOMER, "gender": "X", "risk_level": "C9"}
    run_ingest(workspace, StaticSource({"customers": [bad]}))
    path = workspace.quarantine_dir / "customers.parquet"
    ((reason,),) = duckdb.sql(f"SELECT reason FROM '{path}'").fetchall()
    assert "'X'" in reason and "'C9'" in reason


def test_children_of_rejected_parents_are_rejected(workspace: Workspace) -> None:
    tables = {
        "customers": [CUSTOMER, {**CUSTOMER, "customer_id": "c2", "gender": "?"}],
        "accounts": [
            {"account_id": "a1", "customer_id": "c1", "type": "current",
             "opened_at": "2020-01-01", "status": "active"},
            {"account_id": "a2", "customer_id": "c2", "type": "current",
             "opened_at": "2020-01-01", "status": "active"},
        ],
    }
    report = run_ingest(workspace, StaticSource(tables))
    assert (report.tables["accounts"].loaded, report.tables["accounts"].quarantined) == (1, 1)
    assert _quarantine(workspace, "accounts")[0][2:] == (
        "customer_id", "refers to a customers.customer_id that does not exist: 'c2'")


def test_references_resolve_against_earlier_loads(workspace: Workspace) -> None:
    run_ingest(workspace, StaticSource({"customers": [CUSTOMER]}))
    account = {"account_id": "a1", "customer_id": "c1", "type": "savings",
               "opened_at": "2021-02-03", "status": "active"}
    report = run_ingest(workspace, StaticSource({"accounts": [account]}))
    assert report.tables["accounts"].loaded == 1


def test_strict_publishes_nothing(workspace: Workspace) -> None:
    run_ingest(workspace, StaticSource({"customers": [CUSTOMER]}))
    more = [{**CUSTOMER, "customer_id": "c2"}, {**CUSTOMER, "customer_id": "c3", "gender": "?"}]
    with pytest.raises(DataRejectedError) as err:
        run_ingest(workspace, StaticSource({"customers": more}), strict=True)
    assert err.value.exit_code == 3
    assert workspace.engine().query("SELECT customer_id FROM customers") == [("c1",)]
    assert len(_quarantine(workspace, "customers")) == 1


def test_quarantine_accumulates_runs_and_masks_pii(workspace: Workspace) -> None:
    bad = {**CUSTOMER, "gender": "?", "phone": "13900001111", "name": "王小明"}
    run_ingest(workspace, StaticSource({"customers": [bad]}))
    run_ingest(workspace, StaticSource({"customers": [bad]}))
    path = workspace.quarantine_dir / "customers.parquet"
    rows = duckdb.sql(f"SELECT run_id, record FROM '{path}'").fetchall()
    assert len(rows) == 2 and rows[0][0] != rows[1][0]
    assert "13900001111" not in rows[0][1] and "王小明" not in rows[0][1]
    assert '"phone":"***"' in rows[0][1]
