"""Audience use cases: count, SQL, select, save, list, overlap, export, and the index.

Every expression is checked against the tags of the snapshot it runs on. Counts use the
bitmap index of the snapshot (``<workspace>/indexes/tags__YYYYMMDD.idx``) or a SQL scan;
both give the same answer. An index that is missing or no longer matches its snapshot
(rebuilt snapshot, changed catalog types, older format) is rebuilt before it is used.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from portrait.audience import saved
from portrait.audience import sql as audience_sql
from portrait.audience.bitmap import Index
from portrait.audience.bitmap_build import build_index as write_index
from portrait.audience.bitmap_file import VERSION, IndexFile, read_header
from portrait.audience.validate import Catalog, Query, TagInfo, compile_query, tag_info
from portrait.errors import NotFoundError, UsageError
from portrait.services import workspace
from portrait.services.tags import plan_for
from portrait.store import Workspace
from portrait.store.engine import Engine
from portrait.tags import snapshots
from portrait.tags.loader import SHIPPED
from portrait.tags.plan import Plan

ENGINES = ("bitmap", "sql")
INDEX_DIR = "indexes"


@dataclass
class _Open:
    ws: Workspace
    engine: Engine
    snap: dict[str, Any]
    infos: dict[str, TagInfo]
    absent: dict[str, str]


def _snapshot(engine: Engine, as_of: dt.date | None) -> dict[str, Any]:
    snap = snapshots.find(engine, as_of)
    if snap is None:
        if as_of is None:
            raise NotFoundError("The workspace has no tag snapshot yet.",
                                hint="Build one with `portrait tags build`.")
        days = ", ".join(s["as_of"].isoformat() for s in snapshots.snapshots(engine)) or "none"
        raise NotFoundError(f"No tag snapshot as of {as_of}.",
                            hint=f"Snapshots: {days}. Build it with `portrait tags build --as-of {as_of}`.")
    return snap


def _infos(plan: Plan, snap: dict[str, Any]) -> tuple[dict[str, TagInfo], dict[str, str]]:
    held = set(snap["tags"])
    infos = {n: tag_info(t.spec) for n, t in plan.tags.items() if n in held}
    absent = {n: f"not built in the snapshot as of {snap['as_of']}" for n in plan.tags if n not in held}
    return infos, absent


_PLANS: dict[tuple[object, ...], Plan] = {}


def _plan(ws: Workspace, ws_path: Path | None) -> Plan:
    """The workspace's catalog plan, kept while no catalog file changes (loading one takes
    about a second; a service process answers many counts)."""
    folders = [SHIPPED, *(ws.root / p for p in ws.config.get("tags", {}).get("catalogs", []))]
    stamp = tuple((str(f), f.stat().st_mtime_ns) for d in folders if d.exists()
                  for f in sorted(d.rglob("*.y*ml")))
    key = (str(ws.root.resolve()), stamp)
    if key not in _PLANS:
        _PLANS.clear()
        _PLANS[key] = plan_for(ws_path)
    return _PLANS[key]


@contextmanager
def _opened(ws_path: Path | None, as_of: dt.date | None) -> Iterator[_Open]:
    ws = workspace.open_(ws_path)
    plan = _plan(ws, ws_path)
    engine = ws.engine()
    try:
        snap = _snapshot(engine, as_of)
        infos, absent = _infos(plan, snap)
        yield _Open(ws, engine, snap, infos, absent)
    finally:
        engine.close()


def index_path(ws: Workspace, table: str) -> Path:
    return ws.root / INDEX_DIR / f"{table}.idx"


def _meta(snap: dict[str, Any], infos: dict[str, TagInfo]) -> dict[str, Any]:
    """Header fields that must match for an index to answer for this snapshot."""
    return {"as_of": snap["as_of"].isoformat(), "snapshot_built_at": str(snap["built_at"]),
            "signature": sorted([i.name, i.type, list(i.levels or ())] for i in infos.values())}


def _fresh(header: dict[str, Any] | None, snap: dict[str, Any], infos: dict[str, TagInfo]) -> bool:
    if header is None or header.get("version") != VERSION:
        return False
    meta = _meta(snap, infos)
    return (all(header.get(k) == v for k, v in meta.items())
            and header.get("customers") == snap["customers"])


def _write(ctx: _Open) -> dict[str, Any]:
    path = index_path(ctx.ws, ctx.snap["table"])
    return write_index(ctx.engine, ctx.snap["table"], list(ctx.infos.values()), path,
                       meta=_meta(ctx.snap, ctx.infos))


def _index(ctx: _Open) -> tuple[Index, bool]:
    """The snapshot's index, rebuilt first when missing or stale; and whether it was."""
    path = index_path(ctx.ws, ctx.snap["table"])
    rebuilt = not _fresh(read_header(path), ctx.snap, ctx.infos)
    if rebuilt:
        _write(ctx)
    return Index(IndexFile(path)), rebuilt


