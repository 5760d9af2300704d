"""Model scores written back into a tag snapshot as ``model`` tags (score and band).

The catalog declares the score tags (``churn_probability``, ``propensity_<category>`` …, in
``src/portrait/tags/catalog/model.yaml``); a tag build leaves them uncovered. After
training, the scores become columns of the snapshot, the registry row lists them as
built (no longer uncovered) and ``tag_history`` records the change — all in one
transaction, so an audience sees either the old snapshot or the scored one, never half.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlglot import exp

from portrait.store.engine import Engine
from portrait.tags import snapshots

#: Bands by rank in the book: the top 10% of scores are "high", the next 20% "medium".
BANDS: tuple[tuple[str, float], ...] = (("high", 0.10), ("medium", 0.30))


def tag_names(model: str) -> tuple[str, str | None]:
    """The score tag and band tag a model writes (``churn`` → churn_probability, churn_band)."""
    if model == "churn":
        return "churn_probability", "churn_band"
    if model == "value":
        return "predicted_value", None
    return model, f"{model}_band"


def bands(score: np.ndarray) -> np.ndarray:
    """low / medium / high by rank (ties broken by position); NaN scores get None."""
    s = np.asarray(score, dtype=float)
    out = np.full(len(s), "low", dtype=object)
    valid = np.flatnonzero(~np.isnan(s))
    order = valid[np.argsort(-s[valid], kind="stable")]
    start = 0
    for label, share in BANDS:
        stop = int(np.ceil(share * len(valid)))
        out[order[start:stop]] = label
        start = max(start, stop)
    out[np.isnan(s)] = None
    return out


def write(engine: Engine, as_of: dt.date, columns: dict[str, pd.Series]) -> list[str]:
    """Replace (or add) the given tag columns of the snapshot as of ``as_of``.

    Args:
        columns: Tag → values indexed by customer_id (customers not listed get NULL).

    Returns:
        The tags written.
    """
    snap = snapshots.find(engine, as_of)
    if snap is None or snap["as_of"] != as_of or not columns:
        return []
    table = str(snap["table"])
    names = list(columns)
    ids = pd.Index(sorted(set().union(*[set(c.index) for c in columns.values()])), name="customer_id")
    data = {"customer_id": pa.array(ids.astype(str).tolist(), type=pa.string())}
    for name, series in columns.items():
        values = series.reindex(ids)
        if values.dtype == object:
            data[name] = pa.array([None if v is None or (isinstance(v, float) and np.isnan(v))
                                   else str(v) for v in values],
                                  type=pa.string())
        else:
            data[name] = pa.array(values.to_numpy(dtype=float), type=pa.float64(),
                                  from_pandas=True)
    staged = f"modelscores__{as_of:%Y%m%d}"
    engine.write_arrow(staged, pa.table(data))
    present = set(engine.columns(table))
    drop = [n for n in names if n in present]
    star = exp.Star(**({"except_": [exp.column(n) for n in drop]} if drop else {}))
    select = exp.select(exp.Column(this=star, table=exp.to_identifier("s")),
                        *[exp.column(n, table="m") for n in names]) \
        .from_(exp.alias_(exp.to_table(table), "s")) \
        .join(exp.alias_(exp.to_table(staged), "m"), using=["customer_id"], join_type="left")
    engine.execute("BEGIN TRANSACTION")
    try:
        engine.execute(f"CREATE OR REPLACE TABLE {exp.to_table(table).sql('duckdb')} AS "
                       f"{select.sql('duckdb')}")
        tags = list(snap["tags"]) + [n for n in names if n not in snap["tags"]]
        uncovered = {k: v for k, v in dict(snap["uncovered"]).items() if k not in names}
        engine.execute(f"UPDATE {snapshots.REGISTRY} SET tags = ?, uncovered = ? WHERE as_of = ?",
                       [json.dumps(tags), json.dumps(uncovered), as_of])
        snapshots.record_history(engine, as_of, table, names)
        engine.execute("COMMIT")
    except BaseException:
        engine.execute("ROLLBACK")
        raise
    finally:
        engine.execute(f"DROP TABLE IF EXISTS {staged}")
    return names
