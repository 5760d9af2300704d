"""Policy decisions: permissions, clearance, PII in clear only for compliance or the own RM."""

from __future__ import annotations

import pytest

from portrait.errors import AccessDeniedError
from portrait.privacy import access
from portrait.privacy.access import Principal
from portrait.privacy.roles import Action, Role

RM_A = Principal("rm_a", Role.RELATIONSHIP_MANAGER, "RM-A")
ANALYST = Principal("ann", Role.ANALYST)
MARKETER = Principal("mark", Role.MARKETER)
COMPLIANCE = Principal("cora", Role.COMPLIANCE)
ADMIN = Principal("root", Role.ADMIN)
PII = {"name": "张三", "phone": "13812345678", "email": "zhang@example.com",
       "national_id": "110101199001011234"}
SENS = {"district_avg_salary": "public", "gender": "internal", "dependents": "confidential",
        "has_defaulted_loan": "restricted"}


def test_rm_sees_pii_of_own_customers_only() -> None:
    clear, form = access.present_pii(RM_A, PII, "RM-A")
    assert form == "clear" and clear == PII
    masked, form = access.present_pii(RM_A, PII, "RM-B")
    assert form == "masked"
    assert masked == {"name": "张*", "phone": "138****5678", "email": "z***@example.com",
                      "national_id": "110***********1234"}
    assert access.present_pii(RM_A, PII, None)[1] == "masked"


def test_rm_without_rm_id_owns_nobody() -> None:
    lost = Principal("rm_x", Role.RELATIONSHIP_MANAGER, None)
    assert not access.owns(lost, None)
    assert access.present_pii(lost, PII, None)[1] == "masked"


@pytest.mark.parametrize(("who", "form"), [(COMPLIANCE, "clear"), (ANALYST, "masked"),
                                           (MARKETER, "masked"), (ADMIN, "masked")])
def test_pii_form_by_role(who: Principal, form: str) -> None:
    assert access.present_pii(who, PII, "RM-A")[1] == form


@pytest.mark.parametrize(("who", "rm", "hidden"), [
    (MARKETER, None, ["dependents", "has_defaulted_loan"]),
    (ADMIN, None, ["dependents", "has_defaulted_loan"]),
    (ANALYST, None, ["has_defaulted_loan"]),
    (RM_A, "RM-B", ["has_defaulted_loan"]),
    (RM_A, "RM-A", []),
    (COMPLIANCE, None, []),
])
def test_tag_clearance(who: Principal, rm: str | None, hidden: list[str]) -> None:
    assert access.hidden_tags(who, SENS, rm) == hidden


def test_require_names_role_and_action() -> None:
    access.require(COMPLIANCE, Action.AUDIT_VIEW)
    with pytest.raises(AccessDeniedError, match=r"'marketer' may not audit\.view on audit_log"):
        access.require(MARKETER, Action.AUDIT_VIEW, "audit_log")


def test_operator_at_the_command_line_may_act_but_sees_by_role() -> None:
    op = Principal("cli:me", Role.ADMIN, via=access.OPERATOR_VIA)
    assert access.allowed(op, Action.AUDIT_VIEW)
    assert access.present_pii(op, PII, "RM-A")[1] == "masked"


def test_forbidden_tags_in_an_expression() -> None:
    assert access.forbidden_tags(["gender", "dependents", "nope"], SENS, MARKETER) == ["dependents"]
