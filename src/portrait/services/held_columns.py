"""Columns a serving session holds in memory, laid out to be read back as Python fast.

A profile reads a few values from each of many columns, and turning Arrow values into
Python objects is where that time goes. pyarrow converts a short slice of strings or
numbers in about 2 µs per column, but ten timestamps, dates or decimals take 20–30 µs
(each is built through a slow per-value path), and one value at a time costs about 1 µs.
So:

* :class:`HeldColumn` keeps a table's column for slices (or single values): dates and
  timestamps as numpy ``datetime64`` (whose ``tolist`` builds ``date`` / ``datetime``
  objects in C), decimals as the exact ``float`` of each value (what a profile shows),
  anything else as Arrow.
* :class:`HeldRows` keeps a wide table (a tag snapshot, ~160 columns) for reading one
  whole row: the numeric and boolean columns packed row-major into one matrix per type,
  so a row of all of them is one ``tolist``, and the strings as dictionary codes in one
  matrix; anything else is read value by value.

Both give exactly the values pyarrow's ``as_py`` gives, except decimals (their float).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

#: Decimals become floats only while their unscaled integers are exact in a float.
_EXACT = 2**53
#: Strings are held as codes only while they repeat (distinct values ≤ this share of
#: the rows); near-unique strings stay in Arrow.
_REPEATING = 0.5


def _contiguous(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(array, pa.ChunkedArray):
        return array.combine_chunks() if array.num_chunks else pa.array([], array.type)
    return array


def decimal_floats(array: pa.Array) -> np.ndarray | None:
    """The float of each value of a ``decimal128`` array (NaN where null), each exactly
    ``float(Decimal)``: the unscaled integer divided by the power of ten, both exact in a
    float, so IEEE division rounds the true quotient once, as ``float(Decimal)`` does.
    ``None`` when a value's unscaled integer is too large for that."""
    kind = array.type
    if not (pa.types.is_decimal128(kind) and 0 <= kind.scale <= 22):
        return None
    words = np.frombuffer(array.buffers()[1], dtype="<i8")
    words = words[2 * array.offset: 2 * (array.offset + len(array))].reshape(-1, 2)
    valid = ~np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    low = np.where(valid, words[:, 0], 0)
    high = np.where(valid, words[:, 1], 0)
    if not (np.array_equal(high, low >> 63) and bool((np.abs(low) < _EXACT).all())):
        return None
    floats: np.ndarray = low.astype(np.float64) / float(10 ** kind.scale)
    floats[~valid] = np.nan
    return floats


def _temporal(array: pa.Array) -> np.ndarray | None:
    """A tz-naive timestamp or a date column as numpy ``datetime64`` (nulls as NaT, which
    ``tolist`` turns into ``None``)."""
    kind = array.type
    if pa.types.is_date32(kind) or (pa.types.is_timestamp(kind) and kind.tz is None
                                    and kind.unit in ("s", "ms", "us")):
        return np.asarray(array.to_numpy(zero_copy_only=False))
    return None


class HeldColumn:
    """One column, for reading values back as Python: slices of consecutive rows, or one
    value at a time.

    Args:
        array: The column.
        floats: Hold decimals as their floats (else they stay exact ``Decimal``).
    """

    def __init__(self, array: pa.Array | pa.ChunkedArray, *, floats: bool = True) -> None:
        array = _contiguous(array)
        self._nulls: np.ndarray | None = None
        self._numpy = _temporal(array)
        if self._numpy is None and floats and pa.types.is_decimal128(array.type):
            self._numpy = decimal_floats(array)
            if self._numpy is not None and array.null_count:
                self._nulls = np.asarray(array.is_null().to_numpy(zero_copy_only=False))
        self._arrow = array if self._numpy is None else None
        held = self._arrow.nbytes if self._arrow is not None else 0
        self.nbytes = int(held + sum(a.nbytes for a in (self._numpy, self._nulls)
                                     if a is not None))

    def slice(self, lo: int, hi: int) -> list[Any]:
        """The values of rows ``lo`` to ``hi`` (exclusive)."""
        if self._numpy is None:
            assert self._arrow is not None
            values: list[Any] = self._arrow.slice(lo, hi - lo).to_pylist()
            return values
        values = self._numpy[lo:hi].tolist()
        if self._nulls is not None:
            nulls = self._nulls[lo:hi]
            if nulls.any():
                values = [None if null else v for v, null in zip(values, nulls.tolist(),
                                                                  strict=True)]
        return values

    def value(self, i: int) -> Any:
        """The value of row ``i``."""
        if self._numpy is None:
            assert self._arrow is not None
            return self._arrow[i].as_py()
        if self._nulls is not None and self._nulls[i]:
            return None
        return self._numpy[i:i + 1].tolist()[0]


