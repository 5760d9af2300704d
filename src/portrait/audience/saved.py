"""Saved audiences: named expressions in the warehouse, their sizes per snapshot,
overlaps, and exports.

* ``audiences`` — name, expression, created_at, updated_at.
* ``audience_sizes`` — (name, as_of) → size, or the error that kept the expression from
  running on that snapshot (e.g. a tag it lacks); ``snapshot_built_at`` tells whether
  the snapshot was rebuilt since, in which case the size is computed again.

An export holds a pseudonymous ``customer_token`` (keyed HMAC of the customer id under
the workspace key), the bank's ``customer_id`` unless left out, and only the tags asked
for — never a column of personal data. The caller passes the tags the user may see.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pyroaring import BitMap

from portrait.errors import AccessDeniedError, NotFoundError, UsageError
from portrait.store import layout
from portrait.store.engine import Engine

AUDIENCES = "audiences"
SIZES = "audience_sizes"
AUDIENCE_COLUMNS = [("name", "VARCHAR"), ("expression", "VARCHAR"), ("created_at", "TIMESTAMP"),
                    ("updated_at", "TIMESTAMP")]
SIZE_COLUMNS = [("name", "VARCHAR"), ("as_of", "DATE"), ("size", "BIGINT"), ("error", "VARCHAR"),
                ("snapshot_built_at", "TIMESTAMP"), ("computed_at", "TIMESTAMP")]
FORMATS = {".csv": "csv", ".parquet": "parquet"}
_NAME = re.compile(r"^[\w][\w\-.]{0,99}$")


@dataclass(frozen=True)
class Audience:
    name: str
    expression: str
    created_at: dt.datetime
    updated_at: dt.datetime


def ensure_tables(engine: Engine) -> None:
    engine.execute(layout.create_table(AUDIENCES, AUDIENCE_COLUMNS))
    engine.execute(layout.create_table(SIZES, SIZE_COLUMNS))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def check_name(name: str) -> str:
    """An audience name: letters, digits, ``_``, ``-`` and ``.``, at most 100 characters.

    Raises:
        UsageError: The name is empty or has other characters.
    """
    if not _NAME.match(name):
        raise UsageError(f"{name!r} is not a valid audience name.",
                         hint="Use letters, digits, '_', '-' or '.' (e.g. young_savers).")
    return name


def save(engine: Engine, name: str, expression: str, *, replace: bool = False) -> Audience:
    """Store (or, with ``replace``, overwrite) a named expression; its sizes are reset.

    Raises:
        UsageError: The name is taken and ``replace`` is false.
    """
    ensure_tables(engine)
    check_name(name)
    existing = find(engine, name)
    if existing is not None and not replace:
        raise UsageError(f"An audience named {name!r} already exists.",
                         hint="Pick another name, or pass --replace to overwrite it.")
    now = _now()
    created = existing.created_at if existing else now
    engine.execute("BEGIN TRANSACTION")
    try:
        engine.execute(f"DELETE FROM {AUDIENCES} WHERE name = ?", [name])
        engine.execute(f"DELETE FROM {SIZES} WHERE name = ?", [name])
        engine.execute(f"INSERT INTO {AUDIENCES} VALUES (?, ?, ?, ?)", [name, expression, created, now])
        engine.execute("COMMIT")
    except BaseException:
        engine.execute("ROLLBACK")
        raise
    return Audience(name, expression, created, now)


def find(engine: Engine, name: str) -> Audience | None:
    ensure_tables(engine)
    rows = engine.query(f"SELECT name, expression, created_at, updated_at FROM {AUDIENCES} "
                        "WHERE name = ?", [name])
    return Audience(*rows[0]) if rows else None


def get(engine: Engine, name: str) -> Audience:
    """The saved audience ``name``.

    Raises:
        NotFoundError: There is none; the message suggests the closest names.
    """
    found = find(engine, name)
    if found is None:
        names = [a.name for a in all_audiences(engine)]
        close = difflib.get_close_matches(name, names, n=3)
        hint = (f"Did you mean {', '.join(close)}?" if close
                else "See `portrait audience list`, or save it with `portrait audience save`.")
        raise NotFoundError(f"No saved audience named {name!r}.", hint=hint)
    return found


def all_audiences(engine: Engine) -> list[Audience]:
    ensure_tables(engine)
    rows = engine.query(f"SELECT name, expression, created_at, updated_at FROM {AUDIENCES} ORDER BY name")
    return [Audience(*r) for r in rows]


def delete(engine: Engine, name: str) -> None:
    get(engine, name)
    engine.execute(f"DELETE FROM {AUDIENCES} WHERE name = ?", [name])
    engine.execute(f"DELETE FROM {SIZES} WHERE name = ?", [name])


def recorded_sizes(engine: Engine) -> dict[tuple[str, dt.date], dict[str, Any]]:
    """(name, as_of) → recorded size row."""
    ensure_tables(engine)
    rows = engine.query(f"SELECT name, as_of, size, error, snapshot_built_at FROM {SIZES}")
    return {(r[0], r[1]): {"size": r[2], "error": r[3], "snapshot_built_at": r[4]} for r in rows}


def record_size(engine: Engine, name: str, as_of: dt.date, size: int | None, error: str | None,
                snapshot_built_at: dt.datetime) -> None:
    engine.execute(f"DELETE FROM {SIZES} WHERE name = ? AND as_of = ?", [name, as_of])
    engine.execute(f"INSERT INTO {SIZES} VALUES (?, ?, ?, ?, ?, ?)",
                   [name, as_of, size, error, snapshot_built_at, _now()])


def overlap(a: BitMap, b: BitMap) -> dict[str, Any]:
    """Sizes of two audiences, their intersection, union and Jaccard index."""
    both = a.intersection_cardinality(b)
    union = len(a) + len(b) - both
    return {"size_a": len(a), "size_b": len(b), "intersection": both, "union": union,
            "only_a": len(a) - both, "only_b": len(b) - both,
            "jaccard": round(both / union, 6) if union else 0.0}


def check_export_tags(requested: list[str], available: Collection[str],
                      allowed: Collection[str] | None) -> list[str]:
    """The tags to export, in the order asked, after checking each exists and is allowed.

    Raises:
        UsageError: A tag is not in the snapshot (the message suggests close names).
        AccessDeniedError: A tag is not among ``allowed`` (when that list is given).
    """
    seen: list[str] = []
    for tag in requested:
        if tag not in available:
            close = difflib.get_close_matches(tag, list(available), n=3)
            hint = f"Did you mean {', '.join(close)}?" if close else "See `portrait tags list`."
            raise UsageError(f"Unknown tag {tag!r} in --tags.", hint=hint)
        if allowed is not None and tag not in allowed:
            raise AccessDeniedError(f"You may not export the tag {tag!r}.",
                                    hint="Leave it out of --tags, or ask for access to it.")
        if tag not in seen:
            seen.append(tag)
    return seen


def export_format(out: Path) -> str:
    """``csv`` or ``parquet``, from the file's extension.

    Raises:
        UsageError: Another extension.
    """
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise UsageError(f"Cannot tell the export format of {out.name!r}.",
                         hint="Name the file *.csv or *.parquet.")
    return fmt


def write_export(data: pa.Table, out: Path) -> str:
    """Write ``data`` as CSV (set tags joined with ';') or Parquet; returns the format."""
    fmt = export_format(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        pq.write_table(data, out)
        return fmt
    columns = []
    for field, column in zip(data.schema, data.columns, strict=True):
        is_list = pa.types.is_list(field.type) or pa.types.is_large_list(field.type)
        columns.append(pc.binary_join(column, ";") if is_list else column)
    pacsv.write_csv(pa.table(columns, names=data.column_names), out)
    return fmt
