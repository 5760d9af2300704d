"""Incremental builds: which static tags can be carried over from an earlier snapshot.

A static tag (``change: static``) is recomputed only when something it depends on has
changed. Its *fingerprint* hashes its definition and those of the tags it needs, the
content of every table they read, and — when any of them depends on the date (an
aggregate cut at the as-of date, or an expression naming ``as_of``) — the date itself.
A tag whose fingerprint equals the one recorded with the earlier snapshot keeps its
earlier values for the customers that snapshot holds; new customers are computed.

Tags ranked against the whole book (``rank``, ``rfm``) and model scores change when
other customers change, so they are never carried over, nor is any static tag that
needs a dynamic one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlglot import exp

from portrait.store.engine import Engine
from portrait.tags.plan import AS_OF, Plan

_NEVER_CARRIED = ("rank", "rfm", "model")


def table_fingerprints(engine: Engine, tables: set[str]) -> dict[str, str]:
    """A content hash per table: its row count and an order-free hash of its rows.

    Rows are hashed twice before the XOR: DuckDB combines a row's column hashes
    linearly, so XOR-ing ``hash(row)`` would not see values of the last column trade
    places between rows.
    """
    out: dict[str, str] = {}
    for table in sorted(tables):
        if not engine.has_table(table):
            out[table] = "absent"
            continue
        rows = exp.select("count(*)", "bit_xor(hash(hash(t)))").from_(
            exp.alias_(exp.to_table(table), "t", table=True))
        count, digest = engine.query(rows.sql("duckdb"))[0]
        out[table] = f"{count}:{digest}"
    return out


def _dated(plan: Plan, name: str) -> bool:
    spec = plan.tags[name].spec
    if spec.aggregate is not None:
        return True
    parsed = plan.tags[name].parsed.values()
    return any(isinstance(c, exp.Column) and not c.table and c.name == AS_OF
               for node in parsed for c in node.walk())


def carriable(plan: Plan, name: str) -> bool:
    """A static tag whose whole closure is static and computed per customer."""
    return all(plan.tags[n].spec.change == "static" and plan.tags[n].spec.kind not in _NEVER_CARRIED
               for n in plan.closure([name]))


def fingerprints(engine: Engine, plan: Plan, names: list[str], day: dt.date) -> dict[str, str]:
    """The fingerprint of every carriable tag among ``names``."""
    static = [n for n in names if carriable(plan, n)]
    tables = {t for n in static for d in plan.closure([n]) for t in plan.tags[d].tables}
    contents = table_fingerprints(engine, tables)
    out: dict[str, str] = {}
    for name in static:
        closure = plan.closure([name])
        payload: dict[str, Any] = {
            "definitions": {d: plan.tags[d].spec.model_dump(mode="json") for d in closure},
            "tables": {t: contents[t] for d in closure for t in sorted(plan.tags[d].tables)},
            "as_of": day.isoformat() if any(_dated(plan, d) for d in closure) else None,
        }
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False)
        out[name] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return out


def reusable(current: dict[str, str], previous: dict[str, Any] | None, recorded: dict[str, str],
             previous_columns: set[str], uncovered: set[str]) -> set[str]:
    """Tags whose fingerprint matches the earlier snapshot's and whose values it holds."""
    if previous is None:
        return set()
    return {n for n, fp in current.items()
            if recorded.get(n) == fp and n in previous_columns and n not in uncovered
            and n not in (previous.get("uncovered") or {})}
