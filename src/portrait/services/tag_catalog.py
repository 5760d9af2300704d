"""The tag catalog as people browse it: every tag with its coverage, and one tag's figures.

Builds on :mod:`portrait.services.catalog` (the listing, its permission check and the
clearance flag) for the web catalog browser. Coverage comes
from one pass over the latest snapshot, kept per snapshot build (a rebuilt snapshot is
measured again). A tag's value distribution is shown only to principals cleared for
the tag's sensitivity — the catalog itself (names, titles, definitions) is open to
every role that may view tags.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlglot import exp

from portrait.errors import NotFoundError
from portrait.services import catalog as tag_listing
from portrait.services.access import Principal, Session, using
from portrait.tags import snapshots
from portrait.tags.build import coverage_of

TOP_VALUES = 15
ALL = 100_000
QUANTILES = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)
_COVERAGE: dict[tuple[str, str, str], dict[str, float]] = {}
_GUARD = threading.Lock()


def _latest(session: Session) -> dict[str, Any] | None:
    return snapshots.find(session.engine(), None)


def _coverage(session: Session, snap: dict[str, Any]) -> dict[str, float]:
    key = (str(session.ws.warehouse_path), str(snap["table"]), str(snap["built_at"]))
    with _GUARD:
        if key in _COVERAGE:
            return _COVERAGE[key]
    plan = session.plan()
    names = [n for n in snap["tags"] if n in plan.tags and n not in snap["uncovered"]]
    found = coverage_of(session.engine(), str(snap["table"]), plan, names)
    with _GUARD:
        _COVERAGE[key] = found
    return found


def catalog(target: Session | Path | None, principal: Principal, *, lang: str = "en",
            family: str | None = None) -> dict[str, Any]:
    """Every tag of the catalog (:func:`portrait.services.catalog.list_tags`) with its
    title in ``lang`` and its coverage in the latest snapshot.

    Raises:
        AccessDeniedError: The principal may not view tags (audited).
    """
    with using(target) as session:
        listed = tag_listing.list_tags(session, principal, family=family, limit=ALL)
        snap = _latest(session)
        coverage = _coverage(session, snap) if snap else {}
        uncovered: dict[str, str] = dict(snap["uncovered"]) if snap else {}
        rows = [{**entry, "title": entry["title"].get(lang) or entry["title"]["en"],
                 "coverage": coverage.get(entry["name"]), "uncovered": uncovered.get(entry["name"])}
                for entry in listed["items"]]
        rows.sort(key=lambda r: (r["family"], r["name"]))
        return {"as_of": snap["as_of"].isoformat() if snap else None,
                "customers": int(snap["customers"]) if snap else 0, "tags": rows}


def _distribution(session: Session, table: str, name: str, kind: str) -> dict[str, Any]:
    col = exp.column(name, quoted=True)
    src = exp.to_table(table)
    eng = session.engine()
    if kind == "numeric":
        quant = [exp.func("quantile_cont", col, exp.Literal.number(q)) for q in QUANTILES]
        row = eng.query(exp.select(*quant, exp.func("avg", col)).from_(src))[0]
        return {"quantiles": {f"p{round(q * 100)}": _num(v) for q, v in zip(QUANTILES, row, strict=False)},
                "mean": _num(row[-1])}
    value: exp.Expr = exp.func("unnest", col) if kind == "set" else col
    inner = exp.select(exp.alias_(value, "v")).from_(src)
    grouped = (exp.select("v", exp.alias_(exp.func("count", exp.Star()), "n"))
               .from_(inner.subquery("x")).group_by("v")
               .order_by(exp.Ordered(this=exp.column("n"), desc=True)).limit(TOP_VALUES))
    rows = eng.query(grouped)
    return {"top": [{"value": _plain(v), "count": int(n)} for v, n in rows]}


def _num(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)


def _plain(value: Any) -> Any:
    return value if isinstance(value, bool | int | str) or value is None else str(value)


def tag_detail(target: Session | Path | None, principal: Principal, name: str, *,
               lang: str = "en") -> dict[str, Any]:
    """One tag (:func:`portrait.services.catalog.show_tag`) with its coverage and, if the
    principal is cleared for its sensitivity, its values in the latest snapshot.

    Raises:
        AccessDeniedError: The principal may not view tags (audited).
        NotFoundError: No tag has that name, or no snapshot was built yet.
    """
    with using(target) as session:
        entry = tag_listing.show_tag(session, principal, name)
        tag = session.plan().tags[name]
        snap = _latest(session)
        if snap is None:
            raise NotFoundError("The workspace has no tag snapshot yet.",
                                hint="Build one with `portrait tags build`.")
        uncovered = dict(snap["uncovered"]).get(name)
        bins = tag.spec.bins
        detail: dict[str, Any] = {
            **entry, "title": entry["title"].get(lang) or entry["title"]["en"],
            "title_en": entry["title"]["en"], "title_zh": entry["title"]["zh"],
            "levels": list(tag.spec.order or []) or [b[1] for b in (bins.edges if bins else [])],
            "used_by": sorted(t.name for t in session.plan().tags.values() if name in t.deps),
            "as_of": snap["as_of"].isoformat(), "customers": int(snap["customers"]),
            "coverage": _coverage(session, snap).get(name), "uncovered": uncovered,
            "distribution": None}
        if entry["visible"] and uncovered is None and name in snap["tags"]:
            detail["distribution"] = _distribution(session, str(snap["table"]), name, tag.spec.type)
        return detail
