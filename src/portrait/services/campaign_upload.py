"""Planning a campaign from a spec sent over the API (``POST /api/campaigns/plan``).

The spec is the YAML a marketer would give ``portrait campaign plan SPEC.yaml``; the
result is that command's ``--json`` funnel, and, as there, the plan is stored as a
*planned* campaign (launched later with ``POST /api/campaigns/{id}/launch``); nobody is
contacted. What a principal adds to the command line's rules:

* the ``campaigns.plan`` permission (a refusal is audited);
* the spec may not pick customers by tags above the principal's clearance — the
  audience expression, a saved audience's expression, a top-N score and its filter, the
  stratification tag and the balance tags (a refusal names the tag and is audited);
* the balance table keeps every row and standardized difference, but the arms' means
  of a tag above the principal's clearance are left out (``hidden: true``);
* the plan is audited (``campaigns.plan``) with its funnel's headline counts.

The spec is validated before anything is written; a valid one is kept under
``campaigns/uploaded/`` in the workspace, the file the stored plan refers to.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from portrait.campaign.spec import CampaignSpec, parse_spec
from portrait.errors import AccessDeniedError, DefinitionError, NotFoundError, PortraitError, UsageError
from portrait.privacy import access, audit
from portrait.privacy.roles import Action
from portrait.services import audience, campaign, guarded
from portrait.services.access import Principal, Session, check, using

#: Where accepted specs are kept, under the workspace.
UPLOADS = Path("campaigns") / "uploaded"
#: How errors name the spec (the request's field).
ORIGIN = "spec"
MAX_SPEC = 100_000


def read_spec(text: str) -> CampaignSpec:
    """Parse and validate spec text; errors name the field (``spec: field schedule.end: …``).

    Raises:
        DefinitionError: Not YAML, or not a valid campaign spec.
    """
    if len(text) > MAX_SPEC:
        raise DefinitionError(f"{ORIGIN}: the spec has {len(text):,} characters; at most "
                              f"{MAX_SPEC:,} are accepted.")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DefinitionError(f"{ORIGIN}: not valid YAML: {exc}",
                              hint="Send the text of a campaign spec file.") from exc
    except RecursionError:
        raise DefinitionError(f"{ORIGIN}: the YAML is nested too deeply.") from None
    return parse_spec(raw, ORIGIN)


def _refuse(session: Session, principal: Principal, tag: str, level: str, field: str) -> None:
    message = (f"Tag {tag!r} is {level}; role {principal.role.value!r} may not use it in a "
               f"campaign spec ({ORIGIN}: field {field}).")
    session.record(principal, Action.CAMPAIGNS_PLAN.value, f"tag:{tag}", audit.DENIED,
                   {"reason": message})
    raise AccessDeniedError(message, hint="Use tags of your clearance; see the tag catalog.")


def _check_clearance(session: Session, principal: Principal, spec: CampaignSpec) -> None:
    """Refuse (and audit) a spec that selects or stratifies by tags above the clearance."""
    levels = session.sensitivities()
    expressions = []
    aud = spec.audience
    if aud.expression is not None:
        expressions.append(aud.expression)
    if aud.saved is not None:
        found = next((a for a in audience.list_audiences(session.root) if a["name"] == aud.saved),
                     None)
        if found is None:
            raise NotFoundError(f"{ORIGIN}: field audience.saved: no saved audience named "
                                f"{aud.saved!r}.", hint="See GET /api/audiences.")
        expressions.append(str(found["expression"]))
    tags: list[tuple[str, str]] = []
    if aud.top is not None:
        tags.append((aud.top.score, "audience.top.score"))
        if aud.top.where:
            expressions.append(aud.top.where)
    if spec.stratify_by:
        tags.append((spec.stratify_by, "stratify_by"))
    tags += [(t, "balance_tags") for t in spec.balance_tags or []]
    for text in expressions:
        guarded.check_expression(session, principal, text, Action.CAMPAIGNS_PLAN)
    for tag, field in tags:
        if tag in levels and not access.tag_visible(principal, levels[tag]):
            _refuse(session, principal, tag, levels[tag], field)


def _renamed(exc: PortraitError, path: Path) -> PortraitError:
    """The error with the server's file path replaced by the request field's name."""
    if type(exc) not in (UsageError, DefinitionError, NotFoundError) or str(path) not in exc.message:
        return exc
    return type(exc)(exc.message.replace(str(path), ORIGIN), hint=exc.hint)


def plan(target: Session | Path | None, principal: Principal, text: str) -> dict[str, Any]:
    """Plan the campaign the spec text describes (contacts nobody) and store the plan.

    Returns:
        The funnel, arms, balance and compliance findings, as ``portrait campaign plan
        --json`` prints them (means above the principal's clearance left out).

    Raises:
        AccessDeniedError: The role may not plan campaigns, or the spec uses a tag above
            its clearance.
        DefinitionError: The spec is not valid (the message names the field), or its
            campaign was already launched.
        NotFoundError: The objective product, saved audience or tag snapshot is missing.
    """
    with using(target) as session:
        check(session, principal, Action.CAMPAIGNS_PLAN, "campaigns")
        spec = read_spec(text)
        subject = f"campaign:{spec.campaign_id}"
        _check_clearance(session, principal, spec)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        path = session.root / UPLOADS / f"{spec.campaign_id}-{stamp}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        try:
            result = campaign.plan(session.root, path).as_dict()
        except PortraitError as exc:
            path.unlink(missing_ok=True)
            raise _renamed(exc, path) from exc
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        levels = session.sensitivities()
        for row in result.get("balance", []):
            level = levels.get(str(row.get("tag")), "public")
            if not access.tag_visible(principal, level):
                row.update(mean_treatment=None, mean_control=None, hidden=True)
        funnel = result.get("funnel", {})
        session.record(principal, Action.CAMPAIGNS_PLAN.value, subject, details={
            "spec_file": str(path.relative_to(session.root)), "audience": funnel.get("audience"),
            "treatment": funnel.get("treatment"), "control": funnel.get("control"),
            "planned_cost": funnel.get("planned_cost")})
        return result