def build_index(ws_path: Path | None, as_of: dt.date | None = None, *,
                warehouse: Engine | None = None, plan: Plan | None = None) -> dict[str, Any]:
    """(Re)build the bitmap index of a snapshot (the latest by default).

    ``portrait tags build`` calls this after publishing a snapshot, with its open
    warehouse and plan.
    """
    started = time.perf_counter()
    ws = workspace.open_(ws_path)
    plan = plan or _plan(ws, ws_path)
    engine = warehouse or ws.engine()
    try:
        snap = _snapshot(engine, as_of)
        infos, absent = _infos(plan, snap)
        header = _write(_Open(ws, engine, snap, infos, absent))
    finally:
        if warehouse is None:
            engine.close()
    path = index_path(ws, snap["table"])
    return {"as_of": snap["as_of"].isoformat(), "path": str(path), "tags": len(header["tags"]),
            "customers": header["customers"], "bytes": path.stat().st_size,
            "seconds": round(time.perf_counter() - started, 3)}


def _sql_observed(engine: Engine, table: str, infos: dict[str, TagInfo]) -> Any:
    def observed(name: str) -> frozenset[str] | None:
        col = engine.query_arrow(exp.select(exp.column(name, quoted=True)).from_(exp.to_table(table)))
        column = col.column(0)
        if infos[name].type == "set":
            column = pc.list_flatten(column)
        return frozenset(str(v) for v in pc.unique(column).to_pylist() if v is not None)
    return observed


def _query(ctx: _Open, text: str, index: Index | None) -> Query:
    observed = index.domain if index is not None else _sql_observed(ctx.engine, ctx.snap["table"], ctx.infos)
    return compile_query(text, Catalog(ctx.infos, observed, ctx.absent))


def count(ws_path: Path | None, expr: str, as_of: dt.date | None = None,
          engine: str = "bitmap") -> dict[str, Any]:
    """Count the customers an expression selects.

    Returns:
        ``count``, ``as_of``, ``ms`` (time to check and evaluate the expression once the
        snapshot and its index are open), ``engine``, ``load_ms`` (opening the index,
        including a rebuild when it was stale) and ``index_rebuilt``.

    Raises:
        ExpressionError: The expression does not parse or does not fit the snapshot.
    """
    if engine not in ENGINES:
        raise UsageError(f"Unknown audience engine {engine!r}.", hint="Use bitmap or sql.")
    with _opened(ws_path, as_of) as ctx:
        result: dict[str, Any] = {"engine": engine}
        loaded = time.perf_counter()
        index, result["index_rebuilt"] = _index(ctx) if engine == "bitmap" else (None, False)
        started = time.perf_counter()
        query = _query(ctx, expr, index)
        if index is not None:
            n = index.count(query)
        else:
            n = int(ctx.engine.query(audience_sql.count(query, ctx.snap["table"]))[0][0])
        done = time.perf_counter()
    return {"count": n, "as_of": ctx.snap["as_of"].isoformat(), "ms": round((done - started) * 1000, 3),
            **result, "load_ms": round((started - loaded) * 1000, 3)}


def to_sql(ws_path: Path | None, expr: str, dialect: str = "duckdb",
           as_of: dt.date | None = None) -> str:
    """The SQL selecting the expression's customers from the snapshot, in a dialect."""
    if dialect not in audience_sql.DIALECTS:
        raise UsageError(f"Unknown dialect {dialect!r}.", hint="Use duckdb or spark.")
    with _opened(ws_path, as_of) as ctx:
        query = _query(ctx, expr, None)
        return audience_sql.select_ids(query, ctx.snap["table"]).sql(dialect, pretty=True)


def select_ids(ws_path: Path | None, expr: str, as_of: dt.date | None = None) -> list[str]:
    """Customer ids an expression selects (for campaigns), in snapshot row order."""
    with _opened(ws_path, as_of) as ctx:
        index, _ = _index(ctx)
        return index.customer_ids(index.rows(_query(ctx, expr, index)))


def save(ws_path: Path | None, name: str, expr: str, *, replace: bool = False) -> dict[str, Any]:
    """Check an expression against the latest snapshot and save it under ``name``.

    Returns:
        The audience with its size in every snapshot.
    """
    with _opened(ws_path, None) as ctx:
        _query(ctx, expr, None)
        saved.save(ctx.engine, name, expr, replace=replace)
    return next(a for a in list_audiences(ws_path) if a["name"] == name)


def delete(ws_path: Path | None, name: str) -> dict[str, Any]:
    ws = workspace.open_(ws_path)
    engine = ws.engine()
    try:
        saved.delete(engine, name)
    finally:
        engine.close()
    return {"deleted": name}


