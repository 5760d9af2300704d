"""The PKDD'99 Czech bank data set (Berka) mapped onto the canonical tables.

Files: ``account``, ``client``, ``disp``, ``district``, ``loan``, ``card``, ``order``
and one or more transaction files named ``trans*.asc`` (optionally gzipped; the
public copy may cover only part of the period, which is reported).

Czech codes are decoded into canonical values by the tables below; a code that is not
in them rejects its row (with the code in the reason) rather than guessing.
"""

from __future__ import annotations

from pathlib import Path

from portrait.errors import SourceFormatError
from portrait.ingest.base import Progress, SourceSummary
from portrait.ingest.reader import read_delimited
from portrait.store.duckdb_engine import DuckDBEngine

FILES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # raw name: (file, canonical table it feeds, columns)
    "district": ("district.asc", "districts", tuple(f"A{i}" for i in range(1, 17))),
    "client": ("client.asc", "customers", ("client_id", "birth_number", "district_id")),
    "account": ("account.asc", "accounts", ("account_id", "district_id", "frequency", "date")),
    "disp": ("disp.asc", "account_parties", ("disp_id", "client_id", "account_id", "type")),
    "loan": ("loan.asc", "holdings",
             ("loan_id", "account_id", "date", "amount", "duration", "payments", "status")),
    "card": ("card.asc", "holdings", ("card_id", "disp_id", "type", "issued")),
    "order": ("order.asc", "holdings",
              ("order_id", "account_id", "bank_to", "account_to", "amount", "k_symbol")),
}
TRANS_COLUMNS = ("trans_id", "account_id", "date", "type", "operation", "amount", "balance",
                 "k_symbol", "bank", "account")

# Code tables: (code, canonical value). Kept as data so a reader can check them at a glance.
K_SYMBOL_KINDS = (
    ("POJISTNE", "insurance_payment"), ("SLUZBY", "fee"), ("UROK", "interest"),
    ("SANKC. UROK", "penalty_interest"), ("SIPO", "household"), ("DUCHOD", "pension"),
    ("UVER", "loan_payment"), ("LEASING", "leasing"),
)
OPERATION_KINDS = (
    ("VKLAD", "cash_in"), ("VYBER", "cash_out"), ("VYBER KARTOU", "card_withdrawal"),
    ("PREVOD Z UCTU", "transfer_in"), ("PREVOD NA UCET", "transfer_out"),
)
OPERATION_CHANNELS = (
    ("VKLAD", "branch"), ("VYBER", "branch"), ("VYBER KARTOU", "atm"),
    ("PREVOD Z UCTU", "other"), ("PREVOD NA UCET", "other"),
)
#: Entries the bank books itself have no customer channel.
SYSTEM_K_SYMBOLS = ("UROK", "SANKC. UROK", "SLUZBY")
TYPE_SIGNS = (("PRIJEM", 1), ("VYDAJ", -1), ("VYBER", -1))
LOAN_STATUSES = (("A", "closed"), ("B", "defaulted"), ("C", "active"), ("D", "in_arrears"))
CARD_PRODUCTS = (("junior", "card_junior"), ("classic", "card_classic"), ("gold", "card_gold"))
DISP_ROLES = (("OWNER", "owner"), ("DISPONENT", "user"))
FREQUENCIES = (("POPLATEK MESICNE", "monthly"), ("POPLATEK TYDNE", "weekly"),
               ("POPLATEK PO OBRATU", "after_transaction"))
PRODUCTS = (
    # product_id, name, category, risk grade
    ("current_account", "Current account", "deposit", "R1"),
    ("loan", "Loan", "loan", "R1"),
    ("card_junior", "Junior card", "credit_card", "R1"),
    ("card_classic", "Classic card", "credit_card", "R1"),
    ("card_gold", "Gold card", "credit_card", "R1"),
    ("standing_order", "Standing payment order", "payment_service", "R1"),
)


def _values(name: str, rows: tuple[tuple[object, ...], ...], columns: tuple[str, ...]) -> str:
    """A code table as a VALUES list (constants from this module only)."""
    body = ", ".join(
        "(" + ", ".join(repr(v) if isinstance(v, int) else "'" + str(v).replace("'", "''") + "'"
                        for v in row) + ")"
        for row in rows
    )
    return f"{name}({', '.join(columns)}) AS (SELECT * FROM (VALUES {body}))"


def _date(col: str) -> str:
    """YYMMDD (19YY) text → ISO date text; other text passes through to fail the date check."""
    return (f"CASE WHEN regexp_full_match(trim({col}), '\\d{{6}}') THEN "
            f"'19' || substr(trim({col}), 1, 2) || '-' || substr(trim({col}), 3, 2) || '-' || "
            f"substr(trim({col}), 5, 2) ELSE {col} END")


