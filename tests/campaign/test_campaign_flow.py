"""Plan → launch → responses → evaluate on a small synthetic bank."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from portrait.errors import DataRejectedError, DefinitionError, NotFoundError, SourceFormatError
from portrait.services import campaign, workspace
from tests.campaign.conftest import write_spec


def _sql(root: Path, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def test_plan_funnel_contacts_nobody(bank: Path, tmp_path: Path) -> None:
    plan = campaign.plan(bank, write_spec(tmp_path))
    f = plan.funnel
    assert f["audience"] == 2000
    assert f["audience"] == sum(f["excluded"].values()) + f["eligible"]
    assert f["eligible"] == f["treatment"] + f["control"] + f["budget_cap"]
    assert f["control"] == pytest.approx(0.2 * f["eligible"], abs=len(plan.balance) + 10)
    assert f["excluded"]["unsuitable"] > 0  # WM_FIX_1Y is R2: C1 customers are excluded
    assert plan.stratify_by in {"value_tier", "segment"}
    assert plan.violations == []
    assert _sql(bank, "SELECT count(*) FROM contacts")[0][0] == 0
    # unsuitable members are exactly the C1 (or unassessed) customers
    rows = _sql(bank, "SELECT c.risk_level, count(*) FROM campaign_members m JOIN customers c "
                      "USING (customer_id) WHERE m.reason = 'unsuitable' GROUP BY 1")
    assert {r[0] for r in rows} <= {"C1", None}
    # re-planning gives the same arms
    before = _sql(bank, "SELECT customer_id, arm FROM campaign_members ORDER BY 1")
    campaign.plan(bank, write_spec(tmp_path))
    assert _sql(bank, "SELECT customer_id, arm FROM campaign_members ORDER BY 1") == before


def test_launch_is_idempotent_and_control_never_contacted(bank: Path, tmp_path: Path) -> None:
    plan = campaign.plan(bank, write_spec(tmp_path))
    first = campaign.launch(bank, "wealth")
    assert sum(first.contacted.values()) == plan.funnel["treatment"]
    assert first.control_recorded == plan.funnel["control"]
    second = campaign.launch(bank, "wealth")
    assert second.contacted == {} and second.files == {} and second.control_recorded == 0
    assert second.already_contacted == plan.funnel["treatment"] + plan.funnel["control"]
    rows = _sql(bank, "SELECT arm, count(*), count(DISTINCT customer_id) FROM contacts GROUP BY 1")
    counts = {r[0]: (r[1], r[2]) for r in rows}
    assert counts["treatment"] == (plan.funnel["treatment"],) * 2
    assert counts["control"] == (plan.funnel["control"],) * 2
    # no control customer appears in any channel file
    controls = {r[0] for r in _sql(bank, "SELECT customer_id FROM contacts WHERE arm = 'control'")}
    exported: set[str] = set()
    folder = bank / "exports" / "wealth"
    for path in folder.glob("*.csv"):
        with path.open(encoding="utf-8") as fh:
            exported.update(r.get("customer_id", "") for r in csv.DictReader(fh))
    sms = list(csv.DictReader((folder / "sms.csv").read_text(encoding="utf-8").splitlines()))
    assert set(sms[0]) == {"phone", "message"}  # data minimization: nothing but the phone
    assert sms[0]["phone"].isdigit() and "理财非存款" in sms[0]["message"]
    push = list(csv.DictReader((folder / "app_push.csv").read_text(encoding="utf-8").splitlines()))
    assert set(push[0]) == {"customer_token", "message"}
    # phones of control customers are not in the sms file: check through the tokens
    phones = {r["phone"] for r in sms}
    ws_cipher = workspace.open_(bank).cipher()
    control_tokens = {r[0] for r in _sql(bank, "SELECT phone_token FROM customers WHERE "
                                               "list_contains(?, customer_id)", [sorted(controls)])}
    assert not {ws_cipher.token(p) for p in phones} & control_tokens
    assert not exported & controls
    with pytest.raises(DefinitionError, match="launched"):
        campaign.plan(bank, write_spec(tmp_path))


@pytest.mark.slow
def test_frequency_cap_across_campaigns(bank: Path, tmp_path: Path) -> None:
    campaign.plan(bank, write_spec(tmp_path, id="one"))
    campaign.launch(bank, "one")
    campaign.plan(bank, write_spec(tmp_path, id="two"))
    campaign.launch(bank, "two")
    third = campaign.plan(bank, write_spec(tmp_path, id="three"))
    treated = _sql(bank, "SELECT count(DISTINCT customer_id) FROM contacts WHERE arm = 'treatment' "
                         "GROUP BY customer_id HAVING count(*) >= 2")
    assert third.funnel["excluded"]["frequency_cap"] == len(treated) > 0


def test_budget_cap(bank: Path, tmp_path: Path) -> None:
    plan = campaign.plan(bank, write_spec(tmp_path, extra="budget: 10"))
    assert plan.funnel["planned_cost"] <= 10
    assert plan.funnel["budget_cap"] > 0
    result = campaign.launch(bank, "wealth")
    assert result.cost <= 10
    spent = _sql(bank, "SELECT sum(CAST(json_extract(attributes, '$.cost') AS DOUBLE)) FROM contacts")
    assert spent[0][0] <= 10


def test_do_not_contact_and_withdrawn_consent_at_launch(bank: Path, tmp_path: Path) -> None:
    plan = campaign.plan(bank, write_spec(tmp_path))
    treated = [r[0] for r in _sql(bank, "SELECT customer_id FROM campaign_members WHERE arm = 'treatment' "
                                        "ORDER BY 1 LIMIT 3")]
    (bank / "do_not_contact.csv").write_text("customer_id\n" + treated[0] + "\n", encoding="utf-8")
    result = campaign.launch(bank, "wealth")
    assert result.withheld == {"do_not_contact": 1}
    assert sum(result.contacted.values()) == plan.funnel["treatment"] - 1
    again = campaign.plan(bank, write_spec(tmp_path, id="later"))
    assert again.funnel["excluded"]["do_not_contact"] == 1


def test_compliance_blocks_launch(bank: Path, tmp_path: Path) -> None:
    plan = campaign.plan(bank, write_spec(tmp_path, zh="保本保收益，稳赚！"))
    assert {v.rule for v in plan.violations} == {"no_guaranteed_returns"}
    with pytest.raises(DefinitionError, match=r"no_guaranteed_returns.*'保本'"):
        campaign.launch(bank, "wealth")
    assert _sql(bank, "SELECT count(*) FROM contacts")[0][0] == 0


def test_spec_errors_name_file_and_field(bank: Path, tmp_path: Path) -> None:
    bad = write_spec(tmp_path, extra="control_share: 1.5")
    with pytest.raises(DefinitionError, match=r"wealth\.yaml: field control_share"):
        campaign.plan(bank, bad)
    unknown = write_spec(tmp_path, id="x", zh="{nonexistent_tag}")
    with pytest.raises(DefinitionError, match=r"field templates\.zh: placeholder \{nonexistent_tag\}"):
        campaign.plan(bank, unknown)
    with pytest.raises(NotFoundError, match="NOPE"):
        campaign.plan(bank, write_spec(tmp_path, id="y", product="NOPE"))
    with pytest.raises(NotFoundError, match="No campaign 'ghost'"):
        campaign.launch(bank, "ghost")


def test_responses_validation_and_quarantine(bank: Path, tmp_path: Path) -> None:
    campaign.plan(bank, write_spec(tmp_path))
    campaign.launch(bank, "wealth")
    member = _sql(bank, "SELECT customer_id FROM contacts WHERE arm = 'treatment' LIMIT 1")[0][0]
    path = tmp_path / "resp.csv"
    path.write_text("campaign_id,customer_id,outcome,ts,amount\n"
                    f"wealth,{member},converted,2026-01-10T09:00:00,50000\n"
                    f"wealth,{member},opened,2026-01-05,\n"
                    f"wealth,{member},bought,2026-01-10,\n"
                    "wealth,NOBODY,opened,,\n"
                    f"wealth,{member},converted,yesterday,\n"
                    f"wealth,{member},converted,2026-01-11,-5\n", encoding="utf-8")
    report = campaign.record_responses(bank, path)
    assert report.loaded == 2 and report.rejected == 4
    assert report.by_outcome == {"converted": 1, "opened": 1}
    quarantined = list(csv.DictReader(Path(report.quarantine_file or "").read_text(
        encoding="utf-8").splitlines()))
    assert [r["line"] for r in quarantined] == ["4", "5", "6", "7"]
    assert "outcome 'bought'" in quarantined[0]["reason"]
    again = campaign.record_responses(bank, path)  # loading twice changes nothing
    assert again.loaded == 2
    assert _sql(bank, "SELECT count(*) FROM responses")[0][0] == 2
    with pytest.raises(DataRejectedError, match="rejected"):
        campaign.record_responses(bank, path, strict=True)
    header_only = tmp_path / "bad.csv"
    header_only.write_text("customer,outcome\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="customer_id"):
        campaign.record_responses(bank, header_only)


@pytest.mark.slow
def test_conversions_detected_from_holdings(bank: Path, tmp_path: Path) -> None:
    campaign.plan(bank, write_spec(tmp_path))
    campaign.launch(bank, "wealth")
    treated, control = (_sql(bank, f"SELECT customer_id FROM contacts WHERE arm = '{arm}' ORDER BY 1 LIMIT 1")
                        [0][0] for arm in ("treatment", "control"))
    con = duckdb.connect(str(bank / "warehouse.duckdb"))
    for i, (cid, day) in enumerate(((treated, "2026-01-12"), (control, "2026-01-20"),
                                    (treated, "2026-03-30"))):  # the last is outside the window
        con.execute("INSERT INTO holdings (holding_id, customer_id, product_id, start_at, amount, status) "
                    "VALUES (?, ?, 'WM_FIX_1Y', ?, 30000, 'active')", [f"HX{i}", cid, day])
    con.close()
    result = campaign.evaluate(bank, "wealth")
    assert result.data["conversions_from_holdings"] == 2
    assert result.data["conversion"]["mean_treatment"] * result.data["n_treatment"] == pytest.approx(1)
    assert result.data["conversion"]["mean_control"] * result.data["n_control"] == pytest.approx(1)


@pytest.mark.slow
def test_demo_campaign_recovers_the_planted_uplift(bank: Path) -> None:
    out = campaign.run_demo_campaign(bank)
    truth, ci = out["truth"]["ate"], out["ci95"]
    assert ci[0] <= truth <= ci[1] and out["covers_truth"]
    ev = out["evaluation"]
    assert ev["n_treatment"] + ev["n_control"] == sum(s["n"] for s in out["truth"]["by_stratum"].values())
    assert len(out["truth"]["by_stratum"]) >= 2  # stratified by segment or value tier
    # most per-segment intervals cover their own planted uplift
    covered = [s["conversion"]["ci95"][0] <= out["truth"]["by_stratum"][s["stratum"]]["uplift"]
               <= s["conversion"]["ci95"][1] for s in ev["by_segment"] if s["conversion"]]
    assert sum(covered) >= len(covered) - 1
    assert ev["uplift"].get("qini") is not None
    html = Path(out["report"]).read_text(encoding="utf-8")
    assert "<svg" in html and "<script" not in html and "http" not in html
    assert json.loads(json.dumps(ev, default=str))["conversion"]["p_value"] is not None
    assert dt.datetime.fromisoformat(ev["send_at"]).hour == 10
