"""``portrait audience …`` end to end on a small synthetic bank (2,000 customers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from portrait.cli.app import app

pytestmark = pytest.mark.slow
runner = CliRunner()

#: Expressions over every kind of tag; the synthetic bank covers all of them.
EXPRESSIONS = [
    "generation in ('post_80s', 'post_90s') and gender = 'F' and aum_band >= 'aum_10k_50k' "
    "and not holds('insurance') and days_since_last_activity <= 30",
    "holds_loan or holds_credit_card",
    "not (consent_marketing_sms and sms_reachable)",
    "age between 25 and 40 and value_tier > 'mass'",
    "risk_level in ('C4', 'C5') or risk_preference <= 'cautious'",
    "reachable_channels contains 'push' and not is_active_90d",
    "monthly_income is null or monthly_income < 5000.5",
    "lifecycle_stage != 'dormant' and product_count >= 3",
    "not holds('fund') and not age_band = 'age_65_plus'",
]


def cli(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("audience-cli") / "ws"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("PORTRAIT_KEY", raising=False)
        cli("ingest", "synth", "--customers", "2000", "--seed", "3", "-w", str(root))
        cli("tags", "build", "-w", str(root))
    return root


def test_tag_build_indexes_the_snapshot(ws: Path) -> None:
    assert [p.name for p in (ws / "indexes").iterdir()] == ["tags__20251231.idx"]
    first = cli("audience", "count", "holds_loan", "-w", str(ws))
    assert first["index_rebuilt"] is False
    assert set(first) >= {"count", "as_of", "ms"} and first["as_of"] == "2025-12-31"


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_sql_and_bitmap_counts_agree_on_synthetic_data(ws: Path, expr: str) -> None:
    bitmap = cli("audience", "count", expr, "--engine", "bitmap", "-w", str(ws))
    sql = cli("audience", "count", expr, "--engine", "sql", "-w", str(ws))
    assert bitmap["count"] == sql["count"]
    assert 0 <= bitmap["count"] <= 2000


def test_counts_have_plausible_values(ws: Path) -> None:
    n = {e: cli("audience", "count", e, "-w", str(ws))["count"]
         for e in ("gender = 'F'", "gender = 'M'", "gender is null", "age >= 18")}
    assert n["gender = 'F'"] + n["gender = 'M'"] + n["gender is null"] == 2000
    assert n["age >= 18"] > 1500


def test_a_bad_expression_exits_2_with_position_and_hint(ws: Path) -> None:
    result = runner.invoke(app, ["audience", "count", "gender = 'F' and aum_band >= 'rich'",
                                 "-w", str(ws), "--json"])
    assert result.exit_code == 2
    data = json.loads(result.output)
    assert data["kind"] == "ExpressionError"
    assert "'rich' is not a level of 'aum_band'" in data["error"]
    assert "(line 1, column 30)" in data["error"]
    assert "aum_lt_10k < aum_10k_50k" in data["hint"]
    text = runner.invoke(app, ["audience", "count", "gendr = 'F'", "-w", str(ws)])
    assert text.exit_code == 2 and "Did you mean gender" in text.output


def test_save_list_overlap_export(ws: Path, tmp_path: Path) -> None:
    saved = cli("audience", "save", "women", "gender = 'F'", "-w", str(ws))
    women = cli("audience", "count", "gender = 'F'", "-w", str(ws))["count"]
    assert saved["sizes"] == [{"as_of": "2025-12-31", "size": women, "error": None}]
    cli("audience", "save", "borrowers", "holds_loan", "-w", str(ws))
    listed = cli("audience", "list", "-w", str(ws))
    assert [a["name"] for a in listed] == ["borrowers", "women"]
    both = cli("audience", "count", "gender = 'F' and holds_loan", "-w", str(ws))["count"]
    overlap = cli("audience", "overlap", "women", "borrowers", "-w", str(ws))
    assert overlap["intersection"] == both and overlap["size_a"] == women
    assert overlap["jaccard"] == pytest.approx(both / overlap["union"], abs=1e-6)
    out = tmp_path / "women.csv"
    exported = cli("audience", "export", "women", "--out", str(out), "--tags", "age,city", "-w", str(ws))
    assert exported["rows"] == women
    table = pacsv.read_csv(out)
    assert table.column_names == ["customer_token", "customer_id", "age", "city"]
    # no personal data column: the synthetic bank's names and phones never leave
    assert not {"name", "phone", "email", "national_id"} & set(table.column_names)
    listed_ids = cli("audience", "sql", "gender = 'F'", "--dialect", "spark", "-w", str(ws))
    assert listed_ids["sql"].startswith("SELECT\n  customer_id\nFROM tags__20251231")


def test_an_older_date_is_indexed_when_first_counted_on(ws: Path) -> None:
    cli("tags", "build", "--as-of", "2025-06-30", "-w", str(ws))
    assert [p.name for p in (ws / "indexes").iterdir()] == ["tags__20251231.idx"]  # a backfill
    older = cli("audience", "count", "holds_loan", "--as-of", "2025-06-30", "-w", str(ws))
    assert older["as_of"] == "2025-06-30" and older["index_rebuilt"] is True
    sql = cli("audience", "count", "holds_loan", "--as-of", "2025-06-30", "--engine", "sql", "-w", str(ws))
    assert older["count"] == sql["count"]
    assert sorted(p.name for p in (ws / "indexes").iterdir()) == [
        "tags__20250630.idx", "tags__20251231.idx"]
