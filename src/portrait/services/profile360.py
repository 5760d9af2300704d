"""The customer-360 profile, as one principal may see it.

What the profile shows depends on who asks (:mod:`portrait.privacy.access`): tags up
to the principal's clearance for this customer, PII in clear only for compliance or
the customer's own relationship manager (masked otherwise), amounts and transactions
only from ``confidential`` clearance up. Every view is written to the audit log with
the form the PII was shown in.

All reads are point lookups by ``customer_id`` on the calling thread's connection.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import importlib
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlglot import exp

from portrait import schema
from portrait.errors import NotFoundError, PortraitError
from portrait.privacy import access, audit
from portrait.privacy.access import Principal
from portrait.privacy.rights import decrypt_customer
from portrait.privacy.roles import Action, level
from portrait.services import customer_rows
from portrait.services.access import Session, check, using
from portrait.store import lookup
from portrait.store.layout import physical_columns
from portrait.tags.spec import FAMILIES

RECENT = customer_rows.RECENT
#: Tables a profile reads by customer (each through a lookup index once warmed).
LOOKUP_TABLES = ("customers", "holdings", "events", "transactions", "consents")
RECOMMEND_MODULE = "portrait.services.recommend"
#: Tags shown on the persona card, when the principal may see them.
PERSONA_TAGS = ("gender", "generation", "age_band", "value_tier", "lifecycle_stage", "risk_level",
                "churn_risk")
_CONFIDENTIAL = level("confidential")


def _whole(value: float) -> float | int:
    return int(value) if value.is_integer() else value


def _decimal(value: decimal.Decimal) -> float | int:
    return _whole(float(value))


#: How a value becomes JSON (dates as ISO text, decimals as floats, whole floats as
#: ints: a decimal shows the same whether read from the warehouse or from a serving
#: session's memory, which holds it as a float); any other type passes as it is. A
#: profile converts ~200 values: one dict lookup each.
_TO_PLAIN: dict[type, Callable[[Any], Any]] = {
    dt.datetime: dt.datetime.isoformat, dt.date: dt.date.isoformat,
    decimal.Decimal: _decimal, float: _whole}


def _plain(value: Any) -> Any:
    convert = _TO_PLAIN.get(type(value))
    return value if convert is None else convert(value)


#: Columns read for one profile, per table (the same the serving memory holds).
_HOLDING_COLUMNS = customer_rows.HOLDINGS
_EVENTS = customer_rows.EVENTS
_TRANSACTIONS = customer_rows.TRANSACTIONS
_CONSENTS = customer_rows.CONSENTS


@functools.lru_cache(maxsize=64)
def _sql(table: str, columns: tuple[str, ...]) -> str:
    """``SELECT columns FROM table WHERE customer_id = ?``, built with sqlglot once.

    Reads stay this plain on purpose: DuckDB then answers through the lookup index
    (an ORDER BY … LIMIT makes it plan a scan of the row group instead, ~5× slower);
    ordering, the latest rows and the products' names are applied here.
    """
    return exp.select(*[exp.column(c, quoted=True) for c in columns]).from_(
        exp.to_table(table)).where(exp.EQ(this=exp.column("customer_id"),
                                          expression=exp.Placeholder())).sql("duckdb")


def _records(session: Session, table: str, names: tuple[str, ...], customer_id: str
             ) -> list[dict[str, Any]]:
    """The customer's rows of ``table``: from the session's memory when it holds them
    (a serving session; events and transactions then only the latest ones), else from
    the warehouse."""
    held = session.customer_rows()
    rows = held.rows(table, customer_id) if held is not None else None
    if rows is not None:
        return rows
    return [dict(zip(names, row, strict=True))
            for row in session.engine().query(_sql(table, names), [customer_id])]


def _latest(rows: list[dict[str, Any]], n: int = RECENT) -> list[dict[str, Any]]:
    rows.sort(key=lambda r: r["ts"], reverse=True)
    return [{k: _plain(v) for k, v in r.items()} for r in rows[:n]]


def _products(session: Session) -> dict[str, tuple[Any, ...]]:
    """product_id → (name, category, risk_grade); the catalog is small and changes rarely."""
    return session.cached("products", 60.0, lambda: {
        r[0]: r[1:] for r in session.engine().query(
            exp.select("product_id", "name", "category", "risk_grade").from_("products"))})


def _customer(session: Session, customer_id: str) -> dict[str, Any]:
    held = session.customer_rows()
    record = held.customer(customer_id) if held is not None else None
    if record is None:
        names = tuple(c for c, _ in physical_columns(schema.table("customers")))
        rows = session.engine().query(_sql("customers", names), [customer_id])
        if not rows:
            raise NotFoundError(f"Customer {customer_id!r} not found.",
                                hint="Search with GET /api/customers?q=… or check the id.")
        record = dict(zip(names, rows[0], strict=True))
    return decrypt_customer(session.cipher, record)


def served_tags(session: Session, snap: dict[str, Any]) -> tuple[str, ...]:
    """The snapshot's covered catalog tags, in snapshot order (what a profile can show)."""
    def names() -> tuple[str, ...]:
        plan, uncovered = session.plan(), set(snap["uncovered"])
        return tuple(n for n in snap["tags"] if n not in uncovered and n in plan.tags)

    return session.cached(f"served-tags:{snap['table']}:{snap['built_at']}", 3600.0, names)


