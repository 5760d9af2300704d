"""``portrait models …`` (warehouse) and ``portrait recommend`` end to end through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from portrait.cli.app import app
from tests.models import synth_ws

pytestmark = pytest.mark.slow
runner = CliRunner()


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth_ws.copy(tmp_path_factory.getbasetemp(),
                         tmp_path_factory.mktemp("cli") / "ws")


def _json(args: list[str]) -> Any:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_list_show_evaluate_fairness(ws: Path) -> None:
    rows = _json(["models", "list", "-w", str(ws), "--json"])
    assert "propensity_wealth" in {r["name"] for r in rows}
    meta = _json(["models", "show", "churn", "-w", str(ws), "--json"])
    assert meta["kind"] == "churn" and meta["version"] == "v1"
    rep = _json(["models", "evaluate", "churn", "-w", str(ws), "--json"])
    assert rep["metrics"]["auc"] > rep["baselines"]["base_rate"]["auc"]
    fair = _json(["models", "fairness", "churn", "-w", str(ws), "--json"])
    assert "gender" in fair["attributes"]
    text = runner.invoke(app, ["models", "evaluate", "propensity_wealth", "-w", str(ws)])
    assert text.exit_code == 0 and "Reliability" in text.output and "logistic" in text.output


def test_unknown_model_is_a_usage_error(ws: Path) -> None:
    result = runner.invoke(app, ["models", "show", "churm", "-w", str(ws)])
    assert result.exit_code == 2 and "Did you mean churn" in result.output


def test_recommend_one_and_all(ws: Path, tmp_path: Path) -> None:
    rows = _json(["recommend", "--all", "--out", str(tmp_path / "all.jsonl"), "-w", str(ws), "--json"])
    assert rows["customers"] > 0 and rows["customers_per_second"] > 0
    first = json.loads((tmp_path / "all.jsonl").read_text(encoding="utf-8").splitlines()[0])
    shelf = _json(["recommend", first["customer_id"], "-w", str(ws), "--json"])
    assert {"held", "migratable", "predicted", "flags"} <= set(shelf)
    text = runner.invoke(app, ["recommend", first["customer_id"], "-w", str(ws), "--lang", "zh"])
    assert text.exit_code == 0 and "Predicted" in text.output
    missing = runner.invoke(app, ["recommend", "NOPE", "-w", str(ws)])
    assert missing.exit_code == 2
    assert runner.invoke(app, ["recommend", "-w", str(ws)]).exit_code == 2


def test_score_rewrites_the_model_tags(ws: Path) -> None:
    rep = _json(["models", "score", "-w", str(ws), "--json"])
    assert "churn_probability" in rep["tags"] and rep["customers"] > 0


def test_train_from_the_cli_adds_a_version(ws: Path) -> None:
    out = _json(["models", "train", "--horizon", "90d", "--only", "churn", "-w", str(ws), "--json"])
    assert [m["name"] for m in out["models"]] == ["churn"]
    churn = out["models"][0]
    assert churn["version"] == "v2" and churn["split"] == "time"
    assert out["scored"]["tags"]
    bad = runner.invoke(app, ["models", "train", "--horizon", "soon", "-w", str(ws)])
    assert bad.exit_code == 2 and "not a duration" in bad.output
