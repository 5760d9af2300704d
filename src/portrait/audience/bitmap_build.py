"""Building the bitmap index of a snapshot (see :mod:`portrait.audience.bitmap`).

Columns are read from the warehouse a few at a time, each read with ``customer_id`` so
that the row numbering is checked to be the same in every read (plain scans keep the
table's order in DuckDB; the check turns a surprise into an error, never a wrong
index). Each column is turned into bitmaps with numpy (group rows by value with one
stable sort) and written to the index file at once, so memory stays near a few columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyroaring import BitMap
from sqlglot import exp

from portrait.audience.bitmap import bitmap_of
from portrait.audience.bitmap_file import IndexWriter
from portrait.audience.validate import TagInfo
from portrait.errors import ConfigError
from portrait.store.engine import Engine

#: Most buckets of a numeric tag; fewer for small snapshots (about one per
#: ``BUCKET_ROWS`` values) and when values repeat.
BUCKETS = 64
BUCKET_ROWS = 32_768
_BATCH = 4
_COLUMN_TYPES = {"numeric": "DOUBLE", "boolean": "BOOLEAN", "categorical": "VARCHAR",
                 "ordinal": "VARCHAR", "set": "VARCHAR[]"}


def build_index(engine: Engine, table: str, tags: list[TagInfo], path: Path, *,
                meta: dict[str, Any], progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Write the index of snapshot ``table`` for ``tags`` to ``path``.

    Args:
        engine: The warehouse holding the snapshot.
        table: The snapshot table (``tags__YYYYMMDD``).
        tags: The tags to index, with their types.
        path: The index file to (re)write.
        meta: Extra header fields (as-of date, the snapshot's build time) that tell a
            reader whether the index still matches its snapshot.
        progress: Called with each tag's name as it is indexed.

    Returns:
        The header written.
    """
    writer = IndexWriter(path)
    try:
        ids = engine.query_arrow(exp.select(exp.column("customer_id")).from_(exp.to_table(table)))
        id_column = ids.column(0).combine_chunks()
        header: dict[str, Any] = {**meta, "table": table, "customers": len(id_column),
                                  "built_index_at": dt.datetime.now(dt.UTC).isoformat(), "tags": {}}
        header["ids"] = writer.strings(id_column)
        for start in range(0, len(tags), _BATCH):
            batch = tags[start:start + _BATCH]
            data = _read(engine, table, batch)
            if not data.column(0).combine_chunks().equals(id_column):
                raise ConfigError(f"The rows of {table} came back in another order while "
                                  "indexing; the index was not written.",
                                  hint="Run the command again.")
            for i, info in enumerate(batch):
                if progress is not None:
                    progress(info.name)
                header["tags"][info.name] = _tag(writer, info, data.column(i + 1).combine_chunks())
        writer.commit(header)
    except BaseException:
        writer.abort()
        raise
    return header


def _read(engine: Engine, table: str, tags: list[TagInfo]) -> pa.Table:
    cols: list[exp.Expr] = [exp.column("customer_id")]
    for info in tags:
        # cast to the tag type's column type: an uncovered tag is a column of type NULL
        cols.append(exp.cast(exp.column(info.name, quoted=True), _COLUMN_TYPES[info.type]))
    return engine.query_arrow(exp.select(*cols).from_(exp.to_table(table)))


def _tag(writer: IndexWriter, info: TagInfo, column: pa.Array) -> dict[str, Any]:
    valid = np.asarray(pc.is_valid(column).to_numpy(zero_copy_only=False), dtype=bool)
    entry: dict[str, Any] = {"type": info.type, "notnull": writer.bitmap(bitmap_of(np.flatnonzero(valid)))}
    if info.type == "boolean":
        values = np.asarray(pc.fill_null(column, False).to_numpy(zero_copy_only=False), dtype=bool)
        entry["true"] = writer.bitmap(bitmap_of(np.flatnonzero(values & valid)))
        entry["false"] = writer.bitmap(bitmap_of(np.flatnonzero(~values & valid)))
    elif info.type == "categorical":
        names, groups = _groups(pc.cast(column, pa.string()))
        entry["values"] = names
        entry["eq"] = {n: writer.bitmap(bitmap_of(rows)) for n, rows in zip(names, groups, strict=True)}
    elif info.type == "set":
        flat = pc.cast(pc.list_flatten(column), pa.string())
        parents = np.asarray(pc.list_parent_indices(column).to_numpy(), dtype=np.int64)
        names, groups = _groups(flat)
        entry["values"] = names
        entry["eq"] = {n: writer.bitmap(bitmap_of(_distinct_sorted(parents[rows])))
                       for n, rows in zip(names, groups, strict=True)}
    elif info.type == "ordinal":
        entry.update(_ordinal(writer, info, pc.cast(column, pa.string())))
    else:
        entry.update(_numeric(writer, column, valid))
    return entry