def warm(session: Session) -> dict[str, Any]:
    """Prepare a serving session: lookup indexes on the tables a profile reads (built
    once, kept in the warehouse, used for customers changed while serving), what a
    profile reads about each customer (:mod:`portrait.services.customer_rows`) and the
    latest snapshot's rows in memory."""
    try:
        for table in LOOKUP_TABLES:
            lookup.ensure_index(session.engine(), table)
        records = session.load_customer_rows()
        held = {"indexed": list(LOOKUP_TABLES), "customer_rows": len(records),
                "customer_rows_bytes": records.nbytes}
        snap = session.snapshot()
        if snap is None:
            return {"snapshot": None, **held}
        rows = session.snapshot_rows(snap, served_tags(session, snap))
        return {"snapshot": str(snap["table"]), "customers": len(rows), "bytes": rows.nbytes,
                **held}
    finally:
        # loading went through large temporary Arrow buffers; Arrow's allocator keeps
        # freed memory for reuse unless told (about 0.9 GB at 1,000,000 customers)
        pa.default_memory_pool().release_unused()


#: One shown tag in a profile's layout: (name, title, type, sensitivity).
_Shown = tuple[str, str, str, str]


def _layout(session: Session, snap: dict[str, Any], names: tuple[str, ...], clearance: str,
            lang: str) -> tuple[tuple[tuple[str, tuple[_Shown, ...]], ...], int]:
    """The tags shown at this clearance, by family in :data:`FAMILIES` order (families
    with none left out), each family's in snapshot order; and how many are hidden. The
    same for every profile of a snapshot, so kept."""
    def build() -> tuple[tuple[tuple[str, tuple[_Shown, ...]], ...], int]:
        plan, top = session.plan(), level(clearance)
        shown: dict[str, list[_Shown]] = {f: [] for f in FAMILIES}
        for name in names:
            spec = plan.tags[name].spec
            if level(spec.sensitivity) <= top:
                shown[spec.family].append((name, spec.title.zh if lang == "zh" else spec.title.en,
                                           spec.type, spec.sensitivity))
        layout = tuple((f, tuple(tags)) for f, tags in shown.items() if tags)
        return layout, len(names) - sum(len(tags) for _, tags in layout)

    key = f"profile-layout:{snap['table']}:{snap['built_at']}:{clearance}:{lang}"
    return session.cached(key, 3600.0, build)


