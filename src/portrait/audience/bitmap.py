"""The bitmap index of a tag snapshot, and expressions evaluated on it.

Customers are numbered densely (their row in the snapshot); the index keeps the
customer ids in that order, and per tag:

* a *not-null* bitmap;
* boolean: a bitmap of true and one of false;
* categorical: one bitmap per value; set: one bitmap per element;
* ordinal: range-encoded, ``ge[i]`` = customers at level ``i`` or above, so ``>=`` is one
  lookup and ``=`` one difference;
* numeric: the non-null values sorted (``sorted``) with their rows (``order``), cut into
  buckets at value changes near quantiles, and ``ge[j]`` = customers whose value is at
  least the first value of bucket ``j``. A bound inside a bucket takes the range-encoded
  bitmap and adds (or removes) the exact rows of that bucket's slice of ``order`` — the
  answer is exact, never approximated to a bucket edge.

Three-valued logic is kept exactly as SQL's ``WHERE`` does: a predicate is true, false
or unknown (NULL tag) for each customer; :meth:`Index.rows` asks each node for the rows
where it is true, or where it is false (under ``not``), never conflating false with
unknown. The file format is in :mod:`portrait.audience.bitmap_file`.
"""

from __future__ import annotations

import array
from typing import Any

import numpy as np
import pyarrow as pa
from pyroaring import BitMap

from portrait.audience.bitmap_file import IndexFile
from portrait.audience.expr import (
    And,
    Between,
    Compare,
    Contains,
    Expr,
    In,
    IsNull,
    IsTrue,
    Lit,
    Not,
    Or,
)
from portrait.audience.validate import Query

#: A numeric range smaller than this (rows) is turned into a bitmap directly.
_DIRECT = 65_536


def bitmap_of(rows: np.ndarray[Any, Any]) -> BitMap:
    """A bitmap of row numbers (built through ``array.array``, much faster than a list)."""
    buf = array.array("I")
    buf.frombytes(np.ascontiguousarray(rows, dtype=np.uint32).tobytes())
    return BitMap(buf)


