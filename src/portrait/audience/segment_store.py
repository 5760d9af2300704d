"""Fitted segments in the warehouse.

* the tag ``segment`` — a column of the snapshot table ``tags__YYYYMMDD``, listed in the
  ``tag_snapshots`` registry (and no longer uncovered), its changes in ``tag_history``;
* ``segment_models`` — one row per snapshot: k, seed, criterion and the silhouette of each
  candidate k, the feature columns with their standardization, and the centers, so a
  customer can be assigned later without refitting;
* ``segment_cards`` — one row per (snapshot, segment): the card as JSON, so showing cards
  and opportunities needs no refit.

All of it is written in one transaction. A later tag build of the same date empties the
``segment`` column again and marks it uncovered; :func:`load` then refuses stale cards.
"""

from __future__ import annotations

import datetime as dt
import json
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from sqlglot import exp

from portrait.audience.segments import SEGMENT_TAG, SegmentFit
from portrait.errors import NotFoundError
from portrait.store import layout
from portrait.store.engine import Engine
from portrait.tags import snapshots

MODELS = "segment_models"
CARDS = "segment_cards"
MODEL_COLUMNS = [("as_of", "DATE"), ("fitted_at", "TIMESTAMP"), ("k", "INTEGER"),
                 ("seed", "BIGINT"), ("algorithm", "VARCHAR"), ("criterion", "VARCHAR"),
                 ("scores", "JSON"), ("features", "JSON"), ("skipped", "JSON"),
                 ("centers", "JSON"), ("customers", "BIGINT")]
CARD_COLUMNS = [("as_of", "DATE"), ("segment", "VARCHAR"), ("card", "JSON")]
_STAGE = "segstage__assign"


def ensure_tables(engine: Engine) -> None:
    snapshots.ensure_tables(engine)
    engine.execute(layout.create_table(MODELS, MODEL_COLUMNS))
    engine.execute(layout.create_table(CARDS, CARD_COLUMNS))


def publish(engine: Engine, snap: dict[str, Any], customer_ids: list[str], fit: SegmentFit,
            cards: list[dict[str, Any]]) -> None:
    """Write the segments of one snapshot back as its tag ``segment``, with model and cards."""
    ensure_tables(engine)
    day: dt.date = snap["as_of"]
    table: str = snap["table"]
    engine.write_arrow(_STAGE, pa.table({"customer_id": pa.array(customer_ids, pa.string()),
                                         "segment": pa.array(fit.labels, pa.string())}))
    target = exp.to_table(table).sql("duckdb")
    engine.execute("BEGIN TRANSACTION")
    try:
        if SEGMENT_TAG not in engine.columns(table):
            engine.execute(f"ALTER TABLE {target} ADD COLUMN {SEGMENT_TAG} VARCHAR")
        engine.execute(f"UPDATE {target} SET {SEGMENT_TAG} = NULL")
        engine.execute(f"UPDATE {target} AS t SET {SEGMENT_TAG} = s.segment FROM {_STAGE} AS s "
                       "WHERE t.customer_id = s.customer_id")
        tags = list(snap["tags"]) + ([] if SEGMENT_TAG in snap["tags"] else [SEGMENT_TAG])
        uncovered = {k: v for k, v in snap["uncovered"].items() if k != SEGMENT_TAG}
        engine.execute(f"UPDATE {snapshots.REGISTRY} SET tags = ?, uncovered = ? WHERE as_of = ?",
                       [json.dumps(tags), json.dumps(uncovered), day])
        snapshots.record_history(engine, day, table, [SEGMENT_TAG])
        engine.execute(f"DELETE FROM {MODELS} WHERE as_of = ?", [day])
        engine.execute(f"INSERT INTO {MODELS} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            day, datetime.now(UTC).replace(tzinfo=None), fit.k, fit.seed, fit.algorithm,
            fit.criterion, json.dumps({str(k): v for k, v in fit.scores.items()}),
            json.dumps([c.as_dict() for c in fit.features.columns]),
            json.dumps(fit.features.skipped), json.dumps(fit.centers.round(6).tolist()),
            len(customer_ids)])
        engine.execute(f"DELETE FROM {CARDS} WHERE as_of = ?", [day])
        for card in cards:
            engine.execute(f"INSERT INTO {CARDS} VALUES (?, ?, ?)",
                           [day, card["segment"], json.dumps(card, ensure_ascii=False)])
        engine.execute("COMMIT")
    except BaseException:
        engine.execute("ROLLBACK")
        raise
    finally:
        engine.execute(f"DROP TABLE IF EXISTS {_STAGE}")


def load(engine: Engine, as_of: dt.date | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The fitted model (without centers) and cards of the snapshot as of ``as_of`` (or the latest).

    Raises:
        NotFoundError: No snapshot, or no current segments for it.
    """
    ensure_tables(engine)
    snap = snapshots.find(engine, as_of)
    when = as_of.isoformat() if as_of else "latest"
    if snap is None:
        raise NotFoundError(f"No tag snapshot ({when}).",
                            hint="Build tags first: `portrait tags build`.")
    day = snap["as_of"]
    rows = engine.query(f"SELECT fitted_at, k, seed, algorithm, criterion, scores, features, "
                        f"skipped, customers FROM {MODELS} WHERE as_of = ?", [day])
    if not rows or SEGMENT_TAG not in snap["tags"] or SEGMENT_TAG in snap["uncovered"]:
        stale = " (the snapshot was rebuilt since they were fitted)" if rows else ""
        raise NotFoundError(f"No segments for the snapshot as of {day.isoformat()}{stale}.",
                            hint=f"Fit them: `portrait segments fit --as-of {day.isoformat()}`.")
    r = rows[0]
    model = {"as_of": day.isoformat(), "fitted_at": r[0].isoformat(timespec="seconds"),
             "k": r[1], "seed": r[2], "algorithm": r[3], "criterion": r[4],
             "scores": json.loads(r[5]),
             "features": sorted({c["tag"] for c in json.loads(r[6])}),
             "skipped": json.loads(r[7]), "customers": r[8]}
    cards = [json.loads(c[0]) for c in engine.query(
        f"SELECT card FROM {CARDS} WHERE as_of = ? ORDER BY CAST(substr(segment, 2) AS INTEGER)",
        [day])]
    return model, cards
