"""``portrait campaign`` end to end through the CLI on a small synthetic bank."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portrait.cli.app import app
from tests.campaign.conftest import bank, bank_template, write_spec  # noqa: F401

pytestmark = pytest.mark.slow


def test_plan_launch_responses_evaluate(bank: Path, tmp_path: Path) -> None:  # noqa: F811
    runner = CliRunner()
    ws = ["--workspace", str(bank)]
    spec = write_spec(tmp_path)
    res = runner.invoke(app, ["campaign", "plan", str(spec), *ws])
    assert res.exit_code == 0, res.output
    assert "Funnel" in res.stdout and "control (never contacted)" in res.stdout
    res = runner.invoke(app, ["campaign", "plan", str(spec), *ws, "--json"])
    plan = json.loads(res.stdout)
    assert plan["funnel"]["audience"] == 2000
    res = runner.invoke(app, ["campaign", "launch", "wealth", *ws, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["contacted_total"] == plan["funnel"]["treatment"]
    res = runner.invoke(app, ["campaign", "launch", "wealth", *ws, "--json"])
    assert json.loads(res.stdout)["contacted_total"] == 0
    resp = tmp_path / "r.csv"
    resp.write_text("campaign_id,customer_id,outcome\nwealth,NOBODY,opened\n", encoding="utf-8")
    res = runner.invoke(app, ["campaign", "responses", str(resp), *ws, "--strict", "--json"])
    assert res.exit_code == 3
    res = runner.invoke(app, ["campaign", "evaluate", "wealth", *ws])
    assert res.exit_code == 0, res.output
    assert "Report:" in res.stdout
    res = runner.invoke(app, ["campaign", "list", *ws, "--json"])
    assert [c["campaign_id"] for c in json.loads(res.stdout)] == ["wealth"]
    res = runner.invoke(app, ["campaign", "launch", "nope", *ws, "--json"])
    assert res.exit_code == 2 and "No campaign 'nope'" in json.loads(res.stdout)["error"]