def _tags(session: Session, principal: Principal, customer_id: str, rm_id: str | None,
          lang: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(tags by family, summary) of the latest snapshot, filtered by clearance."""
    snap = session.snapshot()
    if snap is None:
        return {}, {"as_of": None, "shown": 0, "hidden": 0, "uncovered": 0}
    names = served_tags(session, snap)
    record = session.snapshot_rows(snap, names).row(customer_id)
    if record is None:  # joined after the snapshot's date
        return {}, {"as_of": snap["as_of"].isoformat(), "in_snapshot": False, "shown": 0,
                    "hidden": 0, "uncovered": len(snap["uncovered"])}
    layout, hidden = _layout(session, snap, names, access.clearance(principal, rm_id), lang)
    value = record.get
    shown = {family: [{"name": name, "title": title, "value": _plain(value(name)),
                       "type": kind, "sensitivity": sensitivity}
                      for name, title, kind, sensitivity in tags]
             for family, tags in layout}
    summary = {"as_of": snap["as_of"].isoformat(), "in_snapshot": True,
               "shown": sum(len(tags) for _, tags in layout), "hidden": hidden,
               "uncovered": len(snap["uncovered"])}
    return shown, summary


def _holdings(session: Session, customer_id: str, amounts: bool) -> list[dict[str, Any]]:
    products = _products(session)
    rows = _records(session, "holdings", _HOLDING_COLUMNS, customer_id)
    rows.sort(key=lambda r: r["start_at"] or dt.date.min, reverse=True)
    rows.sort(key=lambda r: r["status"])
    out = []
    for row in rows:
        name, category, grade = products.get(row["product_id"], (None, None, None))
        item = {"holding_id": row["holding_id"], "product_id": row["product_id"],
                "product_name": name, "category": category, "risk_grade": grade,
                **{k: _plain(row[k]) for k in ("start_at", "end_at", "amount", "status")}}
        if not amounts:
            item.pop("amount")
        out.append(item)
    return out


def _activity(session: Session, customer_id: str, transactions: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"events": _latest(_records(session, "events", _EVENTS, customer_id))}
    if transactions:
        out["transactions"] = _latest(_records(session, "transactions", _TRANSACTIONS,
                                               customer_id))
    return out


def _consents(session: Session, customer_id: str) -> dict[str, Any]:
    """The latest record of each purpose (a later row overrides an earlier one)."""
    latest: dict[str, dict[str, Any]] = {}
    for row in _records(session, "consents", _CONSENTS, customer_id):
        held = latest.get(row["purpose"])
        if held is None or row["ts"] > held["ts"]:
            latest[row["purpose"]] = row
    return {p: {"granted": r["granted"], "ts": _plain(r["ts"]), "source": r["source"]}
            for p, r in sorted(latest.items())}


def _recommendations(session: Session, customer_id: str, lang: str) -> tuple[Any, str | None]:
    """The product shelf from ``portrait.services.recommend``, or ``None`` and why not.

    The profile never fails for want of recommendations: no module, no trained models
    or a customer the models cannot score all give ``None`` with the reason.
    """
    if importlib.util.find_spec(RECOMMEND_MODULE) is None:
        return None, "recommendations are not available in this installation"
    module = importlib.import_module(RECOMMEND_MODULE)
    try:
        return module.recommend(session.root, customer_id, lang=lang), None
    except PortraitError as exc:
        return None, exc.message


def _persona(tags: dict[str, Any], customer: dict[str, Any], pii: dict[str, Any]) -> dict[str, Any]:
    flat = {t["name"]: t["value"] for family in tags.values() for t in family}
    card = {name: flat[name] for name in PERSONA_TAGS if name in flat}
    card["name"] = pii.get("name")
    card["city"] = customer.get("city")
    return card


def customer_profile(target: Session | Path | None, principal: Principal, customer_id: str, *,
                     lang: str = "en", recommendations: bool = True) -> dict[str, Any]:
    """The customer's profile in the form ``principal`` may see; the view is audited.

    Raises:
        AccessDeniedError: The principal may not view customers (audited).
        NotFoundError: No such customer.
    """
    with using(target) as session:
        subject = f"customer:{customer_id}"
        check(session, principal, Action.CUSTOMERS_VIEW, subject)
        try:
            customer = _customer(session, customer_id)
        except NotFoundError:
            session.record(principal, Action.CUSTOMERS_VIEW.value, subject, audit.FAILED,
                           {"reason": "not found"})
            raise
        rm_id = customer.get("rm_id")
        pii, form = access.present_pii(principal, customer, rm_id)
        tags, tag_summary = _tags(session, principal, customer_id, rm_id, lang)
        financial = level(access.clearance(principal, rm_id)) >= _CONFIDENTIAL
        birth = customer.get("birth_date")
        shelf, shelf_note = (_recommendations(session, customer_id, lang) if recommendations
                             else (None, "not requested"))
        profile = {
            "customer_id": customer_id,
            "persona": _persona(tags, customer, pii),
            "pii": pii,
            "attributes": {
                "gender": customer.get("gender"),
                "birth_date": _plain(birth) if form == "clear" else None,
                "birth_year": birth.year if isinstance(birth, dt.date) else None,
                "city": customer.get("city"), "risk_level": customer.get("risk_level"),
                "branch_id": customer.get("branch_id"), "rm_id": rm_id,
                "joined_at": _plain(customer.get("joined_at")),
            },
            "tags": tags,
            "tag_summary": tag_summary,
            "holdings": _holdings(session, customer_id, financial),
            "activity": _activity(session, customer_id, financial),
            "consents": _consents(session, customer_id),
            "recommendations": shelf,
            "recommendations_note": shelf_note,
            "access": {"role": principal.role.value, "pii": form,
                       "own_customer": access.owns(principal, rm_id),
                       "tag_levels": list(access.visible_levels(principal, rm_id)),
                       "amounts": financial},
        }
        session.record_read(principal, Action.CUSTOMERS_VIEW.value, subject,
                            details={"pii": form, "tags_shown": tag_summary["shown"],
                                     "tags_hidden": tag_summary["hidden"]})
        return profile


def search(target: Session | Path | None, principal: Principal, query: str, *,
           limit: int = 20, offset: int = 0) -> dict[str, Any]:
    """Customers whose id starts with ``query``, or whose name, phone, e-mail or national id
    equals it exactly (matched through the keyed tokens, never by decrypting the table).

    Names come back in the form the principal may see.
    """
    with using(target) as session:
        check(session, principal, Action.CUSTOMERS_SEARCH, "customers")
        token = session.cipher.token(query.strip())
        cond = exp.or_(
            exp.func("starts_with", exp.column("customer_id"), exp.Literal.string(query.strip())),
            *[exp.EQ(this=exp.column(f"{f}_token"), expression=exp.Literal.string(token))
              for f in access.PII_FIELDS])
        base = exp.select("customer_id", "name", "rm_id", "city").from_("customers").where(cond)
        engine = session.engine()
        total = int(engine.query(exp.select("count(*)").from_(base.subquery()))[0][0])
        rows = engine.query_arrow(base.order_by("customer_id").limit(limit).offset(offset)).to_pylist()
        items = []
        for row in rows:
            clear = decrypt_customer(session.cipher, row)
            pii, form = access.present_pii(principal, {"name": clear.get("name")}, row["rm_id"])
            items.append({"customer_id": row["customer_id"], "name": pii["name"], "pii": form,
                          "city": row["city"], "own_customer": access.owns(principal, row["rm_id"])})
        session.record_read(principal, Action.CUSTOMERS_SEARCH.value, "customers",
                            details={"results": total})
        return {"items": items, "total": total, "limit": limit, "offset": offset}