_CODES = ",\n".join([
    _values("k_kinds", K_SYMBOL_KINDS, ("code", "kind")),
    _values("op_kinds", OPERATION_KINDS, ("code", "kind")),
    _values("op_channels", OPERATION_CHANNELS, ("code", "channel")),
    _values("signs", TYPE_SIGNS, ("code", "sign")),
    _values("loan_status", LOAN_STATUSES, ("code", "status")),
    _values("card_products", CARD_PRODUCTS, ("code", "product_id")),
    _values("disp_roles", DISP_ROLES, ("code", "role")),
    _values("frequencies", FREQUENCIES, ("code", "frequency")),
])

_OWNERS = ("owners AS (SELECT account_id, min(client_id) AS client_id FROM staging.raw_disp "
           "WHERE type = 'OWNER' GROUP BY account_id)")

_STATEMENTS = [
    """CREATE TABLE staging.districts AS SELECT _source_file, _source_row,
        A1 AS district_id, A2 AS name, A3 AS region, A4 AS population,
        nullif(trim(A10), '?') AS urban_ratio, nullif(trim(A11), '?') AS avg_salary,
        nullif(trim(A13), '?') AS unemployment_rate,
        CAST(json_object(
            'municipalities_under_500', TRY_CAST(nullif(A5, '?') AS BIGINT),
            'municipalities_500_1999', TRY_CAST(nullif(A6, '?') AS BIGINT),
            'municipalities_2000_9999', TRY_CAST(nullif(A7, '?') AS BIGINT),
            'municipalities_over_10000', TRY_CAST(nullif(A8, '?') AS BIGINT),
            'cities', TRY_CAST(nullif(A9, '?') AS BIGINT),
            'unemployment_rate_1995', TRY_CAST(nullif(A12, '?') AS DOUBLE),
            'entrepreneurs_per_1000', TRY_CAST(nullif(A14, '?') AS DOUBLE),
            'crimes_1995', TRY_CAST(nullif(A15, '?') AS BIGINT),
            'crimes_1996', TRY_CAST(nullif(A16, '?') AS BIGINT)) AS VARCHAR) AS attributes
        FROM staging.raw_district""",
    f"""CREATE TABLE staging.customers AS
        WITH joined AS (SELECT d.client_id, min(a.date) AS first_open FROM staging.raw_disp d
                        JOIN staging.raw_account a USING (account_id) GROUP BY d.client_id),
        b AS (SELECT *, trim(birth_number) AS bn, TRY_CAST(substr(trim(birth_number), 3, 2) AS INT)
              AS mm FROM staging.raw_client)
        SELECT _source_file, _source_row, b.client_id AS customer_id,
            b.birth_number AS national_id,
            CASE WHEN mm > 50 THEN 'F' WHEN mm IS NOT NULL THEN 'M' END AS gender,
            CASE WHEN regexp_full_match(bn, '\\d{{6}}') THEN '19' || substr(bn, 1, 2) || '-' ||
                lpad(CAST(CASE WHEN mm > 50 THEN mm - 50 ELSE mm END AS VARCHAR), 2, '0') || '-' ||
                substr(bn, 5, 2) END AS birth_date,
            b.district_id, {_date("j.first_open")} AS joined_at,
            CASE WHEN NOT regexp_full_match(coalesce(bn, ''), '\\d{{6}}') THEN 'national_id' END
                AS _reject_field,
            CASE WHEN NOT regexp_full_match(coalesce(bn, ''), '\\d{{6}}') THEN
                'birth number is not YYMMDD (women: month + 50)' END AS _reject_reason
        FROM b LEFT JOIN joined j USING (client_id)""",
    f"""CREATE TABLE staging.accounts AS WITH {_CODES}, {_OWNERS}
        SELECT a._source_file, a._source_row, a.account_id, o.client_id AS customer_id,
            'current' AS type, {_date("a.date")} AS opened_at, 'active' AS status,
            a.district_id, 'CZK' AS currency,
            CAST(json_object('statement_frequency', coalesce(f.frequency, a.frequency)) AS VARCHAR)
                AS attributes,
            CASE WHEN o.client_id IS NULL THEN 'customer_id' END AS _reject_field,
            CASE WHEN o.client_id IS NULL THEN 'no OWNER disposition for this account in disp.asc'
                END AS _reject_reason
        FROM staging.raw_account a LEFT JOIN owners o USING (account_id)
        LEFT JOIN frequencies f ON f.code = a.frequency""",
    f"""CREATE TABLE staging.account_parties AS WITH {_CODES}
        SELECT d._source_file, d._source_row, d.account_id, d.client_id AS customer_id,
            r.role,
            CASE WHEN r.role IS NULL THEN 'role' END AS _reject_field,
            CASE WHEN r.role IS NULL THEN 'unknown disposition type ''' || coalesce(d.type, '') || ''''
                END AS _reject_reason
        FROM staging.raw_disp d LEFT JOIN disp_roles r ON r.code = d.type""",
    f"""CREATE TABLE staging.products AS SELECT 'berka' AS _source_file, row_number() OVER () AS
        _source_row, * FROM (VALUES {", ".join(str(p) for p in PRODUCTS)})
        AS p(product_id, name, category, risk_grade)""",
    f"""CREATE TABLE staging.holdings AS WITH {_CODES}, {_OWNERS},
        loans AS (
            SELECT l._source_file, l._source_row, 'loan-' || l.loan_id AS holding_id,
                o.client_id AS customer_id, 'loan' AS product_id, l.account_id,
                {_date("l.date")} AS start_at,
                CAST(TRY_CAST({_date("l.date")} AS DATE)
                     + to_months(TRY_CAST(l.duration AS INT)) AS VARCHAR) AS end_at,
                l.amount, s.status,
                CAST(json_object('loan_status', l.status, 'duration_months',
                     TRY_CAST(l.duration AS INT), 'monthly_payment', TRY_CAST(l.payments AS DOUBLE))
                     AS VARCHAR) AS attributes,
                CASE WHEN s.status IS NULL THEN 'status' END AS _reject_field,
                CASE WHEN s.status IS NULL THEN 'unknown loan status ''' || coalesce(l.status, '')
                     || '''' END AS _reject_reason
            FROM staging.raw_loan l LEFT JOIN owners o USING (account_id)
            LEFT JOIN loan_status s ON s.code = l.status),
        cards AS (
            SELECT c._source_file, c._source_row, 'card-' || c.card_id AS holding_id,
                d.client_id AS customer_id, p.product_id, d.account_id,
                {_date("split_part(trim(c.issued), ' ', 1)")} AS start_at, NULL AS end_at,
                NULL AS amount, 'active' AS status, NULL AS attributes,
                CASE WHEN d.disp_id IS NULL THEN 'disp_id' WHEN p.product_id IS NULL THEN 'type' END
                    AS _reject_field,
                CASE WHEN d.disp_id IS NULL THEN 'card refers to a disposition not in disp.asc: '''
                        || coalesce(c.disp_id, '') || ''''
                     WHEN p.product_id IS NULL THEN 'unknown card type ''' || coalesce(c.type, '')
                        || '''' END AS _reject_reason
            FROM staging.raw_card c LEFT JOIN staging.raw_disp d USING (disp_id)
            LEFT JOIN card_products p ON p.code = c.type),
        orders AS (
            SELECT r._source_file, r._source_row, 'order-' || r.order_id AS holding_id,
                o.client_id AS customer_id, 'standing_order' AS product_id, r.account_id,
                NULL AS start_at, NULL AS end_at, r.amount, 'active' AS status,
                CAST(json_object('purpose', coalesce(k.kind, nullif(trim(r.k_symbol), '')),
                     'bank_to', r.bank_to, 'account_to', r.account_to) AS VARCHAR) AS attributes,
                CASE WHEN nullif(trim(r.k_symbol), '') IS NOT NULL AND k.kind IS NULL
                     THEN 'k_symbol' END AS _reject_field,
                CASE WHEN nullif(trim(r.k_symbol), '') IS NOT NULL AND k.kind IS NULL
                     THEN 'unknown k_symbol ''' || r.k_symbol || '''' END AS _reject_reason
            FROM staging.raw_order r LEFT JOIN owners o USING (account_id)
            LEFT JOIN k_kinds k ON k.code = trim(r.k_symbol)),
        accounts AS (
            SELECT a._source_file, a._source_row, 'account-' || a.account_id AS holding_id,
                o.client_id AS customer_id, 'current_account' AS product_id, a.account_id,
                {_date("a.date")} AS start_at, NULL AS end_at, NULL AS amount, 'active' AS status,
                NULL AS attributes, NULL AS _reject_field, NULL AS _reject_reason
            FROM staging.raw_account a LEFT JOIN owners o USING (account_id))
        SELECT * FROM accounts UNION ALL BY NAME SELECT * FROM loans
        UNION ALL BY NAME SELECT * FROM cards UNION ALL BY NAME SELECT * FROM orders""",
    f"""CREATE TABLE staging.transactions AS WITH {_CODES}, {_OWNERS},
        t AS (SELECT *, nullif(trim(k_symbol), '') AS ks, nullif(trim(operation), '') AS op
              FROM staging.raw_trans)
        SELECT t._source_file, t._source_row, t.trans_id AS txn_id, t.account_id,
            o.client_id AS customer_id, {_date("t.date")} AS ts,
            CAST(s.sign * TRY_CAST(t.amount AS DECIMAL(18, 2)) AS VARCHAR) AS amount,
            t.balance AS balance_after,
            CASE WHEN t.ks IN {tuple(SYSTEM_K_SYMBOLS)} OR t.op IS NULL THEN 'system'
                 ELSE oc.channel END AS channel,
            coalesce(kk.kind, ok.kind,
                     CASE WHEN t.ks IS NULL AND t.op IS NULL THEN
                         CASE WHEN s.sign > 0 THEN 'other_in' ELSE 'other_out' END END) AS kind,
            nullif(concat_ws('/', nullif(trim(t.bank), ''), nullif(trim(t.account), '')), '')
                AS counterparty,
            CASE WHEN s.sign IS NULL THEN 'type'
                 WHEN t.ks IS NOT NULL AND kk.kind IS NULL THEN 'k_symbol'
                 WHEN t.op IS NOT NULL AND ok.kind IS NULL THEN 'operation'
                 WHEN TRY_CAST(t.amount AS DECIMAL(18, 2)) IS NULL THEN 'amount' END
                AS _reject_field,
            CASE WHEN s.sign IS NULL THEN 'unknown transaction type ''' || coalesce(t.type, '') || ''''
                 WHEN t.ks IS NOT NULL AND kk.kind IS NULL THEN 'unknown k_symbol ''' || t.ks || ''''
                 WHEN t.op IS NOT NULL AND ok.kind IS NULL THEN 'unknown operation ''' || t.op || ''''
                 WHEN TRY_CAST(t.amount AS DECIMAL(18, 2)) IS NULL THEN
                     'not a valid money amount: ''' || coalesce(t.amount, '') || '''' END
                AS _reject_reason
        FROM t LEFT JOIN owners o USING (account_id) LEFT JOIN signs s ON s.code = t.type
        LEFT JOIN k_kinds kk ON kk.code = t.ks LEFT JOIN op_kinds ok ON ok.code = t.op
        LEFT JOIN op_channels oc ON oc.code = t.op""",
]