class Index:
    """A loaded index: looks bitmaps up lazily and evaluates checked expressions."""

    def __init__(self, file: IndexFile) -> None:
        self.file = file
        self.header = file.header
        self.rows_total: int = int(self.header["customers"])
        self._cache: dict[tuple[str, ...], Any] = {}
        self.universe = BitMap(range(self.rows_total))

    @property
    def as_of(self) -> str:
        return str(self.header["as_of"])

    def tag_type(self, name: str) -> str | None:
        tag = self.header["tags"].get(name)
        return None if tag is None else str(tag["type"])

    def domain(self, name: str) -> frozenset[str] | None:
        """Values (categorical) or elements (set) the tag takes in the snapshot."""
        tag = self.header["tags"].get(name)
        if tag is None or tag["type"] not in ("categorical", "set"):
            return None
        return frozenset(tag["values"])

    # --- lookups -------------------------------------------------------------------------
    def _bitmap(self, name: str, *key: str) -> BitMap:
        cached = self._cache.get((name, *key))
        if cached is None:
            ref: Any = self.header["tags"][name]
            for part in key:
                ref = ref[int(part)] if isinstance(ref, list) else ref.get(part)
                if ref is None:
                    cached = BitMap()
                    break
            else:
                cached = self.file.bitmap(ref)
            self._cache[(name, *key)] = cached
        return cached

    def _array(self, name: str, key: str, dtype: str) -> np.ndarray[Any, Any]:
        cached = self._cache.get((name, "array", key))
        if cached is None:
            cached = self.file.array(self.header["tags"][name][key], dtype)
            self._cache[(name, "array", key)] = cached
        return cached

    def notnull(self, name: str) -> BitMap:
        return self._bitmap(name, "notnull")

    def customer_ids(self, rows: BitMap | None = None) -> list[str]:
        """Customer ids of ``rows`` (all when ``None``), in row order."""
        ids = self._cache.get(("", "ids"))
        if ids is None:
            ids = self.file.strings(self.header["ids"])
            self._cache[("", "ids")] = ids
        if rows is None:
            return [str(v) for v in ids.to_pylist()]
        taken = ids.take(pa.array(rows.to_array(), type=pa.uint32()))
        return [str(v) for v in taken.to_pylist()]

    # --- evaluation ----------------------------------------------------------------------
    def rows(self, query: Query) -> BitMap:
        """Customers for whom the expression is true (a bitmap the caller may change)."""
        return self._eval(query.expr, True).copy()

    def count(self, query: Query) -> int:
        return len(self._eval(query.expr, True))

    def _eval(self, node: Expr, want: bool) -> BitMap:
        """Rows where ``node`` is ``want`` (true or false); unknown rows are in neither."""
        if isinstance(node, Not):
            return self._eval(node.item, not want)
        if isinstance(node, And | Or):
            parts = [self._eval(item, want) for item in node.items]
            # and: true where all are true, false where any is false; or: the dual
            if isinstance(node, And) == want:
                parts.sort(key=len)
                result = parts[0].copy()
                for part in parts[1:]:
                    if not result:
                        break
                    result &= part
                return result
            return BitMap.union(*parts) if len(parts) > 1 else parts[0]
        match, known = self._leaf(node)
        return match if want else known - match

    def _leaf(self, node: Expr) -> tuple[BitMap, BitMap]:
        """(rows where the predicate holds, rows where it is not unknown)."""
        name = node.tag.name  # type: ignore[union-attr]
        if isinstance(node, IsNull):
            notnull = self.notnull(name)
            return (notnull if node.negated else self.universe - notnull), self.universe
        kind = self.header["tags"][name]["type"]
        notnull = self.notnull(name)
        if isinstance(node, IsTrue):
            return self._bitmap(name, "true"), notnull
        if isinstance(node, Contains):
            return self._bitmap(name, "eq", str(node.value.value)), notnull
        if isinstance(node, In):
            return BitMap.union(*(self._equal(name, kind, v) for v in node.values)), notnull
        if isinstance(node, Between):
            return self._range(name, kind, node.low, ">=") & self._range(name, kind, node.high, "<="), notnull
        assert isinstance(node, Compare)
        if node.op == "=":
            return self._equal(name, kind, node.value), notnull
        if node.op == "!=":
            return notnull - self._equal(name, kind, node.value), notnull
        return self._range(name, kind, node.value, node.op), notnull

    def _equal(self, name: str, kind: str, lit: Lit) -> BitMap:
        if kind == "boolean":
            return self._bitmap(name, "true" if lit.value else "false")
        if kind == "categorical":
            return self._bitmap(name, "eq", str(lit.value))
        if kind == "ordinal":
            i = self._level(name, lit)
            return self._ge(name, i) - self._ge(name, i + 1)
        left, right = self._positions(name, float(lit.value))
        return self._sorted_rows(name, left, right)

    def _range(self, name: str, kind: str, lit: Lit, op: str) -> BitMap:
        """Rows with the tag ``op`` the literal, for ``<``, ``<=``, ``>``, ``>=``."""
        if kind == "ordinal":
            i = self._level(name, lit)
            known = self._ge(name, 0)
            return {">=": lambda: self._ge(name, i), ">": lambda: self._ge(name, i + 1),
                    "<": lambda: known - self._ge(name, i),
                    "<=": lambda: known - self._ge(name, i + 1)}[op]()
        left, right = self._positions(name, float(lit.value))
        total = len(self._array(name, "sorted", "<f8"))
        start, stop = {">=": (left, total), ">": (right, total), "<": (0, left),
                       "<=": (0, right)}[op]
        return self._sorted_rows(name, start, stop)

    def _level(self, name: str, lit: Lit) -> int:
        levels: list[str] = self.header["tags"][name]["levels"]
        return levels.index(str(lit.value))

    def _ge(self, name: str, level: int) -> BitMap:
        if level >= len(self.header["tags"][name]["ge"]):
            return BitMap()
        return self._bitmap(name, "ge", str(level))

    # --- numeric ranges ------------------------------------------------------------------
    def _positions(self, name: str, value: float) -> tuple[int, int]:
        """First and one-past-last position of ``value`` among the sorted values."""
        values = self._array(name, "sorted", "<f8")
        return (int(np.searchsorted(values, value, "left")),
                int(np.searchsorted(values, value, "right")))

    def _sorted_rows(self, name: str, start: int, stop: int) -> BitMap:
        """Rows whose values sit at sorted positions ``start`` … ``stop-1``."""
        if stop <= start:
            return BitMap()
        if stop - start <= _DIRECT:
            return bitmap_of(self._array(name, "order", "<u4")[start:stop])
        return self._from(name, start) - self._from(name, stop)

    def _from(self, name: str, position: int) -> BitMap:
        """Rows at sorted positions ``position`` and after: one bucket bitmap ± a slice."""
        bounds: list[int] = self.header["tags"][name]["bounds"]
        order = self._array(name, "order", "<u4")
        if position >= len(order):
            return BitMap()
        j = int(np.searchsorted(bounds, position, "right")) - 1
        if bounds[j] == position:
            return self._bitmap(name, "ge", str(j))
        end = bounds[j + 1] if j + 1 < len(bounds) else len(order)
        if position - bounds[j] < end - position:
            return self._bitmap(name, "ge", str(j)) - bitmap_of(order[bounds[j]:position])
        upper = self._bitmap(name, "ge", str(j + 1)) if j + 1 < len(bounds) else BitMap()
        return upper | bitmap_of(order[position:end])

