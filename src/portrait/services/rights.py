"""Data-subject rights for compliance staff: see, correct, erase — each one audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlglot import exp

from portrait.privacy import rights
from portrait.privacy.roles import Action
from portrait.services.access import Principal, Session, check, operator, using
from portrait.tags import snapshots


def see(target: Session | Path | None, customer_id: str, *,
        actor: Principal | None = None) -> dict[str, Any]:
    """Everything held on the customer, decrypted (a subject access request).

    Raises:
        AccessDeniedError: Only compliance (or the operator) may export a customer.
        NotFoundError: No such customer.
    """
    who = actor or operator()
    with using(target) as session:
        subject = f"customer:{customer_id}"
        check(session, who, Action.CUSTOMERS_EXPORT, subject)
        data = rights.see(session.engine(), session.cipher, customer_id)
        session.record(who, Action.CUSTOMERS_EXPORT.value, subject,
                       details={"tables": {t: len(r) for t, r in data["tables"].items()},
                                "pii": "clear"})
        return data


def correct(target: Session | Path | None, customer_id: str, field: str, value: str | None, *,
            actor: Principal | None = None) -> dict[str, Any]:
    """Correct one field of a customer's record; the audit entry keeps the old value unless
    it is PII (then only that it changed)."""
    who = actor or operator()
    with using(target) as session:
        subject = f"customer:{customer_id}"
        check(session, who, Action.CUSTOMERS_CORRECT, subject)
        fix = rights.correct(session.engine(), session.cipher, customer_id, field, value)
        session.customer_changed(customer_id)
        change = ({"field": field, "pii": True} if fix.pii else
                  {"field": field, "pii": False, "before": fix.before, "after": fix.after})
        session.record(who, Action.CUSTOMERS_CORRECT.value, subject, details=change)
        return {"customer_id": customer_id, **change}


def erase(target: Session | Path | None, customer_id: str, *,
          actor: Principal | None = None) -> dict[str, Any]:
    """Erase the customer from every warehouse table (the audit log keeps its entries).

    Returns:
        Rows deleted per table, and the tables that still name the customer (none,
        unless a table was written to while erasing).
    """
    who = actor or operator()
    with using(target) as session:
        subject = f"customer:{customer_id}"
        check(session, who, Action.CUSTOMERS_ERASE, subject)
        deleted = rights.erase(session.engine(), customer_id)
        session.customer_changed(customer_id)
        _recount_snapshots(session, deleted)
        left = rights.held_anywhere(session.engine(), customer_id)
        session.record(who, Action.CUSTOMERS_ERASE.value, subject,
                       details={"deleted": deleted, "left": left})
        return {"customer_id": customer_id, "deleted": deleted, "left": left}


def _recount_snapshots(session: Session, deleted: dict[str, int]) -> None:
    """Lower the customer count of each snapshot the erasure removed a row from, so that
    anything built from the snapshot before (the audience index) is seen as stale and
    rebuilt without the customer."""
    for table, n in deleted.items():
        if n:  # matches only the snapshots' rows of the registry
            session.engine().execute(exp.update(
                exp.to_table(snapshots.REGISTRY),
                {"customers": exp.Sub(this=exp.column("customers"), expression=exp.Literal.number(n))},
                where=exp.EQ(this=exp.column("table_name"), expression=exp.Literal.string(table))))
