"""Typed Arrow columns built from numpy arrays, without a Python loop per row.

Identifiers, labels and JSON texts are assembled with Arrow's compute kernels (cast,
pad, join, take), which run in C++ over whole columns; that is what keeps tens of
millions of generated rows affordable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from portrait.ingest.synth.draws import BoolArray, IntArray
from portrait.schema import ColumnType, Table

ARROW_TYPES: dict[ColumnType, Any] = {
    ColumnType.STRING: pa.string(),
    ColumnType.INTEGER: pa.int64(),
    ColumnType.FLOAT: pa.float64(),
    ColumnType.MONEY: pa.float64(),
    ColumnType.DATE: pa.date32(),
    ColumnType.TIMESTAMP: pa.timestamp("us"),
    ColumnType.BOOLEAN: pa.bool_(),
    ColumnType.JSON: pa.string(),  # JSON text; the pipeline checks it parses
}


def arrow_schema(table: Table) -> pa.Schema:
    """Arrow schema of a canonical table, in the schema's column order."""
    return pa.schema([(c.name, ARROW_TYPES[c.type]) for c in table.columns])


def frame(table: Table, columns: Mapping[str, Any], length: int) -> pa.Table:
    """An Arrow table of the canonical ``table``; columns not given are all null."""
    schema = arrow_schema(table)
    arrays = []
    for fld in schema:
        value = columns.get(fld.name)
        if value is None:
            arrays.append(pa.nulls(length, type=fld.type))
        elif isinstance(value, pa.Array | pa.ChunkedArray):
            arrays.append(value if value.type == fld.type else value.cast(fld.type))
        else:
            arrays.append(pa.array(value, type=fld.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def text(values: Sequence[str]) -> pa.Array:
    """A small vocabulary as an Arrow string array (to :func:`labels` from)."""
    return pa.array(list(values), type=pa.string())


def labels(vocabulary: pa.Array, codes: IntArray, missing: BoolArray | None = None) -> pa.Array:
    """``vocabulary[codes]`` as a string column; ``missing`` rows are null."""
    return pc.take(vocabulary, pa.array(codes, mask=missing))


def digits(numbers: IntArray, width: int = 0) -> pa.Array:
    """Decimal text of non-negative integers, zero-padded to ``width``."""
    if width:
        return ids("", numbers, width)
    return pa.array(numbers, type=pa.int64()).cast(pa.string())


def ids(prefix: str, numbers: IntArray, width: int) -> pa.Array:
    """Identifiers such as ``C0000000042``: a prefix and a zero-padded number.

    ``10**width`` is added so every number has the same length with a leading 1, which
    is then replaced by the prefix: two column-wide kernels, the cheapest way found to
    label tens of millions of rows.
    """
    text = pa.array(numbers + 10**width, type=pa.int64()).cast(pa.string())
    return pc.binary_replace_slice(text, 0, 1, prefix)


#: Digits of the chunk number inside serial identifiers.
CHUNK_DIGITS = 5


def serial_ids(prefix: str, chunk: int, count: int, serial_digits: int) -> pa.Array:
    """Identifiers numbered within a chunk, behind its number: ``<prefix><chunk><serial>``
    (``T00003000000042`` is chunk 3's 43rd transaction), so chunks need no shared counter
    and can be generated independently."""
    first = chunk * 10**serial_digits
    return ids(prefix, first + np.arange(count, dtype=np.int64), CHUNK_DIGITS + serial_digits)


def concat(*parts: pa.Array | str) -> pa.Array:
    """Row-wise concatenation of string columns and constants (null if any part is)."""
    return pc.binary_join_element_wise(*parts, "")


def blank(values: pa.Array, missing: BoolArray) -> pa.Array:
    """``values`` with the ``missing`` rows set to null."""
    return pc.if_else(pa.array(missing), pa.scalar(None, values.type), values)


def dates(days: IntArray, missing: BoolArray | None = None) -> pa.Array:
    """``date32`` column from days since 1970-01-01."""
    return pa.array(days.astype(np.int32), type=pa.date32(), mask=missing)


def timestamps(seconds: IntArray) -> pa.Array:
    """``timestamp[us]`` column from seconds since 1970-01-01."""
    return pa.array(seconds * 1_000_000, type=pa.timestamp("us"))


def money(cents: IntArray, missing: BoolArray | None = None) -> pa.Array:
    """Amounts in yuan (two decimals) from integer fen, so sums never drift."""
    return pa.array(cents / 100.0, type=pa.float64(), mask=missing)


def json_objects(fields: Mapping[str, pa.Array], missing: BoolArray | None = None) -> pa.Array:
    """One JSON object per row from named columns (strings quoted, numbers as they are).

    Values come from the generator's own vocabularies, which hold no quote or backslash,
    so no escaping is needed; null values are written as JSON ``null``.
    """
    parts: list[pa.Array | str] = []
    for n, (key, values) in enumerate(fields.items()):
        lead = ("{" if n == 0 else ", ") + f'"{key}": '
        if pa.types.is_string(values.type):
            rendered = pc.binary_join_element_wise('"', values, '"', "")
        elif pa.types.is_boolean(values.type):
            rendered = pc.if_else(values, "true", "false")
        else:
            rendered = values.cast(pa.string())
        parts.extend([lead, pc.fill_null(rendered, "null")])
    parts.append("}")
    out = concat(*parts)
    return out if missing is None else blank(out, missing)
