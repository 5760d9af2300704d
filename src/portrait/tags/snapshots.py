"""Tag snapshots in the warehouse: one wide table per as-of date, a registry, and the
history of every change.

* ``tags__YYYYMMDD`` — ``customer_id`` and one column per tag, as of that date.
* ``tag_snapshots`` — one row per snapshot: as-of date, build time, tags, uncovered tags
  with reasons.
* ``tag_fingerprints`` — (as_of, tag, fingerprint): what each static tag's values were
  computed from, so a later build can carry them over (:mod:`portrait.tags.incremental`).
* ``tag_history`` — (customer_id, tag, value, valid_from, valid_to): a new row whenever a
  customer's value of a tag changes between consecutive snapshots; ``value`` is JSON
  text, ``valid_to`` is NULL for the current value.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from portrait.store import layout
from portrait.store.engine import Engine

REGISTRY = "tag_snapshots"
HISTORY = "tag_history"
REGISTRY_COLUMNS = [("as_of", "DATE"), ("table_name", "VARCHAR"), ("built_at", "TIMESTAMP"),
                    ("tags", "JSON"), ("uncovered", "JSON"), ("customers", "BIGINT")]
FINGERPRINTS = "tag_fingerprints"
FINGERPRINT_COLUMNS = [("as_of", "DATE"), ("tag", "VARCHAR"), ("fingerprint", "VARCHAR")]
HISTORY_COLUMNS = [("customer_id", "VARCHAR"), ("tag", "VARCHAR"), ("value", "VARCHAR"),
                   ("valid_from", "DATE"), ("valid_to", "DATE")]


def table_name(as_of: dt.date) -> str:
    return f"tags__{as_of:%Y%m%d}"


def ensure_tables(engine: Engine) -> None:
    engine.execute(layout.create_table(REGISTRY, REGISTRY_COLUMNS))
    engine.execute(layout.create_table(HISTORY, HISTORY_COLUMNS))
    engine.execute(layout.create_table(FINGERPRINTS, FINGERPRINT_COLUMNS))


def fingerprints(engine: Engine, as_of: dt.date) -> dict[str, str]:
    """The input fingerprints of the static tags built into the snapshot as of ``as_of``."""
    rows = engine.query(f"SELECT tag, fingerprint FROM {FINGERPRINTS} WHERE as_of = ?", [as_of])
    return {r[0]: r[1] for r in rows}


def record_fingerprints(engine: Engine, as_of: dt.date, values: dict[str, str]) -> None:
    """Replace the recorded fingerprints of these tags for the snapshot (inside the caller's txn)."""
    for tag, fingerprint in values.items():
        engine.execute(f"DELETE FROM {FINGERPRINTS} WHERE as_of = ? AND tag = ?", [as_of, tag])
        engine.execute(f"INSERT INTO {FINGERPRINTS} VALUES (?, ?, ?)", [as_of, tag, fingerprint])


def snapshots(engine: Engine) -> list[dict[str, Any]]:
    """Every snapshot, latest first."""
    ensure_tables(engine)
    rows = engine.query(f"SELECT as_of, table_name, built_at, tags, uncovered, customers FROM {REGISTRY} "
                        "ORDER BY as_of DESC")
    return [{"as_of": r[0], "table": r[1], "built_at": r[2], "tags": json.loads(r[3]),
             "uncovered": json.loads(r[4]), "customers": r[5]} for r in rows]


def find(engine: Engine, as_of: dt.date | None) -> dict[str, Any] | None:
    """The snapshot as of ``as_of``, or the latest one."""
    for snap in snapshots(engine):
        if as_of is None or snap["as_of"] == as_of:
            return snap
    return None


def record_history(engine: Engine, as_of: dt.date, table: str, tags: list[str]) -> int:
    """Bring ``tag_history`` up to date with the snapshot ``table`` (see
    :func:`portrait.tags.history.record`).

    Returns:
        The number of (customer, tag) values that changed.
    """
    from portrait.tags import history  # history reads the snapshot registry of this module

    return history.record(engine, as_of, table, tags)
