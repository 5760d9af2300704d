"""Any CSV file as a modelling table: delimiter and types detected, target encoded 0/1.

DuckDB's CSV sniffer detects the delimiter (``,`` ``;`` tab ``|``), the quoting and the
column types over the whole file. Numeric and boolean columns become numbers, dates become
days since 1970-01-01, everything else is categorical and is turned into integer codes by
:class:`CategoryCodes`, fitted on training rows only (a category first seen in test rows
becomes missing, which LightGBM and the baseline both accept).

Nothing is dropped silently: columns left out (asked for with ``drop``, constant, or
identifiers — non-numeric and unique per row) are listed with the reason, and suspicious
columns that are kept (a unique integer per row, very many categories) are listed as notes.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from portrait.errors import UsageError

#: Two-class targets: a value spelled like one of these is the positive class.
POSITIVE_WORDS = frozenset({"1", "1.0", "yes", "y", "true", "t", "positive"})
#: A kept categorical column with more distinct values than this share of rows is noted.
HIGH_CARDINALITY = 0.5
NUMERIC, CATEGORICAL = "numeric", "categorical"


@dataclass
class Dataset:
    """A CSV file ready for modelling, rows in file order.

    ``columns`` maps each feature to a float array (numeric) or an object array of
    strings/None (categorical); ``kinds`` says which. ``y`` is 1 for the positive class.
    """

    path: Path
    delimiter: str
    target: str
    positive: str
    positive_rule: str
    classes: dict[str, int]
    y: np.ndarray
    columns: dict[str, np.ndarray]
    kinds: dict[str, str]
    dropped: list[dict[str, str]] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)

    @property
    def features(self) -> list[str]:
        return list(self.columns)

    @property
    def categorical(self) -> list[str]:
        return [c for c, k in self.kinds.items() if k == CATEGORICAL]

    def __len__(self) -> int:
        return len(self.y)


class CategoryCodes:
    """Ordinal codes for categorical columns, learnt from training rows.

    Codes are 0..k-1 in sorted order of the values seen in ``fit``; missing values and
    values never seen in ``fit`` become NaN.
    """

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = list(columns)

    def fit(self, ds: Dataset, rows: np.ndarray) -> CategoryCodes:
        self.mapping_: dict[str, dict[str, int]] = {}
        for name in self.columns:
            seen = {v for v in ds.columns[name][rows] if v is not None}
            self.mapping_[name] = {v: i for i, v in enumerate(sorted(seen))}
        return self

    def matrix(self, ds: Dataset, rows: np.ndarray) -> np.ndarray:
        """The feature matrix (float64, one column per feature, in ``ds.features`` order)."""
        out = np.empty((len(rows), len(ds.columns)), dtype=np.float64)
        for j, name in enumerate(ds.columns):
            values = ds.columns[name][rows]
            if ds.kinds[name] == CATEGORICAL:
                codes = self.mapping_[name]
                out[:, j] = [codes.get(v, np.nan) if v is not None else np.nan for v in values]
            else:
                out[:, j] = values
        return out


def _nearest(name: str, names: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
    if not close:
        close = [n for n in names if n.lower() == name.lower()]
    return f" Did you mean {close[0]!r}?" if close else ""


def _sniff(path: Path, con: duckdb.DuckDBPyConnection) -> tuple[str, list[str]]:
    try:
        row = con.execute("SELECT Delimiter, Columns FROM sniff_csv(?, sample_size = -1)",
                          [str(path)]).fetchall()[0]
    except duckdb.Error as exc:
        raise UsageError(f"{path}: cannot read it as a delimited text file ({exc}).",
                         hint="Give a CSV file with a header row.") from exc
    assert row is not None
    return str(row[0]), [c["name"] for c in row[1]]


def _as_feature(col: pa.ChunkedArray) -> tuple[str, np.ndarray]:
    t = col.type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t) \
            or pa.types.is_boolean(t):
        return NUMERIC, pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
    if pa.types.is_date(t):
        days = pc.cast(pc.cast(col, pa.date32()), pa.int32())
        return NUMERIC, pc.cast(days, pa.float64()).to_numpy(zero_copy_only=False)
    if pa.types.is_timestamp(t):
        secs = pc.cast(pc.cast(col, pa.timestamp("s")), pa.int64())
        return NUMERIC, pc.divide(pc.cast(secs, pa.float64()), 86400.0).to_numpy(
            zero_copy_only=False)
    return CATEGORICAL, np.array(pc.cast(col, pa.string()).to_pylist(), dtype=object)


def _positive(path: Path, target: str, counts: Counter[str],
              positive: str | None) -> tuple[str, str]:
    classes = sorted(counts)
    listed = ", ".join(repr(c) for c in classes[:10]) + (" …" if len(classes) > 10 else "")
    if len(classes) < 2:
        raise UsageError(f"{path}: target column {target!r} has one class only ({listed}).",
                         hint="Choose a column with at least two values.")
    if positive is not None:
        if positive in counts:
            return positive, "given with --positive"
        folded = [c for c in classes if c.lower() == positive.strip().lower()]
        if len(folded) == 1:
            return folded[0], "given with --positive"
        raise UsageError(f"{path}: --positive {positive!r} is not a value of {target!r} "
                         f"(values: {listed}).")
    if len(classes) > 2:
        raise UsageError(f"{path}: target column {target!r} has {len(classes)} classes "
                         f"({listed}); say which one is positive.",
                         hint="Add --positive VALUE (the others become the negative class).")
    named = [c for c in classes if c.strip().lower() in POSITIVE_WORDS]
    if len(named) == 1:
        return named[0], f"inferred: {named[0]!r} reads as a positive answer"
    a, b = classes
    minority = a if counts[a] < counts[b] else b
    return minority, (f"inferred: minority class ({counts[minority]:,} of "
                      f"{sum(counts.values()):,} rows)")


def load(path: Path, target: str, *, positive: str | None = None,
         drop: Sequence[str] = ()) -> Dataset:
    """Read ``path`` and prepare ``target`` against every other column.

    Raises:
        UsageError: the file is missing or unreadable, ``target`` or a ``drop`` column is
            not in the file (the nearest name is suggested), the target has one class,
            more than two without ``positive``, or ``positive`` is not one of its values.
    """
    if not path.is_file():
        raise UsageError(f"{path}: no such file.", hint="Check the path given to --csv.")
    con = duckdb.connect()
    try:
        delimiter, names = _sniff(path, con)
        if target not in names:
            raise UsageError(f"{path}: no column {target!r}.{_nearest(target, names)}",
                             hint=f"Columns: {', '.join(names)}.")
        for name in drop:
            if name not in names:
                raise UsageError(f"{path}: --drop names no column {name!r}."
                                 f"{_nearest(name, names)}", hint=f"Columns: {', '.join(names)}.")
        if target in drop:
            raise UsageError(f"{path}: {target!r} is the target; it cannot also be dropped.")
        table = con.read_csv(str(path), delimiter=delimiter, sample_size=-1,
                             dtype={target: "VARCHAR"}).to_arrow_table()
    except duckdb.Error as exc:
        raise UsageError(f"{path}: cannot read the file ({exc}).") from exc
    finally:
        con.close()
    return _prepare(path, delimiter, table, target, positive, drop)


def _prepare(path: Path, delimiter: str, table: pa.Table, target: str, positive: str | None,
             drop: Sequence[str]) -> Dataset:
    raw = [None if v is None else v.strip() for v in table[target].to_pylist()]
    keep = np.array([v not in (None, "") for v in raw])
    labels = [v for v, k in zip(raw, keep, strict=True) if k]
    counts: Counter[str] = Counter(labels)  # type: ignore[arg-type]
    chosen, rule = _positive(path, target, counts, positive)
    notes: list[dict[str, str]] = []
    if not keep.all():
        notes.append({"column": target, "note": f"{int((~keep).sum()):,} rows without a target "
                                                "value left out"})
    dropped = [{"column": c, "reason": "asked (--drop)"} for c in drop]
    columns: dict[str, np.ndarray] = {}
    kinds: dict[str, str] = {}
    n = int(keep.sum())
    for name in table.column_names:
        if name == target or name in drop:
            continue
        kind, values = _as_feature(table[name])
        values = values[keep]
        present = values[~np.isnan(values)] if kind == NUMERIC else \
            values[values != None]  # noqa: E711 - elementwise comparison on an object array
        distinct = len(set(present.tolist()))
        if distinct <= 1:
            dropped.append({"column": name, "reason": "constant (one value at most)"})
            continue
        if kind == CATEGORICAL and distinct == n:
            dropped.append({"column": name, "reason": "identifier (non-numeric, unique per row)"})
            continue
        if kind == NUMERIC and distinct == n and np.all(present == np.round(present)):
            notes.append({"column": name, "note": "a unique integer per row: if it is an "
                                                  "identifier, leave it out with --drop"})
        elif kind == CATEGORICAL and distinct > HIGH_CARDINALITY * n:
            notes.append({"column": name, "note": f"{distinct:,} distinct values in {n:,} rows"
                                                  " (kept; consider --drop)"})
        columns[name], kinds[name] = values, kind
    if not columns:
        raise UsageError(f"{path}: no feature column left besides {target!r}.",
                         hint="Drop fewer columns.")
    y = np.array([1 if v == chosen else 0 for v in labels], dtype=np.int64)
    return Dataset(path=path, delimiter=delimiter, target=target, positive=chosen,
                   positive_rule=rule, classes=dict(sorted(counts.items())), y=y,
                   columns=columns, kinds=kinds, dropped=dropped, notes=notes)


def describe(ds: Dataset) -> dict[str, Any]:
    """The detection results, for reports."""
    return {"file": str(ds.path), "delimiter": ds.delimiter, "rows": len(ds),
            "target": ds.target, "positive": ds.positive, "positive_rule": ds.positive_rule,
            "classes": ds.classes, "features": ds.features, "categorical": ds.categorical,
            "dropped": ds.dropped, "notes": ds.notes}
