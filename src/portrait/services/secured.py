"""Audience export, model registry and campaign launch for a signed-in principal.

Complements :mod:`portrait.services.guarded` (audience count/save/list, segments,
campaign dashboards) with the remaining actions the API exposes. Each entry point checks
the permission (refusals are audited by :func:`~portrait.services.access.check`),
applies the privacy rules, audits the action, then calls the underlying service.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv

from portrait.errors import NotFoundError
from portrait.privacy import access
from portrait.privacy.roles import Action
from portrait.services import audience, campaign, guarded, models
from portrait.services.access import Principal, Session, check, using

EXPORT_DIR = Path("reports") / "exports"
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def audience_export(target: Session | Path | None, principal: Principal, *, name: str | None = None,
                    expression: str | None = None, tags: list[str] | None = None,
                    limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """Export an audience under the same rules as the profile: only tags the principal may
    see, never personal data (customers appear by id and keyed token). The file is written
    under ``reports/exports/`` and the export audited; a page of its rows comes back.

    Raises:
        AccessDeniedError: The role may not export, or a tag is above its clearance.
        UsageError: Neither or both of ``name`` and ``expression``; unknown tags.
    """
    with using(target) as session:
        subject = f"audience:{name}" if name else "audience:(expression)"
        check(session, principal, Action.AUDIENCES_EXPORT, subject)
        if expression is not None:
            guarded.check_expression(session, principal, expression, Action.AUDIENCES_EXPORT)
        visible = [n for n, s in session.sensitivities().items() if access.tag_visible(principal, s)]
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        out = session.root / EXPORT_DIR / f"audience-{_SAFE.sub('_', principal.name)}-{stamp}.csv"
        summary = audience.export(session.root, out, name=name, expr=expression, tags=tags,
                                  allowed_tags=visible)
        session.record(principal, Action.AUDIENCES_EXPORT.value, subject,
                       details={"rows": summary["rows"], "columns": summary["columns"],
                                "file": str(out.relative_to(session.root))})
        rows = pacsv.read_csv(out).slice(offset, limit).to_pylist() if summary["rows"] else []
        return {**summary, "path": str(out.relative_to(session.root)), "items": rows,
                "total": summary["rows"], "limit": limit, "offset": offset}


def model_list(target: Session | Path | None, principal: Principal) -> list[dict[str, Any]]:
    """Registered models with their headline figures."""
    with using(target) as session:
        check(session, principal, Action.MODELS_VIEW, "models")
        return models.list_models(session.root)


def model_show(target: Session | Path | None, principal: Principal, name: str) -> dict[str, Any]:
    """One model's registry record (its evaluation, features, fairness figures).

    Raises:
        NotFoundError: No model has that name.
    """
    with using(target) as session:
        check(session, principal, Action.MODELS_VIEW, f"model:{name}")
        if name not in {m["name"] for m in models.list_models(session.root)}:
            raise NotFoundError(f"No model {name!r}.", hint="See GET /api/models.")
        return models.show_model(session.root, name)


def campaign_launch(target: Session | Path | None, principal: Principal,
                    campaign_id: str) -> dict[str, Any]:
    """Launch a planned campaign (idempotent); the launch is audited with its counts."""
    with using(target) as session:
        subject = f"campaign:{campaign_id}"
        check(session, principal, Action.CAMPAIGNS_LAUNCH, subject)
        if campaign_id not in {c["campaign_id"] for c in campaign.list_campaigns(session.root)}:
            raise NotFoundError(f"No campaign {campaign_id!r}.", hint="See GET /api/campaigns.")
        result = campaign.launch(session.root, campaign_id).as_dict()
        session.record(principal, Action.CAMPAIGNS_LAUNCH.value, subject,
                       details={"contacted": result["contacted_total"],
                                "control": result["control_recorded"], "cost": result["cost"]})
        return result
