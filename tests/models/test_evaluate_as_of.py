"""`portrait models evaluate NAME --as-of DATE`: a registered model re-scored on a newer
date whose outcome window the data covers, beside the figures stored at training time."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from portrait.cli.app import app
from portrait.errors import UsageError
from portrait.services import ingest
from portrait.services import models as models_service

pytestmark = pytest.mark.slow
TRAIN = [dt.date(2025, 3, 31), dt.date(2025, 6, 30)]  # the test date is 2025-06-30
LATER = dt.date(2025, 9, 30)  # outcomes to 2025-12-29; the data ends on 2025-12-31


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ.pop("PORTRAIT_KEY", None)
    root = tmp_path_factory.mktemp("evaluate-as-of") / "ws"
    ingest.ingest_synth(root, 2000, 3)
    models_service.train_all(root, as_of=TRAIN, horizon="90d", only=["propensity_wealth", "churn"])
    return root


def _hand_counts(root: Path, as_of: dt.date) -> tuple[int, int]:
    """Rows (customers of the snapshot not holding wealth at T) and positives (a wealth
    holding starting in (T, T+90 days]), counted straight from the tables."""
    stop = as_of + dt.timedelta(days=90)
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        held = {r[0] for r in con.execute(
            "SELECT customer_id FROM holdings JOIN products USING (product_id) WHERE category = "
            "'wealth' AND (start_at IS NULL OR start_at <= ?) AND (end_at IS NULL OR end_at > ?)",
            [as_of, as_of]).fetchall()}
        people = {r[0] for r in con.execute(f"SELECT customer_id FROM tags__{as_of:%Y%m%d}").fetchall()}
        new = {r[0] for r in con.execute(
            "SELECT customer_id FROM holdings JOIN products USING (product_id) WHERE category = "
            "'wealth' AND start_at > ? AND start_at <= ?", [as_of, stop]).fetchall()}
    finally:
        con.close()
    rows = people - held
    return len(rows), len(rows & new)


def test_rescored_on_a_newer_date(ws: Path) -> None:
    rep = models_service.evaluate(ws, "propensity_wealth", LATER)
    at = rep["at_date"]
    assert at["as_of"] == "2025-09-30" and at["window"] == ["2025-09-30", "2025-12-29"]
    assert (at["n"], at["metrics"]["positives"]) == _hand_counts(ws, LATER)
    assert 0.5 < at["metrics"]["auc"] <= 1 and 0 <= at["metrics"]["brier"] < 0.25
    assert at["metrics"]["lift_top_decile"] > 1 and at["metrics"]["reliability"]
    assert {"gender", "generation"} <= set(at["fairness"]["attributes"])
    assert at["notes"] == []  # after the training dates, outcomes not seen in training
    assert rep["test_dates"] == ["2025-06-30"] and rep["metrics"]["auc"] > 0.5  # stored, beside
    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    try:  # the snapshot built for it is now the latest: it was scored, not left empty
        n, scored = con.execute("SELECT count(*), count(propensity_wealth) FROM tags__20250930"
                                ).fetchall()[0]
    finally:
        con.close()
    assert scored == n > 0
    churn = models_service.evaluate(ws, "churn", LATER)["at_date"]
    assert churn["n"] > 0 and 0 <= churn["metrics"]["auc"] <= 1


def test_the_test_date_repeats_the_stored_figures(ws: Path) -> None:
    rep = models_service.evaluate(ws, "propensity_wealth", TRAIN[-1])
    at = rep["at_date"]
    for key in ("auc", "pr_auc", "brier", "n", "positives"):
        assert at["metrics"][key] == pytest.approx(rep["metrics"][key])
    assert "tested on" in at["notes"][0]
    early = models_service.evaluate(ws, "propensity_wealth", TRAIN[0])["at_date"]
    assert "in-sample" in early["notes"][0]


def test_a_window_the_data_does_not_cover_is_refused(ws: Path) -> None:
    with pytest.raises(UsageError, match=r"data up to 2026-01-30 .* ends on 2025-12-31"):
        models_service.evaluate(ws, "propensity_wealth", dt.date(2025, 11, 1))
    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    try:  # refused before building anything
        built = {r[0] for r in con.execute("SELECT as_of FROM tag_snapshots").fetchall()}
    finally:
        con.close()
    assert dt.date(2025, 11, 1) not in built


def test_cli(ws: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["models", "evaluate", "propensity_wealth", "--as-of", "2025-09-30",
                              "--workspace", str(ws)])
    assert res.exit_code == 0, res.output
    assert "as of 2025-09-30" in res.stdout and "stored" in res.stdout and "auc" in res.stdout
    res = runner.invoke(app, ["models", "evaluate", "propensity_wealth", "--as-of", "2025-09-30",
                              "--workspace", str(ws), "--json"])
    out: dict[str, Any] = json.loads(res.stdout)
    assert out["at_date"]["as_of"] == "2025-09-30" and "metrics" in out
    res = runner.invoke(app, ["models", "evaluate", "propensity_wealth", "--workspace", str(ws),
                              "--json"])
    assert res.exit_code == 0 and "at_date" not in json.loads(res.stdout)  # the stored report
    res = runner.invoke(app, ["models", "evaluate", "propensity_wealth", "--as-of", "2025-11-01",
                              "--workspace", str(ws), "--json"])
    assert res.exit_code == 2
    assert "ends on 2025-12-31" in json.loads(res.stdout)["error"]
