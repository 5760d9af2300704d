"""The campaign response model on a small synthetic bank: two campaigns run through the
real services (plan → launch → simulated responses), their recorded conversions become
labels, nothing after the first contact reaches the features, the model is trained,
registered and scored; and a later tag build re-scores the snapshot.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from portrait.campaign import registry as campaigns
from portrait.campaign import simulate
from portrait.cli.app import app
from portrait.errors import UsageError
from portrait.models import registry, response, trainset
from portrait.services import campaign, ingest, tags, workspace
from portrait.services import models as models_service
from portrait.services.models_response import train_responses
from portrait.tags.build import default_as_of

pytestmark = pytest.mark.slow
CUSTOMERS = 2000
FIRST_FEATURES = dt.date(2025, 9, 30)
LATEST = "tags__20251102"  # built by the trainer: campaign wb's features
CLEAN = ["txn_volume_90d", "credits_3m", "aum", "liquid_assets"]
PLANT = 5e11  # an amount no customer of the synthetic bank comes near
SPEC = """\
id: {id}
name: Wealth {id}
objective: {{product: WM_FIX_1Y, revenue_rate: 0.01}}
audience: {{top: {{score: aum, n: 1500}}}}
channels:
  - {{channel: app_push, cost: 0.02}}
  - {{channel: sms, cost: 0.05}}
templates:
  zh: "{{salutation}}，稳享固收1年开售。理财非存款、产品有风险、投资须谨慎。"
  en: >-
    {{salutation}}, our 1-year product is on sale. Wealth management products are not
    deposits; products carry risk; invest with caution.
schedule: {{start: {start}T10:00:00, end: {end}T18:00:00}}
control_share: 0.2
attribution_days: 30
"""
CAMPAIGNS = (("wa", "2025-10-01", "2025-10-10"), ("wb", "2025-11-03", "2025-11-12"))


def _sql(root: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def _run_campaign(root: Path, cid: str, start: str, end: str) -> Path:
    spec = root.parent / f"{cid}.yaml"
    spec.write_text(SPEC.format(id=cid, start=start, end=end), encoding="utf-8")
    campaign.plan(root, spec)
    campaign.launch(root, cid)
    eng = workspace.open_(root).engine()
    try:
        record = campaigns.get(eng, cid)
        members = campaigns.members(eng, cid).to_pylist()
    finally:
        eng.close()
    out = root / "exports" / cid / "responses-simulated.csv"
    simulate.simulate([m for m in members if m["arm"] is not None], campaign_id=cid,
                      send_at=record.send_at, attribution_days=30, out=out, seed=5)
    campaign.record_responses(root, out)
    return out


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 synthetic customers (seed 1, data to 2025-12-31), tags as of 2025-09-30: the
    campaigns are planned on it, the day before the first one is sent. (Snapshots are built
    in date order: one inserted before the latest costs a long history recompute.)"""
    os.environ.pop("PORTRAIT_KEY", None)
    root = tmp_path_factory.mktemp("response-base") / "ws"
    ingest.ingest_synth(root, CUSTOMERS, 1)
    tags.build_tags(root, as_of=FIRST_FEATURES)
    return root


