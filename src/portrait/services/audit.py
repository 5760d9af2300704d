"""Browsing and verifying the audit log (compliance; the operator at the command line)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from portrait.privacy import audit
from portrait.privacy.roles import Action
from portrait.services.access import Principal, Session, check, operator, using


def list_entries(target: Session | Path | None, *, actor: Principal | None = None,
                 limit: int = 50, offset: int = 0, who: str | None = None,
                 action: str | None = None, subject: str | None = None,
                 outcome: str | None = None) -> dict[str, Any]:
    """A page of audit entries, newest first, filtered by actor, action, target or outcome."""
    principal = actor or operator()
    with using(target) as session:
        check(session, principal, Action.AUDIT_VIEW, "audit_log")
        session.audit_log.flush(session.engine())
        found, total = audit.entries(session.engine(), limit=limit, offset=offset, actor=who,
                                     action=action, target=subject, outcome=outcome)
        return {"items": [e.as_dict() for e in found], "total": total, "limit": limit,
                "offset": offset}


def verify(target: Session | Path | None, *, actor: Principal | None = None) -> audit.Verification:
    """Recompute the hash chain; the result names the first entry that fails, if any."""
    principal = actor or operator()
    with using(target) as session:
        check(session, principal, Action.AUDIT_VIEW, "audit_log")
        session.audit_log.flush(session.engine())
        return audit.verify(session.engine())
