"""Audiences, segments and campaigns for a principal, on the hand-made bank."""

from __future__ import annotations

import pytest

from portrait.audience.expr import ExpressionError
from portrait.errors import AccessDeniedError, NotFoundError
from portrait.privacy import audit
from portrait.privacy.access import Principal
from portrait.privacy.roles import Role
from portrait.services import access, guarded

MARKETER = Principal("mark", Role.MARKETER)
ANALYST = Principal("ann", Role.ANALYST)
RM = Principal("rm_a", Role.RELATIONSHIP_MANAGER, "RM-A")


def _denied(session: access.Session, actor: str) -> list[audit.Entry]:
    return audit.entries(session.engine(), actor=actor, outcome=audit.DENIED)[0]


def test_count_within_clearance(session: access.Session) -> None:
    assert guarded.audience_count(session, MARKETER, "gender = 'M'")["count"] == 3
    assert guarded.audience_count(session, ANALYST, "dependents >= 1")["count"] == 2


def test_tag_above_clearance_is_refused_with_its_position_and_audited(session: access.Session) -> None:
    with pytest.raises(AccessDeniedError, match=r"'dependents' is confidential.*line 1, column 17"):
        guarded.audience_count(session, MARKETER, "gender = 'M' or dependents >= 1")
    entry = _denied(session, "mark")[0]
    assert (entry.action, entry.target) == ("audiences.count", "tag:dependents")


def test_syntax_errors_keep_their_position(session: access.Session) -> None:
    with pytest.raises(ExpressionError) as err:
        guarded.audience_count(session, MARKETER, "gender = ")
    assert (err.value.line, err.value.column) == (1, 10)


def test_roles_without_the_permission_are_refused(session: access.Session) -> None:
    with pytest.raises(AccessDeniedError):
        guarded.audience_count(session, RM, "gender = 'M'")
    with pytest.raises(AccessDeniedError):
        guarded.campaigns(session, RM)
    with pytest.raises(AccessDeniedError):
        guarded.segment_cards(session, RM)
    assert {e.action for e in _denied(session, "rm_a")} == {"audiences.count", "campaigns.view",
                                                            "segments.view"}


def test_save_is_audited_and_listed(session: access.Session) -> None:
    guarded.audience_save(session, ANALYST, "men", "gender = 'M'")
    listed = guarded.audience_list(session, ANALYST)
    assert [(a["name"], a["sizes"][0]["size"]) for a in listed] == [("men", 3)]
    saved = audit.entries(session.engine(), actor="ann", action="audiences.save")[0]
    assert saved[0].target == "audience:men" and saved[0].outcome == audit.ALLOWED


def test_unknown_campaign(session: access.Session) -> None:
    assert guarded.campaigns(session, MARKETER) == []
    with pytest.raises(NotFoundError):
        guarded.campaign_dashboard(session, MARKETER, "nope")
