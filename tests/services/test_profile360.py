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


def _without_audit_noise(profile: dict) -> dict:  # type: ignore[type-arg]
    return {k: v for k, v in profile.items() if k != "recommendations_note"}


@pytest.mark.parametrize("who", [RM_A, ANALYST, MARKETER, COMPLIANCE])
def test_a_warmed_session_serves_the_same_profiles_from_memory(
        session: access.Session, who: Principal) -> None:
    cold = {c: profile360.customer_profile(session, who, c) for c in ("C1", "C2", "C3")}
    held = profile360.warm(session)
    assert held["customer_rows"] == 3 and held["customer_rows_bytes"] > 0
    rows = session.customer_rows()
    assert rows is not None and rows.serves("C1") and not rows.serves("C404")
    for customer_id, profile in cold.items():
        assert _without_audit_noise(profile360.customer_profile(session, who, customer_id)) == \
            _without_audit_noise(profile)
    with pytest.raises(NotFoundError):
        profile360.customer_profile(session, who, "C404")


def test_memory_keeps_only_the_latest_activity_and_consent(session: access.Session) -> None:
    from portrait.services.customer_rows import CustomerRows

    rows = CustomerRows(session.engine(), recent=2)
    tx = rows.rows("transactions", "C1")
    assert tx is not None and [str(t["ts"]) for t in tx] == ["2025-01-03 10:00:00",
                                                           "2025-01-02 10:00:00"]
    consents = rows.rows("consents", "C1")
    assert consents is not None
    assert [(c["purpose"], c["granted"]) for c in consents] == [("marketing_sms", False)]
    assert rows.rows("events", "C404") is None and rows.customer("C404") is None


def test_changes_through_the_session_are_served_at_once(session: access.Session) -> None:
    profile360.warm(session)
    rights.correct(session, "C1", "city", "Shanghai", actor=COMPLIANCE)
    assert profile360.customer_profile(session, COMPLIANCE, "C1")["attributes"]["city"] == \
        "Shanghai"
    rights.erase(session, "C2", actor=COMPLIANCE)
    with pytest.raises(NotFoundError):
        profile360.customer_profile(session, COMPLIANCE, "C2")
    customer_rows = session.customer_rows()
    assert customer_rows is not None and customer_rows.serves("C3")


def test_deferred_views_are_committed_in_the_background_and_at_close(
        workspace: Workspace) -> None:
    fill(workspace)
    s = access.open_session(workspace.root)
    s.defer_audit(3600.0)  # the writer would wait an hour: only close may write them
    for customer_id in ("C1", "C2", "C3"):
        profile360.customer_profile(s, ANALYST, customer_id)
    assert s.audit_log.queued == 3
    assert audit.entries(s.engine())[1] == 0
    with pytest.raises(AccessDeniedError):  # a refusal is committed at once, with the queue
        profile360.customer_profile(s, ADMIN, "C1")
    entries, total = audit.entries(s.engine(), newest_first=False)
    assert total == 4 and [e.target for e in entries] == [
        "customer:C1", "customer:C2", "customer:C3", "customer:C1"]
    profile360.customer_profile(s, ANALYST, "C1")
    s.close()
    eng = workspace.engine()
    assert audit.entries(eng)[1] == 5 and audit.verify(eng).ok


def test_the_background_writer_commits_within_its_interval(workspace: Workspace) -> None:
    import time

    fill(workspace)
    s = access.open_session(workspace.root)
    try:
        s.defer_audit(0.01)
        profile360.customer_profile(s, ANALYST, "C1")
        deadline = time.monotonic() + 10
        while audit.entries(s.engine())[1] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert audit.entries(s.engine())[1] == 1 and s.audit_log.queued == 0
    finally:
        s.close()


def test_an_erased_customer_leaves_the_audience_counts(session: access.Session,
                                                       workspace: Workspace) -> None:
    from portrait.services import audience

    before = audience.count(workspace.root, "dependents >= 0")
    assert before["count"] == 3
    rights.erase(session, "C1", actor=COMPLIANCE)
    after = audience.count(workspace.root, "dependents >= 0")
    assert after["count"] == 2 and after["index_rebuilt"]
