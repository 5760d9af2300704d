"""The warehouse models on a small synthetic bank: they find the effects the generator plants,
recommendations stay suitable for every customer, and the scores land as tags.

The generator (src/portrait/ingest/synth/holdings.py, population.py) makes wealth products
more likely for customers with more assets, time deposits for older and cautious savers,
and churners' activity fade before they leave.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from portrait.models.suitability import FLAG_ASSESSMENT, suitable
from portrait.services import models as models_service
from portrait.services import recommend as recommend_service
from tests.models import synth_ws

pytestmark = pytest.mark.slow
ASSET_TAGS = {"liquid_assets", "aum", "last_demand_balance", "deposit_balance", "investment_assets",
              "demand_net_flow_total", "aum_band", "aum_decile", "value_tier"}
ACTIVITY_TAGS = {"txn_count_180d", "txn_count_90d", "days_since_last_txn", "credits_3m",
                 "debits_3m", "last_demand_balance", "is_active_90d", "activity_trend",
                 "days_since_last_activity", "txn_volume_90d", "liquid_assets"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    return synth_ws.trained(tmp_path_factory.getbasetemp())


def _model(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in result["models"] if m["name"] == name)


def test_models_find_the_planted_effects(trained: tuple[Path, dict[str, Any]]) -> None:
    _, result = trained
    assert len(result["as_of"]) == 3
    wealth = _model(result, "propensity_wealth")
    assert wealth["split"] == "time"
    assert wealth["metrics"]["auc"] > 0.7
    assert wealth["metrics"]["auc"] > wealth["baselines"]["segment_rate"]["auc"]
    assert ASSET_TAGS & set(wealth["top_features"][:3])
    churn = _model(result, "churn")
    assert churn["metrics"]["auc"] > 0.85
    assert ACTIVITY_TAGS & set(churn["top_features"][:3])
    value = _model(result, "value")
    assert value["metrics"]["spearman"] > 0.8


def test_registry_and_evaluation(trained: tuple[Path, dict[str, Any]]) -> None:
    ws, _ = trained
    names = {m["name"] for m in models_service.list_models(ws)}
    assert {"churn", "value", "propensity_wealth"} <= names
    meta = models_service.show_model(ws, "propensity_wealth")
    assert meta["train_dates"] < meta["test_dates"]  # trained on earlier dates only
    assert "gender" not in {f["tag"] for f in meta["features"]}
    assert "age_band" in meta["excluded"] and len(meta["data_hash"]) == 64
    report = models_service.evaluate(ws, "propensity_wealth")
    assert {"logistic", "segment_rate", "base_rate"} <= set(report["baselines"])
    assert report["metrics"]["reliability"]
    assert {"gender", "generation"} <= set(models_service.fairness(ws, "propensity_wealth")["attributes"])


def test_scores_are_model_tags_of_the_latest_snapshot(trained: tuple[Path, dict[str, Any]]) -> None:
    ws, result = trained
    assert {"churn_probability", "churn_band", "propensity_wealth"} <= set(result["scored"]["tags"])
    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    try:
        table = "tags__" + result["scored"]["as_of"].replace("-", "")
        n, scored, high = con.sql(f"SELECT count(*), count(churn_probability), count(*) FILTER "
                                  f"(WHERE churn_band = 'high') FROM {table}").fetchall()[0]
    finally:
        con.close()
    assert scored == n and high == pytest.approx(0.1 * n, abs=2)


def test_batch_recommendations_are_always_suitable(trained: tuple[Path, dict[str, Any]],
                                                   tmp_path: Path) -> None:
    ws, _ = trained
    out = tmp_path / "shelves.jsonl"
    report = recommend_service.recommend_all(ws, out)
    shelves = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(shelves) == report["customers"] > 1000
    assert report["offers"]["predicted"] > 0
    for s in shelves:
        for offer in s["migratable"] + s["predicted"]:
            assert suitable(offer["risk_grade"], s["risk_level"]), (s["customer_id"], offer)
            assert offer["product_id"] not in {h["product_id"] for h in s["held"]}
        assert (FLAG_ASSESSMENT in s["flags"]) == (s["risk_level"] is None)
    one = recommend_service.recommend(ws, shelves[0]["customer_id"], "zh")
    assert one["customer_id"] == shelves[0]["customer_id"]
    assert all("：" in r["text"] for o in one["predicted"] for r in o["reasons"])
