"""Tiny hand-made tag snapshots for the audience tests."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from portrait.store import Workspace, init_workspace
from portrait.store.engine import Engine
from portrait.tags import snapshots

#: Columns of the hand-made snapshots: real tag names of the shipped catalog.
TYPES = {"gender": pa.string(), "age": pa.float64(), "aum_band": pa.string(),
         "holds_loan": pa.bool_(), "product_categories_held": pa.list_(pa.string()),
         "city": pa.string()}

#: customer_id, gender, age, aum_band, holds_loan, product_categories_held, city
ROWS: list[tuple[Any, ...]] = [
    ("c1", "F", 25.0, "aum_lt_10k", True, ["deposit", "loan"], "Praha"),
    ("c2", "M", 41.0, "aum_200k_1m", False, ["deposit", "fund"], "Brno"),
    ("c3", "F", 67.0, "aum_1m_6m", None, ["deposit", "insurance"], "Praha"),
    ("c4", None, None, None, None, None, None),
    ("c5", "M", 30.0, "aum_10k_50k", True, [], "Ostrava"),
    ("c6", "F", 30.0, "aum_6m_plus", False, ["fund", "insurance"], "Brno"),
]


def write_snapshot(engine: Engine, as_of: dt.date, rows: list[tuple[Any, ...]],
                   types: dict[str, pa.DataType] | None = None) -> str:
    """Write ``rows`` as the snapshot of ``as_of`` and register it."""
    types = types or TYPES
    names = ["customer_id", *types]
    columns = [pa.array([r[i] for r in rows], type=t)
               for i, t in enumerate([pa.string(), *types.values()])]
    table = snapshots.table_name(as_of)
    snapshots.ensure_tables(engine)
    engine.write_arrow(table, pa.table(columns, names=names))
    engine.execute(f"DELETE FROM {snapshots.REGISTRY} WHERE as_of = ?", [as_of])
    engine.execute(f"INSERT INTO {snapshots.REGISTRY} VALUES (?, ?, ?, ?, ?, ?)",
                   [as_of, table, dt.datetime.now(), json.dumps(list(types)), json.dumps({}),
                    len(rows)])
    return table


@pytest.fixture
def tiny_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A workspace with two hand-made snapshots (2023-12-31: c1–c3 only; 2024-06-30: all)."""
    monkeypatch.delenv("PORTRAIT_KEY", raising=False)
    ws = init_workspace(tmp_path / "ws")
    engine = ws.engine()
    try:
        write_snapshot(engine, dt.date(2023, 12, 31), ROWS[:3])
        write_snapshot(engine, dt.date(2024, 6, 30), ROWS)
    finally:
        engine.close()
    return ws