@pytest.fixture(scope="module")
def bank(base: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two campaigns, a planted future-only signal, then `portrait models train --only
    response_wealth` through the CLI."""
    root = tmp_path_factory.mktemp("response-bank") / "ws"
    shutil.copytree(base, root)
    files = {cid: _run_campaign(root, cid, start, end) for cid, start, end in CAMPAIGNS}
    expected = _hand_labels(root, files["wa"], "wa", dt.datetime(2025, 10, 1, 10))
    # converted after the window (it closed on 2025-10-31), and a control customer converted:
    # neither may become a label
    late = next(c for c, y in expected.items() if not y)
    control = _sql(root, "SELECT customer_id FROM contacts WHERE campaign_id = 'wa' AND arm = "
                         "'control' ORDER BY 1 LIMIT 1")[0][0]
    extra = root.parent / "extra.csv"
    extra.write_text("campaign_id,customer_id,outcome,ts,amount\n"
                     f"wa,{late},converted,2025-11-20T09:00:00,1000\n"
                     f"wa,{control},converted,2025-10-05T09:00:00,1000\n", encoding="utf-8")
    campaign.record_responses(root, extra)
    # the clean values of a few tags as of the day before wa's first contact
    eng = workspace.open_(root).engine()
    try:
        clean = trainset.snapshot_frame(eng, FIRST_FEATURES, CLEAN)
    finally:
        eng.close()
    planted = sorted(c for c, y in expected.items() if y)
    _plant(root, planted)
    tags.build_tags(root, as_of=FIRST_FEATURES, score=False)  # rebuilt after the plant
    res = CliRunner().invoke(app, ["models", "train", "--only", "response_wealth", "--workspace",
                                   str(root), "--json"])
    assert res.exit_code == 0, res.output
    return {"root": root, "result": json.loads(res.stdout), "expected": expected, "clean": clean,
            "planted": planted, "late": late, "control": control}


def _hand_labels(root: Path, file: Path, cid: str, send: dt.datetime) -> dict[str, int]:
    """Conversions by hand: the simulated CSV's converted rows and new WM_FIX_1Y holdings in
    [send, send + 30 days], for the customers the campaign contacted."""
    end = send + dt.timedelta(days=30)
    treated = {r[0] for r in _sql(root, "SELECT customer_id FROM contacts WHERE campaign_id = ? "
                                        "AND arm = 'treatment'", [cid])}
    with file.open(encoding="utf-8") as fh:
        converted = {r["customer_id"] for r in csv.DictReader(fh) if r["outcome"] == "converted"
                     and send <= dt.datetime.fromisoformat(r["ts"]) <= end}
    held = {r[0] for r in _sql(root, "SELECT customer_id FROM holdings WHERE product_id = 'WM_FIX_1Y' "
                                     "AND start_at BETWEEN ? AND ?", [send.date(), end.date()])}
    return {c: int(c in converted or c in held) for c in sorted(treated)}


def _plant(root: Path, customers: list[str]) -> None:
    """The future: each converter of campaign wa receives an enormous sum the day after
    its contact. A feature as of 2025-09-30 that saw it would separate them perfectly."""
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    try:
        for i, c in enumerate(customers):
            account = con.execute("SELECT account_id FROM accounts WHERE customer_id = ? AND type = "
                                  "'current' ORDER BY 1 LIMIT 1", [c]).fetchone()
            assert account is not None
            con.execute("INSERT INTO transactions (txn_id, account_id, customer_id, ts, amount, "
                        "balance_after, channel, kind) VALUES (?, ?, ?, TIMESTAMP '2025-10-02 09:00', "
                        "?, ?, 'web', 'transfer_in')", [f"PLANT{i}", account[0], c, PLANT, PLANT])
    finally:
        con.close()


def test_labels_are_the_hand_checked_conversions(bank: dict[str, Any]) -> None:
    eng = workspace.open_(bank["root"]).engine()
    try:
        found = {c.campaign_id: c for c in response.campaigns(eng)}
        got = response.conversions(eng, found["wa"]).set_index("customer_id")["converted"]
    finally:
        eng.close()
    assert found["wa"].category == "wealth" and found["wa"].attribution_days == 30
    assert {c: int(v) for c, v in got.items()} == bank["expected"]
    assert 20 < sum(bank["expected"].values()) < len(bank["expected"]) / 2
    assert not got[bank["late"]]  # its conversion came after the window
    assert bank["control"] not in got.index  # control customers were never contacted


def test_no_post_contact_data_reaches_the_features(bank: dict[str, Any]) -> None:
    root = bank["root"]
    meta = registry.read_meta(root, "response_wealth")
    dates = {c["campaign_id"]: c["feature_as_of"] for c in meta["extra"]["campaigns"]}
    assert dates == {"wa": "2025-09-30", "wb": "2025-11-02"}
    eng = workspace.open_(root).engine()
    try:
        usable, _ = response.usable(response.campaigns(eng), data_end=default_as_of(eng))
        wa = next(c for c in usable if c.campaign_id == "wa")
        frame = trainset.snapshot_frame(eng, wa.feature_as_of(default_as_of(eng)),
                                        list(bank["clean"].columns))
        ts, _ = response.response_set([(wa, frame, response.conversions(eng, wa))], "response_wealth")
        later = trainset.snapshot_frame(eng, dt.date(2025, 11, 2), ["txn_volume_90d", "credits_3m"],
                                        bank["planted"])
    finally:
        eng.close()
    # the features of campaign wa are those built before the plant, to the last value
    pd.testing.assert_frame_equal(ts.frame, bank["clean"].loc[ts.frame.index])
    assert (ts.frame.select_dtypes("number").abs() < PLANT / 10).all().all()
    # while a snapshot after the contact does see the planted sums
    assert (later.max(axis=1) >= PLANT).all()


def test_model_trained_registered_and_scored(bank: dict[str, Any]) -> None:
    result, root = bank["result"], bank["root"]
    [model] = result["models"]
    assert model["name"] == "response_wealth" and model["kind"] == "response"
    assert model["split"] == "time" and model["campaigns"] == ["wa", "wb"]
    assert model["n_train"] + model["n_test"] == sum(
        c["rows"] for c in registry.read_meta(root, "response_wealth")["extra"]["campaigns"])
    for key in ("auc", "pr_auc", "lift_top_decile", "brier"):
        assert np.isfinite(model["metrics"][key])
    assert {"logistic", "segment_rate", "base_rate"} <= set(model["baselines"])
    meta = registry.read_meta(root, "response_wealth")
    assert meta["kind"] == "response" and meta["horizon_days"] == 30
    assert meta["extra"]["train_campaigns"] == ["wa"] and meta["extra"]["test_campaigns"] == ["wb"]
    assert meta["train_dates"] == ["2025-10-01"] and meta["test_dates"] == ["2025-11-03"]
    assert meta["extra"]["campaigns"][0]["positives"] == sum(bank["expected"].values())
    assert "gender" not in {f["tag"] for f in meta["features"]}
    assert {"gender", "generation"} <= set(meta["fairness"]["attributes"])
    assert result["scored"]["tags"] == ["response_wealth", "response_wealth_band"]
    assert result["scored"]["as_of"] == "2025-11-02"
    n, scored = _sql(root, f"SELECT count(*), count(response_wealth) FROM {LATEST}")[0]
    assert scored == n > 0.95 * CUSTOMERS
    assert result["responses"]["left_out"] == {}
    listed = {m["name"]: m for m in models_service.list_models(root)}
    assert listed["response_wealth"]["kind"] == "response"
    with pytest.raises(UsageError, match="labels come from campaigns"):
        models_service.evaluate(root, "response_wealth", dt.date(2025, 9, 1))


def test_one_campaign_is_cross_validated(bank: dict[str, Any]) -> None:
    from portrait.models.training import train_binary

    root = bank["root"]
    plan = tags.plan_for(root)
    eng = workspace.open_(root).engine()
    try:
        wa = next(c for c in response.campaigns(eng) if c.campaign_id == "wa")
        frame = trainset.snapshot_frame(eng, FIRST_FEATURES, ["aum", "txn_count_90d", "gender"])
        ts, _ = response.response_set([(wa, frame, response.conversions(eng, wa))], "response_wealth")
    finally:
        eng.close()
    trained = train_binary(ts, plan, ["aum", "txn_count_90d"], ["gender"], kind="response",
                           segment_tag=None)
    assert trained.split == "cv5" and trained.n_test == len(ts.y)


def test_skipped_with_a_reason(base: Path, bank: dict[str, Any]) -> None:
    models, skipped, report = train_responses(base)  # no campaign in this workspace
    assert models == [] and "no campaign has contacted anyone" in skipped["response"]
    assert report == {"campaigns": [], "left_out": {}}
    models, skipped, _ = train_responses(bank["root"], only=["response_fund"])
    assert models == [] and "category 'fund'" in skipped["response_fund"]


def test_a_later_tag_build_rescores(bank: dict[str, Any], tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(bank["root"], root)
    res = CliRunner().invoke(app, ["tags", "build", "--as-of", "2025-11-02", "--no-score",
                                   "--workspace", str(root), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["rescored"] == []
    assert _sql(root, f"SELECT count(response_wealth) FROM {LATEST}")[0][0] == 0  # empty
    rebuilt = tags.build_tags(root, as_of=dt.date(2025, 11, 2))  # the latest snapshot again
    assert rebuilt.rescored == ["response_wealth"] and rebuilt.as_dict()["rescored"] == ["response_wealth"]
    n, scored, banded = _sql(root, "SELECT count(*), count(response_wealth), "
                                   f"count(response_wealth_band) FROM {LATEST}")[0]
    assert scored == banded == n > 0.95 * CUSTOMERS
    older = tags.build_tags(root, as_of=FIRST_FEATURES, only=["aum"])
    assert older.rescored == [] and "not the latest" in (older.rescore_note or "")


def test_a_planted_response_signal_is_learned(bank: dict[str, Any], tmp_path: Path) -> None:
    """Replace the simulated responses by ones that depend on a tag as of each campaign's
    feature date (the top fifth by liquid assets converts far more): a model whose rows and
    labels were misaligned, or whose features came from another date, could not find it."""
    root = tmp_path / "ws"
    shutil.copytree(bank["root"], root)
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    rng = np.random.default_rng(11)
    try:
        con.execute("DELETE FROM responses")
        for cid, day, snap in (("wa", "2025-10-10", "tags__20250930"), ("wb", "2025-11-10", LATEST)):
            rows = con.execute(
                f"SELECT c.contact_id, c.customer_id, percent_rank() OVER (ORDER BY s.liquid_assets) "
                f"FROM contacts c JOIN {snap} s USING (customer_id) WHERE c.campaign_id = ? AND "
                "c.arm = 'treatment'", [cid]).fetchall()
            converted = [(f"sig:{contact}", contact, customer, day) for contact, customer, rank in rows
                         if rng.random() < (0.4 if rank > 0.8 else 0.03)]
            con.executemany("INSERT INTO responses (response_id, contact_id, customer_id, outcome, ts) "
                            "VALUES (?, ?, ?, 'converted', CAST(? AS TIMESTAMP))", converted)
    finally:
        con.close()
    [model], skipped, _ = train_responses(root)
    assert skipped == {} and model["split"] == "time"
    assert model["metrics"]["auc"] > 0.7, model
    assert model["metrics"]["auc"] > model["baselines"]["segment_rate"]["auc"]
    assert {"liquid_assets", "last_demand_balance", "deposit_balance", "aum"} & set(model["top_features"])