def transaction_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.name.startswith("trans") and (p.name.endswith((".asc", ".asc.gz"))))


class BerkaAdapter:
    """Reads a folder holding the Berka files."""

    name = "berka"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def stage(self, engine: DuckDBEngine, progress: Progress) -> SourceSummary:
        if not self.folder.is_dir():
            raise SourceFormatError(f"{self.folder}: not a folder with the Berka files.")
        trans = transaction_files(self.folder)
        if not trans:
            raise SourceFormatError(
                f"{self.folder}: no transaction file (trans*.asc or trans*.asc.gz).")
        summary = SourceSummary(self.name)
        progress.start("Reading Berka files", total=len(FILES) + len(trans))
        for raw, (file, table, columns) in FILES.items():
            path = self.folder / file
            summary.records[raw if raw != "order" else "standing_orders"] = read_delimited(
                engine, path, staging_name=f"raw_{raw}", table=table, columns=columns,
                delimiter=";")
            summary.files.append(str(path))
            progress.advance()
        for n, path in enumerate(trans):
            read_delimited(engine, path, staging_name=f"raw_trans_{n}", table="transactions",
                           columns=TRANS_COLUMNS, delimiter=";")
            summary.files.append(str(path))
            progress.advance()
        union = " UNION ALL ".join(f"SELECT * FROM staging.raw_trans_{n}" for n in range(len(trans)))
        engine.execute(f"CREATE TABLE staging.raw_trans AS {union}")
        summary.records = {
            "clients": summary.records["client"], "accounts": summary.records["account"],
            "dispositions": summary.records["disp"], "districts": summary.records["district"],
            "loans": summary.records["loan"], "cards": summary.records["card"],
            "standing_orders": summary.records["standing_orders"],
        }
        progress.start("Mapping Czech codes", total=len(_STATEMENTS))
        for statement in _STATEMENTS:
            engine.execute(statement)
            progress.advance()
        first, last, count = engine.query(
            "SELECT min(TRY_CAST(ts AS DATE)), max(TRY_CAST(ts AS DATE)), count(*) "
            "FROM staging.transactions")[0]
        summary.records["transactions"] = int(count)
        if first is not None:
            summary.period = {"from": first.isoformat(), "to": last.isoformat()}
            summary.notes.append(
                f"Transactions cover {first.isoformat()} … {last.isoformat()}; the workspace's "
                "default as-of date is the last transaction date.")
        return summary
