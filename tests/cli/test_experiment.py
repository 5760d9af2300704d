"""``portrait experiment evaluate`` end to end through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portrait.cli.app import app


def test_experiment_evaluate_json_and_table(tmp_path: Path) -> None:
    rows = ["arm,converted,amount"]
    rows += [f"control,{int(i < 20)},{i % 7}" for i in range(200)]
    rows += [f"email,{int(i < 35)},{i % 9}" for i in range(200)]
    rows += [f"sms,{int(i < 25)},{i % 5}" for i in range(200)]
    path = tmp_path / "past.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(app, ["experiment", "evaluate", str(path), "--treatment", "arm",
                              "--outcome", "converted", "--outcome", "amount", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["control"] == "control"
    assert out["arms"]["control"]["n"] == 200
    email = out["arms"]["email"]["outcomes"]["converted"]
    assert email["diff"] == pytest.approx(0.075)
    assert email["ci95"][0] < 0.075 < email["ci95"][1]
    assert 0 < email["p_value"] < 0.05
    res = runner.invoke(app, ["experiment", "evaluate", str(path), "--treatment", "arm",
                              "--outcome", "converted"])
    assert res.exit_code == 0, res.output
    assert "email" in res.stdout and "relative lift" in res.stdout
    assert "Holm p" in res.stdout and "Holm step-down" in res.stdout  # two arms: adjusted
    assert email["p_value"] <= email["p_value_holm"] <= 1


def test_experiment_missing_column_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("arm,y\ncontrol,1\nt,0\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["experiment", "evaluate", str(path), "--treatment", "arm",
                                   "--outcome", "z", "--json"])
    assert res.exit_code == 2
    assert "no outcome column 'z'" in json.loads(res.stdout)["error"]
