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

from sqlglot import exp

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


def _long(engine: Engine, table: str, tags: list[str]) -> exp.Select:
    """A snapshot's values as (customer_id, tag, value-as-JSON-text) rows.

    Doubles are written with 12 significant digits, so that the last bits of a float,
    which differ between engines and summation orders, are not recorded as changes.
    """
    types = engine.columns(table)
    parts = []
    for tag in tags:
        value: exp.Expr = exp.cast(exp.func("to_json", exp.column(tag)), "VARCHAR")
        if types.get(tag) == "DOUBLE":
            value = exp.Anonymous(this="printf", expressions=[exp.Literal.string("%.12g"),
                                                               exp.column(tag)])
        parts.append(
            exp.select(exp.column("customer_id"), exp.alias_(exp.Literal.string(tag), "tag"),
                       exp.alias_(exp.func("coalesce", value, exp.Literal.string("null")), "value"))
            .from_(exp.to_table(table)))
    union: exp.Query = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    return exp.select("*").from_(union.subquery())


def record_history(engine: Engine, as_of: dt.date, table: str, tags: list[str]) -> int:
    """Bring ``tag_history`` up to date with the snapshot just written.

    Building the latest date again with the same values changes nothing; building a date
    older than the latest recomputes the history of those tags from every snapshot.

    Returns:
        The number of (customer, tag) values that changed.
    """
    if not tags:
        return 0
    listed = ", ".join(exp.Literal.string(t).sql("duckdb") for t in tags)
    latest = engine.query(f"SELECT max(valid_from) FROM {HISTORY} WHERE tag IN ({listed})")[0][0]
    if latest is not None and as_of < latest:
        return _recompute(engine, tags)
    day = exp.Literal.string(as_of.isoformat()).sql("duckdb")
    engine.execute(f"CREATE OR REPLACE TEMP TABLE __new AS {_long(engine, table, tags).sql('duckdb')}")
    changed = _diff_open(engine, listed)
    if latest == as_of and changed:
        # a rebuild of the latest date with other values replaces what that date recorded
        engine.execute(f"DELETE FROM {HISTORY} WHERE tag IN ({listed}) AND valid_from = DATE {day}")
        engine.execute(f"UPDATE {HISTORY} SET valid_to = NULL WHERE tag IN ({listed}) "
                       f"AND valid_to = DATE {day}")
        _diff_open(engine, listed)
    engine.execute(f"UPDATE {HISTORY} h SET valid_to = DATE {day} FROM __changed c "
                   "WHERE h.customer_id = c.customer_id AND h.tag = c.tag AND h.valid_to IS NULL "
                   "AND c.was_open")
    engine.execute(f"INSERT INTO {HISTORY} SELECT customer_id, tag, new_value, DATE {day}, NULL "
                   "FROM __changed WHERE new_value IS NOT NULL")
    engine.execute("DROP TABLE __new")
    engine.execute("DROP TABLE __changed")
    return changed


def _diff_open(engine: Engine, listed: str) -> int:
    """(Re)create ``__changed``: new values that differ from the open history rows."""
    engine.execute(
        "CREATE OR REPLACE TEMP TABLE __changed AS SELECT coalesce(n.customer_id, o.customer_id) "
        "AS customer_id, coalesce(n.tag, o.tag) AS tag, n.value AS new_value, "
        f"o.value IS NOT NULL AS was_open FROM __new n FULL JOIN (SELECT * FROM {HISTORY} "
        f"WHERE valid_to IS NULL AND tag IN ({listed})) o ON n.customer_id = o.customer_id "
        "AND n.tag = o.tag WHERE n.value IS DISTINCT FROM o.value")
    return int(engine.query("SELECT count(*) FROM __changed")[0][0])


def _recompute(engine: Engine, tags: list[str]) -> int:
    """History of ``tags`` rebuilt from every snapshot that holds them."""
    listed = ", ".join(exp.Literal.string(t).sql("duckdb") for t in tags)
    parts: list[str] = []
    for snap in sorted(snapshots(engine), key=lambda s: s["as_of"]):
        held = [t for t in tags if t in snap["tags"]]
        if held:
            day = exp.Literal.string(snap["as_of"].isoformat()).sql("duckdb")
            values = _long(engine, snap["table"], held).sql("duckdb")
            parts.append(f"SELECT *, DATE {day} AS d FROM ({values})")
    engine.execute(f"DELETE FROM {HISTORY} WHERE tag IN ({listed})")
    engine.execute(
        f"INSERT INTO {HISTORY} SELECT customer_id, tag, value, d, NULL FROM ("
        "SELECT *, lag(value) OVER (PARTITION BY customer_id, tag ORDER BY d) AS prev FROM ("
        + " UNION ALL ".join(parts) + ")) WHERE prev IS DISTINCT FROM value")
    # close each run where the next run starts (not at the next snapshot)
    engine.execute(
        f"UPDATE {HISTORY} h SET valid_to = n.nf FROM (SELECT customer_id, tag, valid_from, "
        "lead(valid_from) OVER (PARTITION BY customer_id, tag ORDER BY valid_from) AS nf "
        f"FROM {HISTORY} WHERE tag IN ({listed})) n WHERE h.customer_id = n.customer_id AND "
        "h.tag = n.tag AND h.valid_from = n.valid_from")
    return int(engine.query(f"SELECT count(*) FROM {HISTORY} WHERE tag IN ({listed})")[0][0])
