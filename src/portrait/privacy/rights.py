"""Data-subject rights: see everything held on a customer, correct it, erase it.

*See* gathers every row that names the customer in any warehouse table (found through
the schema, not a hand-kept list), with personal data decrypted — for compliance
staff answering a subject access request.

*Erase* deletes, in one transaction, every row naming the customer from every table
in the warehouse that has a ``customer_id`` column — canonical tables, tag snapshots,
tag history, staging leftovers, anything later layers add — plus the accounts the
customer owns and the rows hanging off them, then checkpoints so the deleted rows
leave the write-ahead log. The audit log keeps its entries (a legal record; they
name the customer only by id). What this does *not* reach is listed in
``docs/decisions.md``: files outside the warehouse (exports under ``reports/``, the
source files), and freed database blocks until DuckDB reuses them (their PII is
still AES-encrypted under the workspace key).
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from portrait import schema
from portrait.errors import NotFoundError, UsageError
from portrait.store.crypto import FieldCipher
from portrait.store.engine import Engine
from portrait.store.layout import physical_columns

#: Tables that keep rows about a customer on purpose after an erasure.
KEPT = frozenset({"audit_log"})
KEY = "customer_id"


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return None
    return value


def tables_with_customers(engine: Engine) -> list[tuple[str, str]]:
    """(schema, table) of every base table with a ``customer_id`` column, customers last."""
    rows = engine.query(
        "SELECT c.table_schema, c.table_name FROM information_schema.columns c "
        "JOIN information_schema.tables t USING (table_catalog, table_schema, table_name) "
        "WHERE c.column_name = 'customer_id' AND t.table_type = 'BASE TABLE' "
        "AND c.table_catalog = current_database() ORDER BY 1, 2")
    found = [(str(s), str(t)) for s, t in rows if t not in KEPT]
    return sorted(found, key=lambda st: (st == ("main", "customers"), st))


def _where_customer(table: str, db_schema: str = "main") -> exp.Select:
    return exp.select("*").from_(exp.to_table(f"{db_schema}.{table}")).where(
        exp.EQ(this=exp.column(KEY), expression=exp.Placeholder()))


def _customer_row(engine: Engine, customer_id: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = engine.query_arrow(_where_customer("customers"),
                                                    [customer_id]).to_pylist()
    if not rows:
        raise NotFoundError(f"Customer {customer_id!r} is not in the warehouse.",
                            hint="Check the id; an erased customer is gone for good.")
    return rows[0]


def decrypt_customer(cipher: FieldCipher, row: dict[str, Any]) -> dict[str, Any]:
    """A customers row with its PII decrypted and the token columns dropped."""
    out = dict(row)
    for col in schema.table("customers").pii_columns:
        out[col.name] = cipher.decrypt([row.get(col.name)], context=f"customers.{col.name}")[0]
        out.pop(col.token_column, None)
    return out


def see(engine: Engine, cipher: FieldCipher, customer_id: str) -> dict[str, Any]:
    """Everything the warehouse holds on a customer, decrypted, table by table.

    Raises:
        NotFoundError: The customer is not in the warehouse.
    """
    customer = {k: _plain(v) for k, v in
                decrypt_customer(cipher, _customer_row(engine, customer_id)).items()}
    held: dict[str, list[dict[str, Any]]] = {}
    for db_schema, table in tables_with_customers(engine):
        if (db_schema, table) == ("main", "customers"):
            continue
        rows = engine.query_arrow(_where_customer(table, db_schema), [customer_id]).to_pylist()
        if rows:
            name = table if db_schema == "main" else f"{db_schema}.{table}"
            held[name] = [{k: _plain(v) for k, v in r.items()} for r in rows]
    return {"customer_id": customer_id, "customer": customer, "tables": held,
            "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


@dataclass(frozen=True)
class Correction:
    field: str
    pii: bool
    before: Any
    after: Any


def correct(engine: Engine, cipher: FieldCipher, customer_id: str, field: str,
            value: str | None) -> Correction:
    """Set one field of a customer's record (PII re-encrypted and re-tokenized).

    Returns:
        The field, whether it is PII, and its values before and after (in clear: the
        caller decides how to record them).

    Raises:
        UsageError: The field is not a correctable customers column.
        NotFoundError: No such customer.
    """
    table = schema.table("customers")
    columns = {c.name: c for c in table.columns}
    if field not in columns or field == KEY:
        raise UsageError(f"{field!r} is not a field that can be corrected.",
                         hint=f"Fields: {', '.join(c for c in columns if c != KEY)}.")
    before = decrypt_customer(cipher, _customer_row(engine, customer_id)).get(field)
    col = columns[field]
    target = exp.to_table("main.customers")
    where = exp.EQ(this=exp.column(KEY), expression=exp.Placeholder())
    if col.pii:
        blob = cipher.encrypt([value], context=f"customers.{field}")[0]
        token = cipher.tokens([value])[0]
        update = exp.update(target, {field: exp.Placeholder(), col.token_column: exp.Placeholder()},
                            where=where)
        engine.execute(update, [blob, token, customer_id])
    else:
        sql_type = dict(physical_columns(table))[field]
        update = exp.update(target, {field: exp.cast(exp.Placeholder(), sql_type)}, where=where)
        try:
            engine.execute(update, [value, customer_id])
        except Exception as exc:  # the engine's conversion error names the bad value
            raise UsageError(f"{value!r} is not a valid {sql_type} for {field}: {exc}") from None
    after = decrypt_customer(cipher, _customer_row(engine, customer_id)).get(field)
    return Correction(field, col.pii, _plain(before), _plain(after))


def erase(engine: Engine, customer_id: str) -> dict[str, int]:
    """Delete every row naming the customer, in one transaction; then checkpoint.

    Returns:
        Rows deleted per table (``schema.table`` outside ``main``).

    Raises:
        NotFoundError: The customer is not in the warehouse.
    """
    _customer_row(engine, customer_id)
    owned = [r[0] for r in engine.query(
        "SELECT account_id FROM main.accounts WHERE customer_id = ?", [customer_id])]
    deleted: dict[str, int] = {}
    engine.execute("BEGIN TRANSACTION")
    try:
        if owned:
            # rows of other people's that hang off the erased customer's own accounts
            for table in ("transactions", "account_parties", "holdings"):
                before = _count(engine, table)
                engine.execute(exp.delete(exp.to_table(f"main.{table}"), where=exp.column(
                    "account_id").isin(*[exp.Literal.string(a) for a in owned])))
                deleted[table] = before - _count(engine, table)
        for db_schema, table in tables_with_customers(engine):
            name = table if db_schema == "main" else f"{db_schema}.{table}"
            before = _count(engine, table, db_schema)
            engine.execute(exp.delete(exp.to_table(f"{db_schema}.{table}"), where=exp.EQ(
                this=exp.column(KEY), expression=exp.Placeholder())), [customer_id])
            removed = before - _count(engine, table, db_schema)
            if removed or name in deleted:
                deleted[name] = deleted.get(name, 0) + removed
        engine.execute("COMMIT")
    except BaseException:
        engine.execute("ROLLBACK")
        raise
    engine.execute("CHECKPOINT")
    return {k: v for k, v in deleted.items() if v}


def _count(engine: Engine, table: str, db_schema: str = "main") -> int:
    return int(engine.query(exp.select(exp.func("count", exp.Star())).from_(
        exp.to_table(f"{db_schema}.{table}")))[0][0])


def held_anywhere(engine: Engine, customer_id: str) -> dict[str, int]:
    """Rows still naming the customer, per table (empty after a complete erasure)."""
    left: dict[str, int] = {}
    for db_schema, table in tables_with_customers(engine):
        n = int(engine.query(exp.select(exp.func("count", exp.Star())).from_(
            exp.to_table(f"{db_schema}.{table}")).where(exp.EQ(
                this=exp.column(KEY), expression=exp.Placeholder())), [customer_id])[0][0])
        if n:
            left[f"{db_schema}.{table}"] = n
    return left
