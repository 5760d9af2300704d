"""The three shipped mappings on the real files: exact counts, decoded values, one workspace."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from portrait.ingest.csvmap import CsvAdapter
from portrait.ingest.pipeline import IngestReport, run_ingest
from portrait.store import Workspace, init_workspace

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not DATA.is_dir(), reason=f"real data not available: {DATA}"),
]

SOURCES = {
    "churn_modelling": DATA / "churn" / "Churn_Modelling.csv",
    "bank_churners": DATA / "churn" / "BankChurners.csv",
    "bank_marketing": DATA / "bank-marketing" / "bank-full.csv",
}
EXPECTED = {
    "churn_modelling": {"customers": 10_000},
    "bank_churners": {"customers": 10_127, "products": 4, "holdings": 10_127},
    "bank_marketing": {"customers": 45_211, "contacts": 45_211, "responses": 5_289},
}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[Workspace, dict[str, IngestReport]]]:
    """All three files loaded, one after the other, into ONE workspace."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("PORTRAIT_KEY", raising=False)
        ws = init_workspace(tmp_path_factory.mktemp("csv") / "ws")
        reports = {name: run_ingest(ws, CsvAdapter(path, name)) for name, path in SOURCES.items()}
        yield ws, reports


def _query(ws: Workspace, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("name", list(SOURCES))
def test_exact_counts_and_nothing_quarantined(
        loaded: tuple[Workspace, dict[str, IngestReport]], name: str) -> None:
    _, reports = loaded
    report = reports[name]
    assert {t: c.loaded for t, c in report.tables.items()} == EXPECTED[name]
    assert report.quarantined == 0
    assert report.quarantine_files == {}
    assert report.source.records["rows"] == next(iter(EXPECTED[name].values()))


def test_one_workspace_holds_all_three_without_collisions(
        loaded: tuple[Workspace, dict[str, IngestReport]]) -> None:
    ws, _ = loaded
    assert _query(ws, "SELECT split_part(customer_id, '-', 1), count(*) FROM customers "
                      "GROUP BY 1 ORDER BY 1") == [("bc", 10_127), ("bm", 45_211), ("cm", 10_000)]
    assert _query(ws, "SELECT count(*) FROM contacts")[0][0] == 45_211
    assert _query(ws, "SELECT count(*) FROM responses")[0][0] == 5_289
    assert _query(ws, "SELECT count(*) FROM holdings")[0][0] == 10_127


def test_churn_modelling_values(loaded: tuple[Workspace, dict[str, IngestReport]]) -> None:
    ws, _ = loaded
    [(name, gender, income, attributes, birth)] = _query(
        ws, "SELECT name, gender, CAST(income_declared AS VARCHAR), attributes, birth_date "
            "FROM customers WHERE customer_id = 'cm-15634602'")
    assert ws.cipher().decrypt([name], context="customers.name") == ["Hargrave"]
    # EstimatedSalary 101348.88 a year → 8445.74 a month.
    assert (gender, income, birth) == ("F", "8445.74", None)
    assert json.loads(attributes) == {
        "country": "France", "credit_score": 619, "age": 42, "tenure_years": 2,
        "balance": 0.0, "num_products": 1, "has_credit_card": True, "is_active_member": True,
        "estimated_salary_annual": 101348.88, "exited": True}
    assert _query(ws, "SELECT gender, count(*) FROM customers WHERE customer_id LIKE 'cm-%' "
                      "GROUP BY 1 ORDER BY 1") == [("F", 4_543), ("M", 5_457)]
    assert _query(ws, "SELECT count(*) FROM customers WHERE customer_id LIKE 'cm-%' "
                      "AND CAST(attributes->>'exited' AS BOOLEAN)")[0][0] == 2_037


def test_bank_churners_values(loaded: tuple[Workspace, dict[str, IngestReport]]) -> None:
    ws, _ = loaded
    [(gender, dependents, education, marital, attributes)] = _query(
        ws, "SELECT gender, dependents, education, marital_status, attributes FROM customers "
            "WHERE customer_id = 'bc-768805383'")
    assert (gender, dependents, education, marital) == ("M", 3, "secondary", "married")
    attrs = json.loads(attributes)
    assert (attrs["income_category"], attrs["attrited"], attrs["total_trans_count_12m"]) == (
        "$60K - $80K", False, 42)
    assert not any(k.lower().startswith("naive_bayes") for k in attrs)
    assert _query(ws, "SELECT marital_status, count(*) FROM customers WHERE customer_id LIKE "
                      "'bc-%' GROUP BY 1 ORDER BY 1") == [
        ("divorced", 748), ("married", 4_687), ("single", 3_943), ("unknown", 749)]
    assert _query(ws, "SELECT product_id, status, CAST(amount AS VARCHAR) FROM holdings "
                      "WHERE customer_id = 'bc-768805383'") == [("bc-card-blue", "active", "777.00")]
    assert _query(ws, "SELECT product_id, count(*) FROM holdings GROUP BY 1 ORDER BY 1") == [
        ("bc-card-blue", 9_436), ("bc-card-gold", 116), ("bc-card-platinum", 20),
        ("bc-card-silver", 555)]
    assert _query(ws, "SELECT status, count(*) FROM holdings GROUP BY 1 ORDER BY 1") == [
        ("active", 8_500), ("closed", 1_627)]


def test_bank_marketing_values(loaded: tuple[Workspace, dict[str, IngestReport]]) -> None:
    ws, _ = loaded
    [(occupation, education, marital, attributes)] = _query(
        ws, "SELECT occupation, education, marital_status, attributes FROM customers "
            "WHERE customer_id = 'bm-1'")
    assert (occupation, education, marital) == ("management", "bachelor", "married")
    assert json.loads(attributes) == {"age": 58, "education_level": "tertiary", "balance": 2143.0,
                                      "default": False, "housing_loan": True,
                                      "personal_loan": False}
    [(campaign, channel, arm, ts, contact)] = _query(
        ws, "SELECT campaign_id, channel, arm, ts, attributes FROM contacts "
            "WHERE customer_id = 'bm-1'")
    assert (campaign, channel, arm, ts) == ("bm-term-deposit", "call", "treatment", None)
    assert json.loads(contact)["duration_s"] == 261
    assert _query(ws, "SELECT count(*) FROM customers WHERE customer_id LIKE 'bm-%' "
                      "AND occupation IS NULL")[0][0] == 288
    # Every response answers a contact of the same customer, and only subscribers respond.
    assert _query(ws, "SELECT count(*) FROM responses r JOIN contacts c USING (contact_id) "
                      "WHERE r.customer_id = c.customer_id AND r.outcome = 'converted' "
                      "AND CAST(c.attributes->>'subscribed' AS BOOLEAN)")[0][0] == 5_289


def test_reloading_a_file_replaces_rather_than_duplicates(
        loaded: tuple[Workspace, dict[str, IngestReport]]) -> None:
    ws, _ = loaded
    report = run_ingest(ws, CsvAdapter(SOURCES["bank_churners"], "bank_churners"))
    assert report.tables["customers"].loaded == 10_127
    assert _query(ws, "SELECT count(*) FROM customers")[0][0] == 65_338
    assert _query(ws, "SELECT count(*) FROM holdings")[0][0] == 10_127
