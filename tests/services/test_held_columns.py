"""Held columns give back exactly the values pyarrow gives (decimals: their float)."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import random

import pyarrow as pa
import pytest

from portrait.services.held_columns import HeldColumn, HeldRows, decimal_floats

T0 = dt.datetime(2025, 3, 1, 9, 30, 15, 250)


def _table(rows: int, seed: int) -> dict[str, pa.Array]:
    rng = random.Random(seed)

    def maybe(value: object) -> object:
        return None if rng.random() < 0.2 else value

    return {
        "score": pa.array([maybe(rng.choice([rng.random() * 100, 3.0, float("nan"), -0.5]))
                           for _ in range(rows)], pa.float64()),
        "count": pa.array([maybe(rng.randrange(-5, 2**40)) for _ in range(rows)], pa.int64()),
        "flag": pa.array([maybe(rng.random() < 0.5) for _ in range(rows)], pa.bool_()),
        "band": pa.array([maybe(rng.choice(["低", "mid", "high"])) for _ in range(rows)]),
        "token": pa.array([maybe(f"t{i}") for i in range(rows)]),  # unique: stays in Arrow
        "held": pa.array([maybe([rng.choice("ab")] * rng.randrange(3)) for _ in range(rows)],
                         pa.list_(pa.string())),
        "born": pa.array([maybe(dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(20000)))
                          for _ in range(rows)], pa.date32()),
        "ts": pa.array([maybe(T0 + dt.timedelta(seconds=rng.randrange(10**7))) for _ in
                        range(rows)], pa.timestamp("us")),
        "name": pa.array([maybe(bytes([rng.randrange(256)]) * 3) for _ in range(rows)],
                         pa.binary()),
        "income": pa.array([maybe(decimal.Decimal(rng.randrange(-10**6, 10**6)) / 100)
                            for _ in range(rows)], pa.decimal128(18, 2)),
    }


def _same(a: object, b: object) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float)
                      and math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize("seed", [1, 2])
def test_a_held_row_is_what_arrow_gives(seed: int) -> None:
    columns = _table(400, seed)
    held = HeldRows(columns)
    assert held.nbytes > 0
    for i in range(400):
        row = held.row(i)
        assert set(row) == set(columns)
        for name, array in columns.items():
            assert _same(row[name], array[i].as_py()), (i, name, row[name])


def test_a_held_column_slice_is_what_arrow_gives() -> None:
    columns = _table(300, 3)
    for name, array in columns.items():
        column = HeldColumn(pa.chunked_array([array.slice(0, 100), array.slice(100)]))
        for lo, hi in ((0, 0), (0, 10), (95, 130), (290, 300)):
            got = column.slice(lo, hi)
            want = array.slice(lo, hi - lo).to_pylist()
            if name == "income":
                want = [None if v is None else float(v) for v in want]
            assert len(got) == len(want) and all(map(_same, got, want)), (name, lo, hi)


def test_decimals_are_their_exact_floats() -> None:
    rng = random.Random(7)
    values = [decimal.Decimal(rng.randrange(-10**13, 10**13)).scaleb(-rng.choice([2, 4]))
              for _ in range(20_000)]
    for scale in (2, 4):
        array = pa.array([v.quantize(decimal.Decimal(1).scaleb(-scale)) for v in values],
                         pa.decimal128(18, scale))
        floats = decimal_floats(array.slice(5))
        assert floats is not None
        assert floats.tolist() == [float(v) for v in array.slice(5).to_pylist()]


def test_decimals_too_wide_for_a_float_stay_decimals() -> None:
    array = pa.array([decimal.Decimal("1.50"), decimal.Decimal(2**60) / 100], pa.decimal128(38, 2))
    assert decimal_floats(array) is None
    assert HeldColumn(array).slice(0, 2) == array.to_pylist()
