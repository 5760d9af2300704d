"""Browsing the audit log by date as well as by actor, action and outcome, and verifying
its chain with the entry that breaks it (the compliance page and ``GET /api/audit``).

:mod:`portrait.services.audit` serves the command line (exact filters, no dates); the
browser needs a date range, the values the filters can take, and — when the chain does
not verify — the first broken entry itself, so the reviewer sees what was changed.
Permission checks (and the audited refusal) are those of every service:
:func:`portrait.services.access.check` with ``audit.view``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

from sqlglot import exp

from portrait.errors import UsageError
from portrait.privacy import audit
from portrait.privacy.roles import Action
from portrait.services import audit as audit_service
from portrait.services.access import Principal, Session, check, operator, using
from portrait.store.engine import Engine

#: Distinct actors offered as filter suggestions (the most recent first).
MAX_ACTORS = 200
_FIELDS = [name for name, _ in audit.COLUMNS]


def _where(who: str | None, action: str | None, subject: str | None, outcome: str | None,
           since: dt.date | None, until: dt.date | None) -> exp.Expr:
    conditions: list[exp.Expr] = []
    for column, value in (("actor", who), ("action", action), ("target", subject),
                          ("outcome", outcome)):
        if value is not None:
            conditions.append(exp.column(column).eq(exp.Literal.string(value)))
    # ts is a naive UTC timestamp; a day runs from its midnight to the next one (UTC)
    if since is not None:
        start = dt.datetime.combine(since, dt.time())
        conditions.append(exp.GTE(this=exp.column("ts"), expression=_timestamp(start)))
    if until is not None:
        stop = dt.datetime.combine(until + dt.timedelta(days=1), dt.time())
        conditions.append(exp.LT(this=exp.column("ts"), expression=_timestamp(stop)))
    return exp.and_(*conditions) if conditions else exp.true()


def _timestamp(value: dt.datetime) -> exp.Expr:
    return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.Type.TIMESTAMP)


def _entry(row: tuple[Any, ...]) -> dict[str, Any]:
    fields = dict(zip(_FIELDS, row, strict=True))
    details = fields["details"]
    fields["details"] = json.loads(details) if isinstance(details, str) and details else {}
    return audit.Entry(**fields).as_dict()


def _distinct(engine: Engine, column: str, limit: int | None = None) -> list[str]:
    query = (exp.select(exp.column(column)).from_(audit.TABLE).where(exp.column(column).is_(
        exp.null()).not_()).group_by(exp.column(column))
        .order_by(exp.Ordered(this=exp.Max(this=exp.column("seq")), desc=True)))
    if limit is not None:
        query = query.limit(limit)
    return sorted(str(r[0]) for r in engine.query(query))


def check_range(since: dt.date | None, until: dt.date | None) -> None:
    """Raise unless the date range is in order.

    Raises:
        UsageError: ``since`` is after ``until``.
    """
    if since is not None and until is not None and since > until:
        raise UsageError(f"The date range starts ({since}) after it ends ({until}).",
                         hint="Swap the two dates.")


def entries(target: Session | Path | None, *, actor: Principal | None = None, limit: int = 50,
            offset: int = 0, who: str | None = None, action: str | None = None,
            subject: str | None = None, outcome: str | None = None,
            since: dt.date | None = None, until: dt.date | None = None,
            choices: bool = False) -> dict[str, Any]:
    """A page of audit entries, newest first, filtered by exact actor, action, target and
    outcome and by a range of (UTC) days, both ends included.

    Args:
        choices: Also return the actions and actors found in the log (filter menus).

    Returns:
        ``{"items", "total", "limit", "offset", "pages"}`` (+ ``"actions"``, ``"actors"``).

    Raises:
        AccessDeniedError: The principal may not view the audit log (the refusal is audited).
        UsageError: The date range ends before it starts.
    """
    principal = actor or operator()
    with using(target) as session:
        check(session, principal, Action.AUDIT_VIEW, "audit_log")
        check_range(since, until)
        engine = session.engine()
        session.audit_log.flush(engine)  # routine reads queued by a server are listed too
        cond = _where(who, action, subject, outcome, since, until)
        total = int(engine.query(exp.select(exp.Count(this=exp.Star())).from_(audit.TABLE)
                                 .where(cond))[0][0])
        rows = engine.query(exp.select(*[exp.column(f) for f in _FIELDS]).from_(audit.TABLE)
                            .where(cond).order_by(exp.Ordered(this=exp.column("seq"), desc=True))
                            .limit(limit).offset(offset))
        out: dict[str, Any] = {"items": [_entry(r) for r in rows], "total": total,
                               "limit": limit, "offset": offset,
                               "pages": max(1, math.ceil(total / limit)) if limit else 1}
        if choices:
            out["actions"] = _distinct(engine, "action")
            out["actors"] = _distinct(engine, "actor", MAX_ACTORS)
        return out


def verify_chain(target: Session | Path | None, *,
                 actor: Principal | None = None) -> dict[str, Any]:
    """Recompute the hash chain (:func:`portrait.services.audit.verify`).

    Returns:
        ``{"ok", "entries", "first_bad_seq", "problem", "entry"}``: ``entry`` is the first
        entry that fails as it is stored now, or ``None`` when the chain holds or that
        entry is gone (deleted).
    """
    principal = actor or operator()
    with using(target) as session:
        result = audit_service.verify(session, actor=principal).as_dict()
        entry = None
        if result["first_bad_seq"] is not None:
            rows = session.engine().query(
                exp.select(*[exp.column(f) for f in _FIELDS]).from_(audit.TABLE)
                .where(exp.column("seq").eq(exp.Literal.number(int(result["first_bad_seq"]))))
                .order_by(exp.column("hash")).limit(1))
            entry = _entry(rows[0]) if rows else None
        return {**result, "entry": entry}