def _groups(column: pa.Array) -> tuple[list[str], list[np.ndarray[Any, Any]]]:
    """Distinct non-null values of a string column and the rows of each."""
    encoded = pc.dictionary_encode(column).combine_chunks() if isinstance(
        column, pa.ChunkedArray) else pc.dictionary_encode(column)
    names = [str(v) for v in encoded.dictionary.to_pylist()]
    codes = np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    # the same stable order; numpy sorts 16-bit integers by radix, several times faster
    order = np.argsort(codes.astype(np.int16) if len(names) < 2**15 else codes, kind="stable")
    counts = np.bincount(codes + 1, minlength=len(names) + 1)
    ends = np.cumsum(counts)
    groups = [order[ends[k]:ends[k + 1]] for k in range(len(names))]
    return names, groups


def _distinct_sorted(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """``np.unique`` of an ascending array, without hashing or sorting it again.

    The rows of one set value are in row order (a stable sort groups them), so their
    parent rows ascend too.
    """
    if len(values) < 2:
        return values
    return values[np.concatenate(([True], values[1:] != values[:-1]))]


def _ordinal(writer: IndexWriter, info: TagInfo, column: pa.Array) -> dict[str, Any]:
    """Range-encoded levels: ``ge[i]`` = rows at level ``i`` or above (values that are
    not levels are in the not-null bitmap only)."""
    levels = list(info.levels or ())
    names, groups = _groups(column)
    rows = dict(zip(names, groups, strict=True))
    ge: list[list[int]] = []
    running = BitMap()
    for level in reversed(levels):
        if level in rows:
            running |= bitmap_of(rows[level])
        ge.append(writer.bitmap(running.copy()))
    return {"levels": levels, "ge": list(reversed(ge))}


def _numeric(writer: IndexWriter, column: pa.Array, valid: np.ndarray[Any, Any]) -> dict[str, Any]:
    """Sorted values with their rows, and range-encoded buckets cut at value changes."""
    values = np.asarray(pc.fill_null(column, 0.0).to_numpy(zero_copy_only=False), dtype=np.float64)
    rows = np.flatnonzero(valid)
    kept = values[rows]
    order_in_kept = np.argsort(kept, kind="stable")
    ordered = kept[order_in_kept]
    order = rows[order_in_kept].astype(np.uint32)
    total = len(ordered)
    bounds = [0]
    if total:
        buckets = min(BUCKETS, -(-total // BUCKET_ROWS))
        picks = ordered[np.linspace(0, total - 1, buckets + 1).astype(np.int64)]
        # a value change at each quantile, on both sides of it: a heavy value (e.g. 0)
        # becomes its own bucket, so `= 0` or `<= 0` is one bitmap lookup
        cuts = np.concatenate([np.searchsorted(ordered, picks, "left"),
                               np.searchsorted(ordered, picks, "right")])
        bounds = sorted({0, *(int(c) for c in cuts if 0 < c < total)})
    ge: list[list[int]] = []
    running = BitMap()
    ends = [*bounds[1:], total]
    for start, end in reversed(list(zip(bounds, ends, strict=True))):
        running |= bitmap_of(order[start:end])
        ge.append(writer.bitmap(running.copy()))
    return {"bounds": bounds, "ge": list(reversed(ge)), "order": writer.array(order),
            "sorted": writer.array(ordered.astype("<f8"))}
