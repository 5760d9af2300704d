"""The tag catalog as one principal may browse it: every tag is listed (definitions are not
customer data), each marked with whether the principal's clearance shows its values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from portrait.errors import NotFoundError
from portrait.privacy import access
from portrait.privacy.roles import Action
from portrait.services.access import Principal, Session, check, using


def _entry(session: Session, principal: Principal, name: str) -> dict[str, Any]:
    spec = session.plan().tags[name].spec
    return {"name": name, "family": spec.family, "type": spec.type, "kind": spec.kind,
            "change": spec.change, "sensitivity": spec.sensitivity,
            "title": {"en": spec.title.en, "zh": spec.title.zh},
            "description": spec.description,
            "visible": access.tag_visible(principal, spec.sensitivity)}


def list_tags(target: Session | Path | None, principal: Principal, *, family: str | None = None,
              sensitivity: str | None = None, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """A page of the catalog, optionally one family or one sensitivity level."""
    with using(target) as session:
        check(session, principal, Action.TAGS_VIEW, "tags")
        names = [n for n, t in session.plan().tags.items()
                 if (family is None or t.spec.family == family)
                 and (sensitivity is None or t.spec.sensitivity == sensitivity)]
        return {"items": [_entry(session, principal, n) for n in names[offset: offset + limit]],
                "total": len(names), "limit": limit, "offset": offset}


def show_tag(target: Session | Path | None, principal: Principal, name: str) -> dict[str, Any]:
    """One tag's definition.

    Raises:
        NotFoundError: No tag has that name.
    """
    with using(target) as session:
        check(session, principal, Action.TAGS_VIEW, f"tag:{name}")
        if name not in session.plan().tags:
            raise NotFoundError(f"No tag {name!r} in the catalog.", hint="See GET /api/tags.")
        entry = _entry(session, principal, name)
        entry["definition"] = session.plan().tags[name].spec.model_dump(mode="json",
                                                                         exclude_none=True)
        entry["depends_on"] = list(session.plan().tags[name].deps)
        return entry