def list_audiences(ws_path: Path | None) -> list[dict[str, Any]]:
    """Every saved audience with its size in every snapshot (computed when missing or
    when the snapshot was rebuilt since; an expression that does not fit a snapshot has
    ``size`` None and the reason in ``error``)."""
    ws = workspace.open_(ws_path)
    plan = _plan(ws, ws_path)
    engine = ws.engine()
    try:
        audiences = saved.all_audiences(engine)
        recorded = saved.recorded_sizes(engine)
        snaps = snapshots.snapshots(engine) if audiences else []
        out = []
        for audience in audiences:
            sizes = []
            for snap in snaps:
                row = recorded.get((audience.name, snap["as_of"]))
                if row is None or row["snapshot_built_at"] != snap["built_at"]:
                    row = _size(engine, plan, snap, audience)
                sizes.append({"as_of": snap["as_of"].isoformat(), "size": row["size"],
                              "error": row["error"]})
            out.append({"name": audience.name, "expression": audience.expression,
                        "created_at": audience.created_at.isoformat(timespec="seconds"),
                        "sizes": sizes})
        return out
    finally:
        engine.close()


def _size(engine: Engine, plan: Plan, snap: dict[str, Any], audience: saved.Audience) -> dict[str, Any]:
    infos, absent = _infos(plan, snap)
    size: int | None = None
    error: str | None = None
    try:
        query = compile_query(audience.expression,
                              Catalog(infos, _sql_observed(engine, snap["table"], infos), absent))
        size = int(engine.query(audience_sql.count(query, snap["table"]))[0][0])
    except UsageError as exc:
        error = exc.message.splitlines()[0]
    saved.record_size(engine, audience.name, snap["as_of"], size, error, snap["built_at"])
    return {"size": size, "error": error}


def _rows_of(ctx: _Open, index: Index, name: str | None, expr: str | None) -> tuple[str, Any]:
    if (name is None) == (expr is None):
        raise UsageError("Give a saved audience's name or an expression (--expr), not both.")
    text = expr if expr is not None else saved.get(ctx.engine, str(name)).expression
    return text, index.rows(_query(ctx, text, index))


def overlap(ws_path: Path | None, a: str, b: str, as_of: dt.date | None = None) -> dict[str, Any]:
    """Two saved audiences in one snapshot: sizes, intersection, union, Jaccard."""
    with _opened(ws_path, as_of) as ctx:
        index, _ = _index(ctx)
        _, rows_a = _rows_of(ctx, index, a, None)
        _, rows_b = _rows_of(ctx, index, b, None)
        return {"a": a, "b": b, "as_of": ctx.snap["as_of"].isoformat(), **saved.overlap(rows_a, rows_b)}


def export(ws_path: Path | None, out: Path, *, name: str | None = None, expr: str | None = None,
           tags: list[str] | None = None, as_of: dt.date | None = None,
           allowed_tags: Collection[str] | None = None,
           include_customer_id: bool = True) -> dict[str, Any]:
    """Write an audience to CSV or Parquet (by ``out``'s extension).

    Columns: ``customer_token`` (keyed, pseudonymous), ``customer_id`` (the bank's key,
    unless ``include_customer_id`` is false) and the ``tags`` asked for. No personal data
    column is ever read.

    Args:
        allowed_tags: Tags the caller may export (``None``: every tag of the snapshot);
            the privacy layer passes the ones the user's role may see.

    Raises:
        AccessDeniedError: A tag asked for is not allowed.
    """
    saved.export_format(out)
    with _opened(ws_path, as_of) as ctx:
        columns = saved.check_export_tags(list(tags or []), ctx.infos, allowed_tags)
        index, _ = _index(ctx)
        text, rows = _rows_of(ctx, index, name, expr)
        ids = index.customer_ids(rows)
        cipher = ctx.ws.cipher()
        wanted = exp.select(exp.column("customer_id"), *(exp.column(c, quoted=True) for c in columns)
                            ).from_(exp.to_table(ctx.snap["table"]))
        data = ctx.engine.query_arrow(wanted)
        data = data.filter(pc.is_in(data.column("customer_id"), value_set=pa.array(ids, pa.string())))
        data = data.sort_by("customer_id")
        tokens = pa.array(cipher.tokens([str(v) for v in data.column("customer_id").to_pylist()]),
                          pa.string())
        data = data.add_column(0, "customer_token", tokens)
        if not include_customer_id:
            data = data.drop_columns(["customer_id"])
        fmt = saved.write_export(data, out)
        return {"path": str(out), "format": fmt, "rows": data.num_rows, "columns": data.column_names,
                "as_of": ctx.snap["as_of"].isoformat(), "expression": text}
