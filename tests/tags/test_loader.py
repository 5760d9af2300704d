"""Catalog errors name the file, the tag and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from portrait.errors import DefinitionError
from portrait.tags.loader import load_catalog
from portrait.tags.plan import build_plan

BASE = {"title": {"en": "T", "zh": "标签"}, "family": "economic", "change": "dynamic",
        "sensitivity": "internal", "type": "numeric", "description": "d"}


def _catalog(tmp_path: Path, *tags: dict) -> Path:  # type: ignore[type-arg]
    folder = tmp_path / "cat"
    folder.mkdir(exist_ok=True)
    (folder / "mine.yaml").write_text(yaml.safe_dump(list(tags), allow_unicode=True), encoding="utf-8")
    return folder


def _error(tmp_path: Path, *tags: dict) -> str:  # type: ignore[type-arg]
    folder = _catalog(tmp_path, *tags)
    with pytest.raises(DefinitionError) as err:
        build_plan(load_catalog([folder], shipped=False))
    return str(err.value)


def test_unknown_family(tmp_path: Path) -> None:
    msg = _error(tmp_path, {**BASE, "name": "x", "family": "wealthy", "expr": "1"})
    assert "mine.yaml: tag 'x': family:" in msg and "'basic'" in msg


def test_extra_field_is_rejected(tmp_path: Path) -> None:
    assert "tag 'x': colour: Extra inputs are not permitted" in _error(
        tmp_path, {**BASE, "name": "x", "expr": "1", "colour": "red"})


def test_exactly_one_kind(tmp_path: Path) -> None:
    assert "exactly one definition kind" in _error(
        tmp_path, {**BASE, "name": "x", "expr": "1", "rank": {"tag": "y", "buckets": 4}})


def test_cycle(tmp_path: Path) -> None:
    msg = _error(tmp_path, {**BASE, "name": "a", "expr": "b + 1"}, {**BASE, "name": "b", "expr": "a * 2"})
    assert "cycle" in msg and "a" in msg and "b" in msg


def test_bins_on_a_non_numeric_tag(tmp_path: Path) -> None:
    msg = _error(tmp_path, {**BASE, "name": "g", "type": "categorical", "expr": "customer.gender"},
                 {**BASE, "name": "band", "type": "ordinal", "bins": {"tag": "g", "edges": [[0, "lo"]]}})
    assert "tag 'band': bins.tag: tag 'g' is categorical, not numeric" in msg


def test_unknown_column_suggests(tmp_path: Path) -> None:
    msg = _error(tmp_path, {**BASE, "name": "x", "aggregate": {
        "table": "transactions", "function": "sum", "column": "amuont"}})
    assert "aggregate.column: unknown column 'amuont'" in msg and "'amount'" in msg


def test_unknown_table_and_alias(tmp_path: Path) -> None:
    assert "Unknown table 'transaction'" in _error(tmp_path, {**BASE, "name": "x", "aggregate": {
        "table": "transaction", "function": "count"}})
    assert "unknown table alias 'prod'" in _error(tmp_path, {**BASE, "name": "x", "aggregate": {
        "table": "holdings", "function": "set", "column": "prod.category"}})


def test_pii_cannot_be_read(tmp_path: Path) -> None:
    msg = _error(tmp_path, {**BASE, "name": "x", "type": "categorical", "expr": "customer.phone"})
    assert "PII column 'phone'" in msg


def test_only_scalar_expressions(tmp_path: Path) -> None:
    msg = _error(tmp_path, {**BASE, "name": "x", "expr": "(SELECT max(amount) FROM transactions)"})
    assert "only scalar expressions" in msg


def test_bad_window(tmp_path: Path) -> None:
    assert "window '3 months'" in _error(tmp_path, {**BASE, "name": "x", "aggregate": {
        "table": "transactions", "function": "count", "window": "3 months"}})


def test_own_catalog_overrides_by_name(tmp_path: Path) -> None:
    one = _catalog(tmp_path, {**BASE, "name": "x", "expr": "1"})
    other = tmp_path / "other"
    other.mkdir()
    (other / "o.yaml").write_text(yaml.safe_dump([{**BASE, "name": "x", "expr": "2"}]),
                                  encoding="utf-8")
    tags = load_catalog([one, other], shipped=False)
    assert [t.spec.expr for t in tags] == ["2"]


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="does not exist"):
        load_catalog([tmp_path / "nope"], shipped=False)
