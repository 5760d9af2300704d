"""Campaign plans uploaded over the API, model evaluation and fairness reports, and the
audit log's date filters — on the live server of the API tests."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pytest

from portrait.models import registry
from portrait.services import models as models_service
from portrait.services.model_reports import finite
from tests.api.conftest import Live

SPEC = """\
id: api_plan
name: API plan
objective: {product: WM_FIX_1Y, revenue_rate: 0.01}
audience: {expression: "gender = 'F'"}
channels:
  - {channel: app_push, cost: 0.02}
  - {channel: sms, cost: 0.05}
templates:
  zh: "{salutation}，稳享固收1年理财开售。理财非存款、产品有风险、投资须谨慎。"
  en: "{salutation}, our 1-year fixed-income product is on sale. Wealth management products
    are not deposits; products carry risk; invest with caution."
schedule: {start: 2026-01-05T10:00:00, end: 2026-01-19T18:00:00}
control_share: 0.2
"""
LEVELS = ("public", "internal", "confidential", "restricted")


def _plan(live: Live, role: str, spec: str) -> Any:
    with live.client(role) as c:
        return c.post("/api/campaigns/plan", json={"spec": spec})


def test_plan_gives_the_funnel_and_stores_a_planned_campaign(live: Live) -> None:
    r = _plan(live, "marketer", SPEC)
    assert r.status_code == 200, r.text
    plan = r.json()
    assert (plan["campaign_id"], plan["name"]) == ("api_plan", "API plan")
    funnel = plan["funnel"]
    with live.client("marketer") as c:
        women = c.post("/api/audiences/count", json={"expression": "gender = 'F'"}).json()["count"]
        listed = {x["campaign_id"]: x for x in c.get("/api/campaigns").json()["items"]}
        levels = {t["name"]: t["sensitivity"] for t in
                  c.get("/api/tags", params={"limit": 500}).json()["items"]}
    # the funnel adds up: audience → exclusions by reason → eligible → treatment + control
    assert funnel["audience"] == women and funnel["not_customers"] == 0
    assert funnel["audience"] - sum(funnel["excluded"].values()) == funnel["eligible"]
    assert funnel["treatment"] + funnel["control"] + funnel["budget_cap"] == funnel["eligible"]
    assert sum(funnel["treatment_by_channel"].values()) == funnel["treatment"]
    assert funnel["planned_cost"] == pytest.approx(
        0.02 * funnel["treatment_by_channel"].get("app_push", 0)
        + 0.05 * funnel["treatment_by_channel"].get("sms", 0), abs=0.01)
    assert 0.05 < funnel["control"] / (funnel["treatment"] + funnel["control"]) < 0.4
    # stored as a planned campaign, with the same funnel
    assert listed["api_plan"]["status"] == "planned" and listed["api_plan"]["funnel"] == funnel
    assert listed["api_plan"]["spec_file"].startswith(str(live.bank.root / "campaigns" / "uploaded"))
    # the balance keeps every row; a marketer (internal) sees no means of confidential tags
    assert plan["balance"]
    for row in plan["balance"]:
        above = LEVELS.index(levels[row["tag"]]) > LEVELS.index("internal")
        assert row.get("hidden", False) == above, row
        if above:
            assert row["mean_treatment"] is None and row["mean_control"] is None
        assert "smd" in row
    assert any(row.get("hidden") for row in plan["balance"])
    logged = live.audit(action="campaigns.plan", actor="marketer", target="campaign:api_plan")
    assert logged[0]["outcome"] == "allowed"
    assert logged[0]["details"]["treatment"] == funnel["treatment"]


def test_planning_again_replaces_the_plan(live: Live) -> None:
    first = _plan(live, "marketer", SPEC.replace("api_plan", "api_again"))
    second = _plan(live, "marketer", SPEC.replace("api_plan", "api_again"))
    assert first.status_code == second.status_code == 200
    assert first.json()["funnel"] == second.json()["funnel"]  # the assignment is keyed, not random
    with live.client("marketer") as c:
        ids = [x["campaign_id"] for x in c.get("/api/campaigns").json()["items"]]
    assert ids.count("api_again") == 1


@pytest.mark.parametrize(("spec", "expected"), [
    (SPEC.replace("end: 2026-01-19", "end: 2025-01-19"), "spec: field schedule: Value error, end "
                                                         "must be after start"),
    (SPEC.replace("objective: {product: WM_FIX_1Y, revenue_rate: 0.01}\n", ""),
     "spec: field objective: Field required"),
    (SPEC.replace("control_share: 0.2", "control_share: 2"), "spec: field control_share"),
    (SPEC.replace("channel: sms", "channel: pigeon"), "spec: field channels.1.channel"),
    ("id: x\nname: [unclosed", "spec: not valid YAML"),
    ("just text", "spec: field (top level)"),
    ("[" * 3000, "spec: the YAML is nested too deeply"),
])
def test_invalid_spec_is_422_naming_the_field(live: Live, spec: str, expected: str) -> None:
    r = _plan(live, "marketer", spec)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["kind"] == "DefinitionError" and expected in body["error"], body["error"]
    assert str(live.bank.root) not in body["error"]


def test_unknown_product_is_404_naming_the_request_not_a_server_path(live: Live) -> None:
    r = _plan(live, "marketer", SPEC.replace("WM_FIX_1Y", "NO_SUCH_PRODUCT").replace("api_plan",
                                                                                     "api_nope"))
    assert r.status_code == 404 and "NO_SUCH_PRODUCT" in r.json()["error"]
    uploaded = live.bank.root / "campaigns" / "uploaded"
    assert not list(uploaded.glob("api_nope-*.yaml")), "a failed plan leaves no spec file behind"


@pytest.mark.parametrize(("old", "new", "tag"), [
    ("gender = 'F'", "monthly_income > 1000", "monthly_income"),
    ('{expression: "gender = \'F\'"}', "{top: {score: aum, n: 50}}", "aum"),
])
def test_a_spec_above_the_clearance_is_refused_and_audited(live: Live, old: str, new: str,
                                                           tag: str) -> None:
    spec = SPEC.replace(old, new).replace("api_plan", "api_secret")
    assert spec != SPEC.replace("api_plan", "api_secret")
    r = _plan(live, "marketer", spec)
    assert r.status_code == 403 and r.json()["kind"] == "AccessDeniedError"
    assert repr(tag) in r.json()["error"] and "confidential" in r.json()["error"]
    denied = live.audit(action="campaigns.plan", actor="marketer", outcome="denied",
                    target=f"tag:{tag}")
    assert denied


def _register_tiny_model(root: Path) -> str:
    """A registered model with a hand-written evaluation (one metric not finite)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 3,
                         "min_data_in_leaf": 5}, lgb.Dataset(x, (x[:, 0] > 0).astype(int)),
                        num_boost_round=2)
    groups = [{"group": g, "n": n, "positives": p, "selected": s, "selection_rate": s / n,
               "tpr": 0.5, "small": False, "selection_ratio": r, "tpr_ratio": 1.0,
               "flagged": r < 0.8, "reasons": ["selection_ratio"] if r < 0.8 else []}
              for g, n, p, s, r in (("F", 100, 10, 12, 1.0), ("M", 100, 10, 6, 0.5))]
    fairness = {"top_share": 0.1, "threshold": 0.8, "min_group": 30, "n": 200,
                "attributes": {"gender": {"groups": groups, "flagged": ["M"]}}, "flagged": True}
    meta = {"kind": "adoption", "target": "tiny", "as_of_dates": ["2025-01-01", "2025-04-01"],
            "train_dates": ["2025-01-01"], "test_dates": ["2025-04-01"], "split": "time",
            "horizon_days": 90, "n_train": 100, "n_test": 200, "features": [], "excluded": {},
            "params": {}, "best_iteration": 2,
            "metrics": {"auc": 0.75, "pr_auc": 0.3, "spearman": math.nan, "n": 200,
                        "reliability": [{"bin": 1, "mean_score": 0.05, "observed_rate": 0.04,
                                         "n": 100},
                                        {"bin": 2, "mean_score": 0.2, "observed_rate": 0.22,
                                         "n": 100}]},
            "baselines": {"logistic": {"auc": 0.7, "pr_auc": 0.25},
                          "base_rate": {"auc": 0.5, "pr_auc": 0.1}},
            "fairness": fairness, "importance": {"aum": 3.0, "age": 1.0}, "data_hash": "x",
            "extra": {"categories": ["tiny"]}}
    registry.save(root, "tiny_model", booster, meta)
    return "tiny_model"


