"""Building a tag snapshot as of a date and publishing it atomically."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlglot import exp

from portrait.errors import NotFoundError, UsageError
from portrait.store.engine import Engine
from portrait.tags import history, snapshots
from portrait.tags import incremental as incremental_mod
from portrait.tags.compiler import Reuse, compile_snapshot
from portrait.tags.coverage import uncovered_tags
from portrait.tags.loader import SHIPPED, load_catalog
from portrait.tags.plan import Plan, build_plan


class _Progress:
    def start(self, description: str, total: int | None = None) -> None: ...

    def advance(self, amount: int = 1) -> None: ...


@dataclass
class BuildReport:
    as_of: dt.date
    table: str
    tags: list[str]
    customers: int
    uncovered: dict[str, str]
    history_changes: int
    coverage: dict[str, float] = field(default_factory=dict)
    carried: list[str] = field(default_factory=list)
    carried_from: dt.date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "table": self.table, "tags": len(self.tags),
                "customers": self.customers, "uncovered": self.uncovered,
                "history_changes": self.history_changes, "coverage": self.coverage,
                "carried_over": self.carried,
                "carried_from": self.carried_from.isoformat() if self.carried_from else None}


_PLANS: dict[tuple[tuple[str, int, int], ...], Plan] = {}


def _catalog_state(catalogs: list[Path] | None) -> tuple[tuple[str, int, int], ...]:
    folders = [SHIPPED, *(catalogs or [])]
    files = [(str(f), -1, -1) for f in folders if not f.is_dir()]  # loading reports it
    for folder in folders:
        if folder.is_dir():
            files += [(str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.glob("*.y*ml"))]
    return tuple(files)


def load_plan(catalogs: list[Path] | None = None) -> Plan:
    """The shipped catalog plus any extra folders, resolved.

    Resolving the catalog parses every definition (about a second); the plan is kept
    for as long as no catalog file changes, so that services answering many requests
    (the API) do not pay it per call. Callers must not modify the plan.
    """
    state = _catalog_state(catalogs)
    plan = _PLANS.get(state)
    if plan is None:
        plan = build_plan(load_catalog(catalogs))
        _PLANS.clear()
        _PLANS[state] = plan
    return plan


def default_as_of(engine: Engine) -> dt.date:
    """The workspace's default as-of date: set by ingest to the last transaction date."""
    value = engine.get_meta("default_as_of")
    if value:
        return dt.date.fromisoformat(value)
    row = engine.query("SELECT CAST(max(ts) AS DATE) FROM events")[0][0]
    if row is None:
        raise NotFoundError("The warehouse has no dated data to build tags from.",
                            hint="Ingest a source first (`portrait ingest …`).")
    return row  # type: ignore[no-any-return]


def _check_names(plan: Plan, names: list[str]) -> None:
    import difflib

    for name in names:
        if name not in plan.tags:
            close = difflib.get_close_matches(name, list(plan.tags), n=3)
            raise UsageError(f"Unknown tag {name!r}.",
                             hint=f"Did you mean {', '.join(close)}?" if close else None)


def _earlier(engine: Engine, day: dt.date) -> dict[str, Any] | None:
    """The snapshot a build as of ``day`` carries static tags from: that date's, else the latest before."""
    return next((s for s in snapshots.snapshots(engine) if s["as_of"] <= day), None)


def _carry(engine: Engine, plan: Plan, names: list[str], day: dt.date, uncovered: dict[str, str],
           incremental: bool) -> tuple[dict[str, str], Reuse | None, dt.date | None]:
    """Fingerprints of the static tags, and which of them an incremental build carries over."""
    current = incremental_mod.fingerprints(engine, plan, names, day)
    earlier = _earlier(engine, day) if incremental else None
    if earlier is None or not engine.has_table(earlier["table"]):
        return current, None, None
    carried = incremental_mod.reusable(current, earlier, snapshots.fingerprints(engine, earlier["as_of"]),
                                       set(engine.columns(earlier["table"])), set(uncovered))
    if not carried:
        return current, None, None
    return current, Reuse(earlier["table"], frozenset(carried)), earlier["as_of"]