def _matrix(arrays: list[pa.Array], fill: Any, dtype: str
            ) -> tuple[np.ndarray, np.ndarray | None]:
    """The columns side by side, row-major, with a matching null mask (if any null)."""
    values = np.empty((len(arrays[0]), len(arrays)), dtype=dtype)
    nulls = None
    for j, array in enumerate(arrays):
        values[:, j] = array.fill_null(fill).to_numpy(zero_copy_only=False)
        if array.null_count:
            if nulls is None:
                nulls = np.zeros(values.shape, dtype=bool)
            nulls[:, j] = array.is_null().to_numpy(zero_copy_only=False)
    return values, nulls


class HeldRows:
    """A wide table's columns, for reading one whole row at a time.

    Args:
        columns: The columns by name, all of the same length.
    """

    def __init__(self, columns: dict[str, pa.Array | pa.ChunkedArray]) -> None:
        arrays = {name: _contiguous(a) for name, a in columns.items()}
        rows = len(next(iter(arrays.values()))) if arrays else 0
        by_kind: dict[str, list[str]] = {"float64": [], "int64": [], "bool": [], "codes": [],
                                         "other": []}
        for name, array in arrays.items():
            by_kind[self._kind(array, rows)].append(name)
        self._readers: list[tuple[tuple[str, ...], Callable[[int], list[Any]]]] = []
        self.nbytes = 0
        for kind, fill in (("float64", 0.0), ("int64", 0), ("bool", False)):
            if by_kind[kind]:
                self._packed(by_kind[kind], [arrays[n] for n in by_kind[kind]], fill, kind)
        if by_kind["codes"]:
            self._coded(by_kind["codes"], [arrays[n] for n in by_kind["codes"]])
        if by_kind["other"]:
            others = [HeldColumn(arrays[n], floats=False) for n in by_kind["other"]]
            self.nbytes += sum(a.nbytes for a in others)
            self._readers.append((tuple(by_kind["other"]),
                                  lambda i: [a.value(i) for a in others]))

    @staticmethod
    def _kind(array: pa.Array, rows: int) -> str:
        kind = array.type
        if pa.types.is_float64(kind):
            return "float64"
        if pa.types.is_int64(kind):
            return "int64"
        if pa.types.is_boolean(kind):
            return "bool"
        if (pa.types.is_string(kind) or pa.types.is_large_string(kind)) and (
                len(array.unique()) <= max(_REPEATING * rows, 256)):
            return "codes"
        return "other"

    def _packed(self, names: list[str], arrays: list[pa.Array], fill: Any, dtype: str) -> None:
        values, nulls = _matrix(arrays, fill, dtype)
        self.nbytes += values.nbytes + (nulls.nbytes if nulls is not None else 0)

        def read(i: int) -> list[Any]:
            row: list[Any] = values[i].tolist()
            if nulls is not None:
                missing = nulls[i]
                if missing.any():
                    row = [None if m else v for v, m in zip(row, missing.tolist(), strict=True)]
            return row

        self._readers.append((tuple(names), read))

    def _coded(self, names: list[str], arrays: list[pa.Array]) -> None:
        # the codes of a column index its distinct values; a null's code, -1, picks the
        # None appended last
        categories: list[list[Any]] = []
        codes = np.empty((len(arrays[0]), len(arrays)), dtype=np.int32)
        for j, array in enumerate(arrays):
            encoded = array.dictionary_encode()
            codes[:, j] = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
            categories.append([*encoded.dictionary.to_pylist(), None])
            self.nbytes += int(encoded.dictionary.nbytes)
        self.nbytes += codes.nbytes

        def read(i: int) -> list[Any]:
            return [cats[c] for cats, c in zip(categories, codes[i].tolist(), strict=True)]

        self._readers.append((tuple(names), read))

    def row(self, i: int) -> dict[str, Any]:
        """Row ``i`` as {column: value}."""
        out: dict[str, Any] = {}
        for names, read in self._readers:
            out.update(zip(names, read(i), strict=True))
        return out