def test_model_evaluation_and_fairness_are_the_cli_reports(live: Live) -> None:
    name = _register_tiny_model(live.bank.root)
    cli_eval = models_service.evaluate(live.bank.root, name)
    cli_fair = models_service.fairness(live.bank.root, name)
    with live.client("analyst") as c:
        evaluation = c.get(f"/api/models/{name}/evaluation")
        fairness = c.get(f"/api/models/{name}/fairness")
        assert c.get("/api/models/no_such_model/evaluation").status_code == 404
        assert c.get("/api/models/Bad..Name/fairness").status_code == 404
    assert evaluation.status_code == 200 and fairness.status_code == 200
    body = evaluation.json()
    assert body == finite(cli_eval)
    assert body["metrics"]["spearman"] is None and math.isnan(cli_eval["metrics"]["spearman"])
    assert body["metrics"]["auc"] == 0.75 and body["baselines"]["logistic"]["auc"] == 0.7
    assert [r["observed_rate"] for r in body["metrics"]["reliability"]] == [0.04, 0.22]
    assert body["top_features"] == {"aum": 3.0, "age": 1.0}
    assert fairness.json() == cli_fair
    assert fairness.json()["attributes"]["gender"]["flagged"] == ["M"]
    with live.client("marketer") as c:
        refused = c.get(f"/api/models/{name}/evaluation")
    assert refused.status_code == 403
    assert live.audit(action="models.view", actor="marketer", target=f"model:{name}",
                  outcome="denied")


def test_audit_entries_by_date(live: Live) -> None:
    today = dt.datetime.now(dt.UTC).date()
    day = dt.timedelta(days=1)
    with live.client("compliance") as c:
        def total(**params: str) -> int:
            r = c.get("/api/audit", params={"action": "users.add", **params})
            assert r.status_code == 200, r.text
            return int(r.json()["total"])

        everything = total()
        assert everything > 0
        assert total(since=today.isoformat(), until=today.isoformat()) == everything
        assert total(since=(today - day).isoformat()) == everything
        assert total(since=(today + day).isoformat()) == 0
        assert total(until=(today - day).isoformat()) == 0
        bad = c.get("/api/audit", params={"since": today.isoformat(),
                                          "until": (today - day).isoformat()})
        assert bad.status_code == 400 and "Swap" in bad.json()["hint"]
        assert c.get("/api/audit", params={"since": "yesterday"}).status_code == 422
        page = c.get("/api/audit", params={"limit": 3}).json()
    seqs = [e["seq"] for e in page["items"]]
    assert seqs == sorted(seqs, reverse=True) and len(seqs) == 3
    assert page["pages"] == math.ceil(page["total"] / 3)
