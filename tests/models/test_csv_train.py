"""The generic trainer on a synthetic CSV with a planted signal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from portrait.errors import UsageError
from portrait.models.csv_train import split_rows
from portrait.services.models_csv import train_csv
from tests.models.csvdata import planted_csv


def test_ordered_split_keeps_the_last_rows_for_test() -> None:
    fit, valid, test = split_rows(np.zeros(100), "ordered", 0)
    assert test.tolist() == list(range(80, 100))
    assert valid.tolist() == list(range(64, 80))  # the last 20% of the training part
    assert fit.tolist() == list(range(64))


def test_random_split_is_stratified_and_disjoint() -> None:
    y = np.array([1] * 20 + [0] * 80)
    fit, valid, test = split_rows(y, "random", 3)
    assert len(test) == 20 and y[test].sum() == 4
    assert len(set(fit) | set(valid) | set(test)) == 100


def test_finds_the_planted_signal_and_is_deterministic(tmp_path: Path) -> None:
    path = planted_csv(tmp_path / "planted.csv")
    first = train_csv(path, "answer", drop=["row_no"], seed=1)
    assert first["auc"] > 0.8  # the planted logit alone reaches about 0.85
    assert first["baseline_auc"] > 0.8  # the signal is linear: the baseline finds it too
    assert first["split"] == "ordered" and (first["n_train"], first["n_test"]) == (1200, 300)
    assert first["positive"] == "yes"
    assert first["features"] == ["signal", "colour", "noise"]
    assert {d["column"] for d in first["dropped"]} == {"row_no", "ref", "country"}
    assert first["top_features"][0]["feature"] == "signal"
    second = train_csv(path, "answer", drop=["row_no"], seed=1)
    for key in ("auc", "pr_auc", "lift_top_decile", "baseline_auc", "best_iteration"):
        assert first[key] == second[key]


def test_random_split_runs(tmp_path: Path) -> None:
    path = planted_csv(tmp_path / "planted.csv", rows=800)
    result = train_csv(path, "answer", split="random", seed=0)
    assert result["split"] == "random" and result["auc"] > 0.75


def test_unknown_split_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="Unknown split 'time'"):
        train_csv(tmp_path / "x.csv", "y", split="time")
