"""Audiences, segments and campaigns for a signed-in principal.

The audience, segment and campaign services take a workspace and trust their caller
(the operator at the command line). Pages and routes act for a principal, so these
entry points check the principal's permission first (a refusal is audited by
:func:`portrait.services.access.check`), refuse audience expressions that name tags
above the principal's clearance, audit what changes state, and then call the service.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from portrait.audience import expr as audience_expr
from portrait.errors import AccessDeniedError, NotFoundError
from portrait.privacy import access, audit
from portrait.privacy.roles import Action
from portrait.services import audience, campaign, segments
from portrait.services.access import Principal, Session, check, using

_EVALUATIONS: dict[tuple[str, str], dict[str, Any]] = {}
_GUARD = threading.Lock()


def _refs(node: Any) -> Iterator[Any]:
    if isinstance(node, audience_expr.And | audience_expr.Or):
        for item in node.items:
            yield from _refs(item)
    elif isinstance(node, audience_expr.Not):
        yield from _refs(node.item)
    elif getattr(node, "tag", None) is not None:
        yield node.tag


def check_expression(session: Session, principal: Principal, text: str, action: Action) -> None:
    """Refuse (and audit) an expression naming a tag the principal may not see.

    Raises:
        ExpressionError: The expression does not parse (the message shows where).
        AccessDeniedError: A tag above the principal's clearance; the message shows where.
    """
    sensitivities = session.sensitivities()
    for ref in _refs(audience_expr.parse(text)):
        if ref.name in sensitivities and not access.tag_visible(principal, sensitivities[ref.name]):
            message = (f"Tag {ref.name!r} is {sensitivities[ref.name]}; role "
                       f"{principal.role.value!r} may not select customers by it "
                       f"(line {ref.pos.line}, column {ref.pos.column}).")
            session.record(principal, action.value, f"tag:{ref.name}", audit.DENIED,
                           {"reason": message})
            raise AccessDeniedError(message, hint="Use tags of your clearance; see the tag catalog.")


def audience_count(target: Session | Path | None, principal: Principal, text: str) -> dict[str, Any]:
    """Count the customers an expression selects (:func:`portrait.services.audience.count`)."""
    with using(target) as session:
        check(session, principal, Action.AUDIENCES_COUNT, "audiences")
        check_expression(session, principal, text, Action.AUDIENCES_COUNT)
        return audience.count(session.root, text)


def audience_list(target: Session | Path | None, principal: Principal) -> list[dict[str, Any]]:
    """The saved audiences with their sizes (:func:`portrait.services.audience.list_audiences`)."""
    with using(target) as session:
        check(session, principal, Action.AUDIENCES_COUNT, "audiences")
        return audience.list_audiences(session.root)


def audience_save(target: Session | Path | None, principal: Principal, name: str,
                  text: str) -> dict[str, Any]:
    """Save an audience (:func:`portrait.services.audience.save`); the save is audited."""
    with using(target) as session:
        check(session, principal, Action.AUDIENCES_SAVE, f"audience:{name}")
        check_expression(session, principal, text, Action.AUDIENCES_SAVE)
        saved = audience.save(session.root, name, text)
        session.record(principal, Action.AUDIENCES_SAVE.value, f"audience:{name}",
                       details={"expression": text})
        return saved


def segment_cards(target: Session | Path | None, principal: Principal, *,
                  lang: str = "en") -> dict[str, Any]:
    """The segments of the latest snapshot: how they were fitted, their cards, opportunities.

    A card's distinguishing tags above the principal's clearance are left out (counted in
    ``hidden_tags``): a segment median is still a figure about that tag.
    """
    with using(target) as session:
        check(session, principal, Action.SEGMENTS_VIEW, "segments")
        sensitivities = session.sensitivities()
        cards = segments.cards(session.root, lang)
        hidden = 0
        for card in cards:
            shown = [d for d in card.get("distinguishing", [])
                     if access.tag_visible(principal, sensitivities.get(d.get("tag", ""), "public"))]
            hidden += len(card.get("distinguishing", [])) - len(shown)
            card["distinguishing"] = shown
        return {"model": segments.model(session.root), "cards": cards, "hidden_tags": hidden,
                "opportunities": segments.opportunities(session.root, top=10, lang=lang)}


def campaigns(target: Session | Path | None, principal: Principal) -> list[dict[str, Any]]:
    """Every campaign with its funnel (:func:`portrait.services.campaign.list_campaigns`)."""
    with using(target) as session:
        check(session, principal, Action.CAMPAIGNS_VIEW, "campaigns")
        return campaign.list_campaigns(session.root)


def campaign_dashboard(target: Session | Path | None, principal: Principal, campaign_id: str, *,
                       refresh: bool = False) -> dict[str, Any]:
    """One campaign: its record and funnel, and (once launched) its evaluation.

    Evaluating fits an uplift model and takes seconds, so the evaluation is kept for the
    life of the server and recomputed only when ``refresh`` is asked for (new responses).

    Raises:
        NotFoundError: No campaign with that id.
    """
    with using(target) as session:
        check(session, principal, Action.CAMPAIGNS_VIEW, f"campaign:{campaign_id}")
        record = next((c for c in campaign.list_campaigns(session.root)
                       if c["campaign_id"] == campaign_id), None)
        if record is None:
            raise NotFoundError(f"No campaign {campaign_id!r}.", hint="See the campaign list.")
        key = (str(session.ws.warehouse_path), campaign_id)
        evaluation = None
        if record["status"] == "launched":
            with _GUARD:
                evaluation = None if refresh else _EVALUATIONS.get(key)
            if evaluation is None:
                evaluation = campaign.evaluate(session.root, campaign_id).as_dict()
                session.record(principal, "campaigns.evaluate", f"campaign:{campaign_id}")
                with _GUARD:
                    _EVALUATIONS[key] = evaluation
        return {"campaign": record, "evaluation": evaluation}
