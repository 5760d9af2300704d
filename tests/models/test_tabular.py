"""Loading any CSV for modelling: detection, encoding, positive class, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from portrait.errors import UsageError
from portrait.models.tabular import CategoryCodes, load
from tests.models.csvdata import planted_csv


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    return planted_csv(tmp_path / "planted.csv", rows=200)


def test_detects_delimiter_types_and_reports_dropped_columns(csv_file: Path) -> None:
    ds = load(csv_file, "answer")
    assert ds.delimiter == ";"
    assert ds.features == ["row_no", "signal", "colour", "noise"]
    assert ds.categorical == ["colour"]
    assert ds.dropped == [
        {"column": "ref", "reason": "identifier (non-numeric, unique per row)"},
        {"column": "country", "reason": "constant (one value at most)"},
    ]
    assert [n["column"] for n in ds.notes] == ["row_no"]  # kept, but reported
    assert ds.columns["signal"].dtype == np.float64


def test_positive_class_is_inferred_from_its_spelling(csv_file: Path) -> None:
    ds = load(csv_file, "answer")
    assert ds.positive == "yes" and "reads as a positive" in ds.positive_rule
    assert ds.y.sum() == ds.classes["yes"]


def test_positive_class_is_the_minority_when_no_value_reads_positive(tmp_path: Path) -> None:
    rows = ["status,x"] + ["Existing Customer,1"] * 8 + ["Attrited Customer,2"] * 2
    path = tmp_path / "t.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    ds = load(path, "status")
    assert ds.positive == "Attrited Customer"
    assert ds.positive_rule == "inferred: minority class (2 of 10 rows)"
    assert ds.y.tolist() == [0] * 8 + [1] * 2


def test_positive_given_is_matched_ignoring_case(csv_file: Path) -> None:
    ds = load(csv_file, "answer", positive="NO")
    assert ds.positive == "no" and ds.positive_rule == "given with --positive"


def test_codes_learnt_on_training_rows_turn_unseen_categories_missing(csv_file: Path) -> None:
    ds = load(csv_file, "answer")
    colour = ds.columns["colour"]
    train = np.flatnonzero(colour != "red")
    codes = CategoryCodes(["colour"]).fit(ds, train)
    assert codes.mapping_ == {"colour": {"blue": 0, "green": 1}}
    x = codes.matrix(ds, np.arange(len(ds)))
    j = ds.features.index("colour")
    assert np.isnan(x[colour == "red", j]).all()
    assert (x[colour == "green", j] == 1).all()


def test_unknown_target_suggests_the_nearest_column(csv_file: Path) -> None:
    with pytest.raises(UsageError, match=r"planted.csv: no column 'answr'\. Did you mean 'answer'"):
        load(csv_file, "answr")


def test_unknown_drop_column_is_named(csv_file: Path) -> None:
    with pytest.raises(UsageError, match=r"--drop names no column 'nose'\. Did you mean 'noise'"):
        load(csv_file, "answer", drop=["nose"])


def test_target_with_one_class_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("y,x\nno,1\nno,2\nno,3\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"one.csv: target column 'y' has one class only"):
        load(path, "y")


def test_many_classes_need_positive(tmp_path: Path) -> None:
    path = tmp_path / "three.csv"
    path.write_text("y|x\na|1\nb|2\nc|3\n", encoding="utf-8")
    with pytest.raises(UsageError, match="3 classes"):
        load(path, "y")
    assert load(path, "y", positive="b").y.tolist() == [0, 1, 0]


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        load(tmp_path / "absent.csv", "y")
