"""``portrait models train --csv`` end to end: JSON figures, table view, usage errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from portrait.cli.app import app
from tests.models.csvdata import planted_csv

runner = CliRunner()


def test_train_csv_json(tmp_path: Path) -> None:
    path = planted_csv(tmp_path / "planted.csv", rows=800)
    out = runner.invoke(app, ["models", "train", "--csv", str(path), "--target", "answer",
                              "--drop", "row_no", "--split", "random", "--seed", "2", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["split"] == "random" and data["seed"] == 2
    assert data["n_train"] == 640 and data["n_test"] == 160
    assert data["positive"] == "yes" and data["auc"] > 0.75
    for key in ("pr_auc", "lift_top_decile", "baseline_auc", "baseline_pr_auc", "best_iteration",
                "features", "dropped", "target"):
        assert key in data


def test_train_csv_table_shows_the_baseline(tmp_path: Path) -> None:
    path = planted_csv(tmp_path / "planted.csv", rows=600)
    out = runner.invoke(app, ["models", "train", "--csv", str(path), "--target", "answer",
                              "--drop", "row_no,noise"])
    assert out.exit_code == 0, out.output
    assert "logistic baseline" in out.stdout and "ROC AUC" in out.stdout
    assert "dropped ref: identifier" in out.stdout


def test_usage_errors_exit_2_with_a_message(tmp_path: Path) -> None:
    path = planted_csv(tmp_path / "planted.csv", rows=100)
    out = runner.invoke(app, ["models", "train", "--csv", str(path), "--target", "answr",
                              "--json"])
    assert out.exit_code == 2
    assert "Did you mean 'answer'" in json.loads(out.stdout)["error"]
    out = runner.invoke(app, ["models", "train", "--csv", str(path), "--json"])
    assert out.exit_code == 2 and "--target COL is required" in json.loads(out.stdout)["error"]
    out = runner.invoke(app, ["models", "train", "--csv", str(path), "--target", "answer",
                              "--split", "time", "--json"])
    assert out.exit_code == 2 and "Unknown split 'time'" in json.loads(out.stdout)["error"]