def build(engine: Engine, plan: Plan, *, as_of: dt.date | None = None,
          only: list[str] | None = None, progress: Any = None,
          compute: Engine | None = None, incremental: bool = True) -> BuildReport:
    """Compute the snapshot as of ``as_of`` and publish it, with its history, in one transaction.

    Args:
        engine: The warehouse.
        plan: The resolved catalog.
        as_of: Build date (default: the workspace's default as-of date).
        only: Build just these tags (and what they need) into the date's snapshot.
        progress: Progress sink.
        compute: Engine that computes the snapshot when it is not the warehouse itself
            (e.g. Spark); it reads the input tables from the warehouse and writes the
            result back, and the warehouse publishes it.
        incremental: Carry static tags over from the earlier snapshot where nothing they
            depend on has changed (see :mod:`portrait.tags.incremental`); ``False``
            recomputes every tag.

    Raises:
        UsageError: An unknown tag name in ``only``.
    """
    progress = progress or _Progress()
    snapshots.ensure_tables(engine)
    day = as_of or default_as_of(engine)
    names = list(plan.tags) if not only else plan.closure(only)
    if only:
        _check_names(plan, only)
    progress.start("Checking coverage", total=None)
    uncovered = uncovered_tags(engine, plan, names, day)
    fingerprints, reuse, carried_from = _carry(engine, plan, names, day, uncovered, incremental)
    compiled = compile_snapshot(plan, names, day, set(uncovered), reuse)
    table = snapshots.table_name(day)
    previous = snapshots.find(engine, day)
    progress.start(f"Building {len(names)} tags as of {day.isoformat()}", total=None)
    staged = f"tagstage__{day:%Y%m%d}"
    if compute is None or compute is engine:
        engine.execute(f"CREATE OR REPLACE TABLE {staged} AS {compiled.sql(engine.dialect)}")
    else:
        inputs = sorted({"customers", "districts"} | {t for n in names for t in plan.tags[n].tables})
        compute.materialize(compiled.sql(compute.dialect), inputs, engine, staged)
    engine.execute("BEGIN TRANSACTION")
    try:
        kept: list[str] = []
        if only and previous is not None:
            # keep the date's other tags, replace the rebuilt ones
            kept = [t for t in previous["tags"] if t not in names]
            cols = ", ".join([exp.column(c, table="o").sql("duckdb") for c in kept]
                             + [exp.column(c, table="n").sql("duckdb") for c in names])
            engine.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT n.customer_id, {cols} "
                           f"FROM {staged} n LEFT JOIN {table} o USING (customer_id)")
        else:
            # the staged result becomes the snapshot by name, rather than by copying it
            engine.execute(f"DROP TABLE IF EXISTS {table}")
            engine.execute(f"ALTER TABLE {staged} RENAME TO {table}")
        all_uncovered = {**(previous["uncovered"] if previous and only else {}), **uncovered}
        all_uncovered = {k: v for k, v in all_uncovered.items() if k in uncovered or k in kept}
        customers = int(engine.query(f"SELECT count(*) FROM {table}")[0][0])
        engine.execute(f"DELETE FROM {snapshots.REGISTRY} WHERE as_of = ?", [day])
        engine.execute(f"INSERT INTO {snapshots.REGISTRY} VALUES (?, ?, ?, ?, ?, ?)",
                       [day, table, datetime.now(UTC).replace(tzinfo=None),
                        json.dumps(kept + names), json.dumps(all_uncovered), customers])
        snapshots.record_fingerprints(engine, day, fingerprints)
        progress.start("Recording history", total=None)
        changes = history.record(engine, day, table, names)
        engine.execute("COMMIT")
    except BaseException:
        engine.execute("ROLLBACK")
        raise
    finally:
        engine.execute(f"DROP TABLE IF EXISTS {staged}")
    coverage = coverage_of(engine, table, plan, names)
    carried = sorted(reuse.tags) if reuse else []
    return BuildReport(day, table, names, customers, uncovered, changes, coverage, carried, carried_from)


def coverage_of(engine: Engine, table: str, plan: Plan, names: list[str]) -> dict[str, float]:
    """Share of customers with a value, per tag (an empty set counts as no value)."""
    if not names:
        return {}
    parts = []
    for n in names:
        col = exp.column(n).sql("duckdb")
        empty = f" OR len({col}) = 0" if plan.tags[n].spec.type == "set" else ""
        parts.append(f"avg(CASE WHEN {col} IS NULL{empty} THEN 0 ELSE 1 END)")
    row = engine.query(f"SELECT {', '.join(parts)} FROM {table}")[0]
    return {n: round(float(v or 0.0), 4) for n, v in zip(names, row, strict=True)}
