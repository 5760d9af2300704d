"""Tag use cases: build, list, show, SQL, history, diff, profile, quality."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from portrait.errors import NotFoundError, PortraitError, UsageError
from portrait.services import workspace
from portrait.store import Workspace, open_engine
from portrait.tags import snapshots
from portrait.tags.build import BuildReport, build, default_as_of, load_plan
from portrait.tags.compiler import compile_snapshot
from portrait.tags.plan import Plan
from portrait.tags.profile import Profile, profile
from portrait.tags.quality import analyse
from portrait.tags.quality_html import render_html
from portrait.tags.quality_report import QualityReport

__all__ = ["BuildReport", "Profile", "QualityReport", "TagBuild"]


@dataclass
class TagBuild(BuildReport):
    """A published build, and the registered models that re-scored its snapshot.

    Attributes:
        rescored: Models whose scores were written into the new snapshot (it is the
            latest and models are registered); empty with ``score=False``.
        rescore_note: Why the snapshot was not re-scored, when it was not.
    """

    rescored: list[str] = field(default_factory=list)
    rescore_note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "rescored": self.rescored, "rescore_note": self.rescore_note}


def _rescore(ws_path: Path | None, ws: Workspace, as_of: dt.date, progress: Any
             ) -> tuple[list[str], str | None]:
    """Write the registered models' scores into the snapshot as of ``as_of`` when it is the
    latest (the one scores are read from), so a rebuild does not leave the model tags empty."""
    # imported here: the models service builds on this module, and LightGBM loads slowly
    from portrait.models import registry
    from portrait.services import models as models_service

    names = registry.names(ws.root)
    if not names:
        return [], "no registered models"
    engine = ws.engine()
    try:
        latest = snapshots.find(engine, None)
    finally:
        engine.close()
    if latest is None or latest["as_of"] != as_of:
        return [], f"not the latest snapshot (scores live in the one as of {latest and latest['as_of']})"
    try:
        scored = models_service.score_latest(ws_path, progress=progress)
    except PortraitError as exc:  # the snapshot is published: say why its scores are missing
        return [], f"re-scoring failed: {exc.message} Run `portrait models score` once fixed"
    return [n for n in names if n not in scored["not_in_catalog"]], None


def _catalogs(ws: Workspace, extra: list[Path] | None) -> list[Path]:
    configured = [ws.root / p for p in ws.config.get("tags", {}).get("catalogs", [])]
    return configured + list(extra or [])


def plan_for(ws_path: Path | None, catalogs: list[Path] | None = None) -> Plan:
    root = workspace.resolve(ws_path)
    if (root / "portrait.toml").exists():
        return load_plan(_catalogs(workspace.open_(ws_path), catalogs))
    return load_plan(catalogs)


def _tag(plan: Plan, name: str) -> Any:
    if name not in plan.tags:
        import difflib

        close = difflib.get_close_matches(name, list(plan.tags), n=3)
        raise UsageError(f"Unknown tag {name!r}.",
                         hint=f"Did you mean {', '.join(close)}?" if close else "See `portrait tags list`.")
    return plan.tags[name]


def build_tags(ws_path: Path | None, *, as_of: dt.date | None = None, only: list[str] | None = None,
               catalogs: list[Path] | None = None, engine: str | None = None,
               progress: Any = None, incremental: bool = True, score: bool = True) -> TagBuild:
    """Build (and publish) the tag snapshot as of a date.

    Args:
        score: When the new snapshot is the latest and models are registered, write their
            scores into it (as ``portrait models score`` does); otherwise its model tags
            stay empty until then.
    """
    ws = workspace.open_(ws_path)
    plan = load_plan(_catalogs(ws, catalogs))
    warehouse = ws.engine()
    compute = None if engine in (None, warehouse.name) else open_engine(engine, ws.root, {})
    try:
        built = build(warehouse, plan, as_of=as_of, only=only, progress=progress, compute=compute,
                      incremental=incremental)
    finally:
        if compute is not None:
            compute.close()
        warehouse.close()
    report = TagBuild(**{f.name: getattr(built, f.name) for f in fields(built)})
    if score:
        report.rescored, report.rescore_note = _rescore(ws_path, ws, report.as_of, progress)
    else:
        report.rescore_note = "not asked (--no-score)"
    # the latest snapshot's bitmap index (after the scores), so that audience counts are
    # fast from the start; an older date (a backfill) is indexed when first counted on
    from portrait.services.audience import build_index

    warehouse = ws.engine()
    try:
        latest = snapshots.find(warehouse, None)
        if latest is not None and latest["as_of"] == report.as_of:
            if progress is not None:
                progress.start("Indexing the snapshot for audiences", total=None)
            build_index(ws.root, report.as_of, warehouse=warehouse, plan=plan)
    finally:
        warehouse.close()
    return report


def list_tags(ws_path: Path | None, catalogs: list[Path] | None = None) -> list[dict[str, Any]]:
    plan = plan_for(ws_path, catalogs)
    return [{"name": t.name, "family": t.spec.family, "type": t.spec.type, "kind": t.spec.kind,
             "change": t.spec.change, "sensitivity": t.spec.sensitivity,
             "title_en": t.spec.title.en, "title_zh": t.spec.title.zh} for t in plan.tags.values()]


def show_tag(ws_path: Path | None, name: str, catalogs: list[Path] | None = None) -> dict[str, Any]:
    plan = plan_for(ws_path, catalogs)
    tag = _tag(plan, name)
    data: dict[str, Any] = tag.spec.model_dump(exclude_none=True)
    data["depends_on"] = list(tag.deps)
    data["reads_tables"] = sorted(tag.tables)
    data["source_file"] = str(tag.source)
    data["used_by"] = [t.name for t in plan.tags.values() if name in t.deps]
    return data


def tag_sql(ws_path: Path | None, name: str, dialect: str, as_of: dt.date | None = None,
            catalogs: list[Path] | None = None) -> str:
    """The SQL that computes a tag (with what it needs), in a dialect."""
    plan = plan_for(ws_path, catalogs)
    _tag(plan, name)
    day = as_of
    if day is None:
        root = workspace.resolve(ws_path)
        if (root / "portrait.toml").exists():
            eng = workspace.open_(ws_path).engine()
            try:
                day = default_as_of(eng)
            except NotFoundError:
                day = None
            finally:
                eng.close()
    return compile_snapshot(plan, [name], day or dt.date.today()).sql(dialect)


def history(ws_path: Path | None, customer_id: str, tag: str | None = None) -> list[dict[str, Any]]:
    """How a customer's tags moved: one row per value and the period it held."""
    eng = workspace.open_(ws_path).engine()
    try:
        snapshots.ensure_tables(eng)
        sql = (f"SELECT tag, value, valid_from, valid_to FROM {snapshots.HISTORY} "
               "WHERE customer_id = ?" + (" AND tag = ?" if tag else "") + " ORDER BY tag, valid_from")
        rows = eng.query(sql, [customer_id, tag] if tag else [customer_id])
    finally:
        eng.close()
    if not rows:
        raise NotFoundError(f"No tag history for customer {customer_id!r}"
                            + (f" and tag {tag!r}" if tag else "") + ".")
    return [{"tag": r[0], "value": r[1], "valid_from": r[2].isoformat(),
             "valid_to": r[3].isoformat() if r[3] else None} for r in rows]


