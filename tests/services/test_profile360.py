"""The customer-360 profile through the service layer, on the hand-made bank."""

from __future__ import annotations

import pytest

from portrait.errors import AccessDeniedError, NotFoundError
from portrait.privacy import audit
from portrait.privacy.access import Principal
from portrait.privacy.roles import Role
from portrait.services import access, profile360, rights
from portrait.store import Workspace
from tests.privacy.conftest import fill

RM_A = Principal("rm_a", Role.RELATIONSHIP_MANAGER, "RM-A")
ANALYST = Principal("ann", Role.ANALYST)
MARKETER = Principal("mark", Role.MARKETER)
COMPLIANCE = Principal("cora", Role.COMPLIANCE)
ADMIN = Principal("root", Role.ADMIN)


@pytest.fixture
def session(workspace: Workspace):  # type: ignore[no-untyped-def]
    fill(workspace)
    s = access.open_session(workspace.root)
    yield s
    s.close()


def _tags(profile: dict) -> dict[str, object]:  # type: ignore[type-arg]
    return {t["name"]: t["value"] for fam in profile["tags"].values() for t in fam}


def test_own_rm_sees_everything_in_clear(session: access.Session) -> None:
    p = profile360.customer_profile(session, RM_A, "C1")
    assert p["pii"] == {"name": "张三", "national_id": "110101199001011234",
                        "phone": "13812345678", "email": "zhang@example.com"}
    assert _tags(p) == {"district_avg_salary": 9500, "gender": "M", "dependents": 2,
                        "has_defaulted_loan": True}
    assert p["access"]["own_customer"] and p["access"]["pii"] == "clear"
    assert p["holdings"][0]["amount"] == 5000.0 and p["holdings"][0]["product_name"] == "活期"
    assert [t["ts"] for t in p["activity"]["transactions"]] == [
        "2025-01-03T10:00:00", "2025-01-02T10:00:00", "2025-01-01T10:00:00"]
    assert p["consents"]["marketing_sms"]["granted"] is False  # the latest row wins
    assert p["recommendations"] is None or isinstance(p["recommendations"], (list, dict))


def test_other_rm_gets_masks_and_no_restricted_tags(session: access.Session) -> None:
    p = profile360.customer_profile(session, RM_A, "C2")
    assert p["pii"]["name"] == "李*" and p["pii"]["phone"] == "139****1111"
    assert "has_defaulted_loan" not in _tags(p) and p["tag_summary"]["hidden"] == 1
    assert p["attributes"]["birth_date"] is None and p["attributes"]["birth_year"] == 1990


def test_marketer_sees_no_amounts_or_confidential_tags(session: access.Session) -> None:
    p = profile360.customer_profile(session, MARKETER, "C1")
    assert set(_tags(p)) == {"district_avg_salary", "gender"}
    assert "amount" not in p["holdings"][0] and "transactions" not in p["activity"]
    assert p["pii"]["email"] == "z***@example.com"


def test_compliance_sees_pii_and_restricted(session: access.Session) -> None:
    p = profile360.customer_profile(session, COMPLIANCE, "C3")
    assert p["pii"]["name"] == "王五" and p["pii"]["email"] is None
    assert "has_defaulted_loan" in _tags(p)


def test_views_and_denials_are_audited(session: access.Session) -> None:
    profile360.customer_profile(session, ANALYST, "C1")
    with pytest.raises(AccessDeniedError):
        profile360.customer_profile(session, ADMIN, "C1")
    with pytest.raises(NotFoundError):
        profile360.customer_profile(session, ANALYST, "C404")
    entries, total = audit.entries(session.engine(), newest_first=False)
    assert total == 3
    assert [(e.actor, e.action, e.target, e.outcome) for e in entries] == [
        ("ann", "customers.view", "customer:C1", "allowed"),
        ("root", "customers.view", "customer:C1", "denied"),
        ("ann", "customers.view", "customer:C404", "failed")]
    assert entries[0].details["pii"] == "masked"
    assert audit.verify(session.engine()).ok


def test_search_by_exact_phone_or_id_prefix(session: access.Session) -> None:
    found = profile360.search(session, ANALYST, "13900001111")
    assert [(i["customer_id"], i["name"]) for i in found["items"]] == [("C2", "李*")]
    assert profile360.search(session, RM_A, "C")["total"] == 3
    own = {i["customer_id"]: i for i in profile360.search(session, RM_A, "C")["items"]}
    assert own["C1"]["name"] == "张三" and own["C2"]["name"] == "李*"


def test_rights_through_the_service_are_audited(session: access.Session) -> None:
    with pytest.raises(AccessDeniedError):
        rights.see(session, "C1", actor=ANALYST)
    assert rights.see(session, "C1", actor=COMPLIANCE)["customer"]["name"] == "张三"
    fix = rights.correct(session, "C1", "phone", "13000000000", actor=COMPLIANCE)
    assert fix == {"customer_id": "C1", "field": "phone", "pii": True}
    gone = rights.erase(session, "C2", actor=COMPLIANCE)
    assert gone["left"] == {} and gone["deleted"]["customers"] == 1
    entries, _ = audit.entries(session.engine(), newest_first=False)
    assert [(e.action, e.outcome) for e in entries] == [
        ("customers.export", "denied"), ("customers.export", "allowed"),
        ("customers.correct", "allowed"), ("customers.erase", "allowed")]
    assert "13000000000" not in str(entries[2].details)


def test_customer_missing_from_the_snapshot_has_no_tags(session: access.Session) -> None:
    from tests.privacy.conftest import SNAPSHOT

    session.engine().execute(f"DELETE FROM {SNAPSHOT} WHERE customer_id = 'C3'")
    p = profile360.customer_profile(session, COMPLIANCE, "C3")
    assert p["tags"] == {} and p["tag_summary"]["in_snapshot"] is False
    assert profile360.customer_profile(session, COMPLIANCE, "C2")["tag_summary"]["in_snapshot"]
    assert profile360.warm(session)["customers"] == 2