def diff(ws_path: Path | None, first: dt.date, second: dt.date) -> dict[str, Any]:
    """Per tag, how many customers' values differ between two snapshots."""
    eng = workspace.open_(ws_path).engine()
    try:
        a, b = snapshots.find(eng, first), snapshots.find(eng, second)
        for day, snap in ((first, a), (second, b)):
            if snap is None:
                raise NotFoundError(f"No tag snapshot as of {day}.",
                                    hint=f"Build it with `portrait tags build --as-of {day}`.")
        assert a is not None and b is not None
        common = [t for t in a["tags"] if t in b["tags"]]
        counts = {}
        for tag in common:
            col = f'"{tag}"'
            counts[tag] = int(eng.query(
                f"SELECT count(*) FROM {a['table']} x JOIN {b['table']} y USING (customer_id) "
                f"WHERE x.{col} IS DISTINCT FROM y.{col}")[0][0])
        added = int(eng.query(f"SELECT count(*) FROM {b['table']} WHERE customer_id NOT IN "
                              f"(SELECT customer_id FROM {a['table']})")[0][0])
    finally:
        eng.close()
    return {"from": first.isoformat(), "to": second.isoformat(), "new_customers": added,
            "changed": dict(sorted(counts.items(), key=lambda kv: -kv[1]))}


def customer_profile(ws_path: Path | None, customer_id: str, *, as_of: dt.date | None = None,
                     lang: str = "en", catalogs: list[Path] | None = None) -> Profile:
    ws = workspace.open_(ws_path)
    plan = load_plan(_catalogs(ws, catalogs))
    eng = ws.engine()
    try:
        return profile(eng, plan, customer_id, as_of=as_of, lang=lang)
    finally:
        eng.close()


def tag_quality(ws_path: Path | None, *, as_of: dt.date | None = None, outcomes: list[str] | None = None,
                horizon: str = "90d", catalogs: list[Path] | None = None,
                progress: Any = None) -> QualityReport:
    """Measure the tags of a snapshot and write the HTML report to ``reports/``.

    Returns:
        The report; ``html_path`` names the file written
        (``<workspace>/reports/tag-quality-<as_of>.html``).
    """
    ws = workspace.open_(ws_path)
    plan = load_plan(_catalogs(ws, catalogs))
    eng = ws.engine()
    try:
        report = analyse(eng, plan, as_of=as_of, outcomes=outcomes or [], horizon=horizon,
                         progress=progress)
    finally:
        eng.close()
    ws.reports_dir.mkdir(parents=True, exist_ok=True)
    path = ws.reports_dir / f"tag-quality-{report.as_of.isoformat()}.html"
    path.write_text(render_html(report), encoding="utf-8")
    report.html_path = str(path)
    return report
