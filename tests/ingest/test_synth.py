"""The synthetic bank: reproducible, valid against the schema, and realistic where it counts."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from faker.providers.phone_number.zh_CN import Provider as PhoneProvider

from portrait.errors import UsageError
from portrait.ingest.base import NoProgress
from portrait.ingest.pipeline import IngestReport, run_ingest
from portrait.ingest.synth import TABLES, SynthAdapter, generate
from portrait.ingest.synth.columns import arrow_schema
from portrait.ingest.synth.names import check_char
from portrait.schema import TABLES as CANONICAL
from portrait.schema import enums
from portrait.store import Workspace, init_workspace
from portrait.store.duckdb_engine import DuckDBEngine

CUSTOMERS = 1500
SEED = 11
CHUNK = 600  # several chunks, so chunk boundaries are exercised too


def _bank(customers: int, seed: int, **options: object) -> dict[str, pa.Table]:
    chunks = list(generate(customers, seed, **options))  # type: ignore[arg-type]
    return {name: pa.concat_tables([c[name] for c in chunks if name in c]) for name in TABLES}


@pytest.fixture(scope="module")
def bank() -> dict[str, pa.Table]:
    return _bank(CUSTOMERS, SEED, chunk_customers=CHUNK)


@pytest.fixture(scope="module")
def sql(bank: dict[str, pa.Table]) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    for name, table in bank.items():
        con.register(name, table)
    yield con
    con.close()


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, IngestReport]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("PORTRAIT_KEY", raising=False)
        ws = init_workspace(tmp_path_factory.mktemp("synth") / "ws")
        return ws, run_ingest(ws, SynthAdapter(CUSTOMERS, SEED, chunk_customers=CHUNK))


def _one(con: duckdb.DuckDBPyConnection, query: str) -> tuple[object, ...]:
    row = con.execute(query).fetchone()
    assert row is not None
    return row


# --- reproducibility and shape ---------------------------------------------------------

def test_same_seed_and_options_give_identical_tables() -> None:
    first = _bank(400, 5, chunk_customers=150)
    second = _bank(400, 5, chunk_customers=150)
    for name in TABLES:
        assert first[name].equals(second[name]), name


def test_parallel_workers_give_the_same_tables() -> None:
    alone = _bank(400, 5, chunk_customers=150, workers=1)
    together = _bank(400, 5, chunk_customers=150, workers=2)
    for name in TABLES:
        assert alone[name].equals(together[name]), name


def test_another_seed_gives_another_bank() -> None:
    a, b = _bank(300, 1), _bank(300, 2)
    assert not a["customers"].equals(b["customers"])
    assert not a["transactions"].equals(b["transactions"])
    assert a["districts"].equals(b["districts"])  # the places and products are fixed
    assert a["products"].equals(b["products"])


def test_every_canonical_table_is_generated_with_typed_columns(bank: dict[str, pa.Table]) -> None:
    expected = {t.name for t in CANONICAL} - {"contacts", "responses"}
    assert set(bank) == expected
    for table in CANONICAL:
        if table.name in bank:
            assert bank[table.name].schema == arrow_schema(table), table.name
            assert bank[table.name].num_rows > 0, table.name
    assert bank["customers"].num_rows == CUSTOMERS
    assert bank["transactions"].num_rows > 30 * CUSTOMERS


def test_options_out_of_range_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="customers"):
        generate(0)
    with pytest.raises(UsageError, match="malformed"):
        SynthAdapter(10, malformed=0.9)
    with pytest.raises(UsageError, match="chunks"):
        SynthAdapter(200_000, chunk_customers=1)


# --- through the real pipeline --------------------------------------------------------------

def test_clean_bank_loads_with_nothing_quarantined(
        ingested: tuple[Workspace, IngestReport]) -> None:
    _, report = ingested
    assert report.published
    assert report.quarantined == 0
    for name in TABLES:
        assert report.tables[name].loaded == report.source.records[name] > 0, name
    assert report.source.period == {"from": "2023-01-01", "to": "2025-12-31"}
    assert report.default_as_of == "2025-12-31"


def test_every_customer_has_a_consent_for_every_purpose(
        ingested: tuple[Workspace, IngestReport]) -> None:
    ws, _ = ingested
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    try:
        covered = con.execute(
            "SELECT count(*) FROM (SELECT customer_id FROM main.consents GROUP BY 1 "
            "HAVING count(DISTINCT purpose) = ?)", [len(enums.CONSENT_PURPOSES)]).fetchone()
        customers = con.execute("SELECT count(*) FROM main.customers").fetchone()
        purposes = con.execute("SELECT count(DISTINCT purpose) FROM main.consents").fetchone()
    finally:
        con.close()
    assert covered == customers == (CUSTOMERS,)
    assert purposes == (len(enums.CONSENT_PURPOSES),)


def test_staged_rows_carry_source_and_row_numbers(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTRAIT_KEY", raising=False)
    engine = init_workspace(tmp_path / "ws").engine()
    assert isinstance(engine, DuckDBEngine)
    try:
        engine.reset_staging()
        summary = SynthAdapter(250, 3, chunk_customers=100).stage(engine, NoProgress())
        for name in TABLES:
            rows = engine.query(
                f"SELECT count(*), min(_source_row), max(_source_row), "
                f"count(DISTINCT _source_row), min(_source_file), max(_source_file) "
                f"FROM staging.{name}")[0]
            n = summary.records[name]
            assert rows == (n, 1, n, n, "synth:seed=3", "synth:seed=3"), name
    finally:
        engine.close()


def test_malformed_rows_are_quarantined_exactly(workspace: Workspace) -> None:
    report = run_ingest(workspace, SynthAdapter(500, 8, malformed=0.02, chunk_customers=200))
    records = report.source.records
    for name in TABLES:
        injected = records[f"malformed_{name}"]
        assert injected > 0, name
        assert report.tables[name].quarantined == injected, name
        assert report.tables[name].loaded == records[name] - injected, name
    reasons = pq.read_table(report.quarantine_files["transactions"]).column("reason").to_pylist()
    assert any("is not one of" in r for r in reasons)
    assert any("required value is missing" in r for r in reasons)
    assert any("does not exist" in r for r in reasons)
    assert any("above the maximum" in r for r in reasons)


# --- personal data -------------------------------------------------------------------------

def test_national_ids_are_valid_and_match_birth_date_and_gender(
        bank: dict[str, pa.Table]) -> None:
    customers = bank["customers"].to_pylist()
    ids = [c["national_id"] for c in customers]
    assert len(set(ids)) == len(ids)
    for c in customers:
        nid = c["national_id"]
        assert len(nid) == 18 and nid[:17].isdigit()
        assert nid[17] == check_char(nid)
        assert nid[6:14] == c["birth_date"].strftime("%Y%m%d")
        assert int(nid[16]) % 2 == (1 if c["gender"] == "M" else 0)


def test_phones_names_and_emails_look_chinese(bank: dict[str, pa.Table]) -> None:
    prefixes = {str(p) for p in PhoneProvider.phonenumber_prefixes}
    customers = bank["customers"].to_pylist()
    phones = [c["phone"] for c in customers]
    assert len(set(phones)) == len(phones)
    assert all(len(p) == 11 and p.isdigit() and p[:3] in prefixes for p in phones)
    assert all(2 <= len(c["name"]) <= 4 and all("\u4e00" <= ch <= "\u9fff" for ch in c["name"])
               for c in customers)
    emails = [c["email"] for c in customers if c["email"]]
    assert 0.3 * len(customers) < len(emails) < len(customers)
    assert all(e.count("@") == 1 and e.split("@")[1] for e in emails)


# --- realistic correlations ----------------------------------------------------------------

AGE = "date_diff('year', birth_date, DATE '2025-12-31')"


def test_income_and_assets_rise_with_age_until_retirement(sql: duckdb.DuckDBPyConnection) -> None:
    rows = sql.execute(f"""
        WITH assets AS (
            SELECT customer_id, sum(amount) AS assets FROM holdings h
            JOIN products p USING (product_id)
            WHERE h.status = 'active' AND p.category IN
                ('deposit', 'time_deposit', 'wealth', 'fund', 'bond')
            GROUP BY 1)
        SELECT {AGE} // 10 AS band, avg(income_declared), avg(coalesce(assets, 0))
        FROM customers LEFT JOIN assets USING (customer_id)
        WHERE {AGE} BETWEEN 20 AND 59 GROUP BY 1 ORDER BY 1""").fetchall()
    bands = [r[0] for r in rows]
    income = [r[1] for r in rows]
    assets = [r[2] for r in rows]
    assert bands == [2, 3, 4, 5]
    assert income[0] < income[1] < income[2]
    assert assets[0] < assets[1] < assets[2] < assets[3]


def test_young_customers_use_the_app_old_ones_the_branch(sql: duckdb.DuckDBPyConnection) -> None:
    young, old = (
        _one(sql, f"""SELECT avg((channel = 'app')::INT), avg((channel = 'branch')::INT)
                      FROM events JOIN customers USING (customer_id) WHERE {AGE} {cond}""")
        for cond in ("< 30", ">= 60"))
    assert young[0] > 2 * old[0]  # type: ignore[operator]
    assert old[1] > 3 * young[1]  # type: ignore[operator]


def test_risk_level_falls_with_age_and_no_product_exceeds_it(
        sql: duckdb.DuckDBPyConnection) -> None:
    young, old = (_one(sql, f"SELECT avg(right(risk_level, 1)::INT) FROM customers "
                            f"WHERE {AGE} {cond}") for cond in ("< 30", ">= 65"))
    assert young[0] > old[0] + 0.5  # type: ignore[operator]
    unsuitable = _one(sql, """SELECT count(*) FROM holdings JOIN customers USING (customer_id)
        JOIN products USING (product_id)
        WHERE right(risk_grade, 1)::INT > right(risk_level, 1)::INT""")
    assert unsuitable == (0,)


def test_salaries_arrive_on_a_fixed_workday_and_pensions_go_to_retirees(
        sql: duckdb.DuckDBPyConnection) -> None:
    weekend = _one(sql, "SELECT count(*) FROM transactions WHERE kind = 'salary' "
                        "AND isodow(ts) >= 6")
    assert weekend == (0,)
    spread = _one(sql, """SELECT max(s) FROM (SELECT account_id, max(day(ts)) - min(day(ts)) AS s
        FROM transactions WHERE kind = 'salary' GROUP BY 1)""")
    assert spread[0] is not None and spread[0] <= 2  # type: ignore[operator]
    too_young = _one(sql, f"""SELECT count(*) FROM transactions JOIN customers USING (customer_id)
        WHERE kind = 'pension' AND {AGE} < CASE gender WHEN 'F' THEN 55 ELSE 60 END""")
    assert too_young == (0,)


def test_spending_peaks_before_spring_festival_and_on_double_eleven(
        sql: duckdb.DuckDBPyConnection) -> None:
    per_day = """SELECT count(*) / count(DISTINCT ts::DATE) FROM transactions
                 WHERE kind = '{}' AND ({})"""
    festival = "ts::DATE BETWEEN DATE '2024-01-27' AND DATE '2024-02-09'"
    double_11 = "month(ts) = 11 AND day(ts) BETWEEN 1 AND 11"
    ordinary = "month(ts) IN (3, 4, 5, 9)"
    purchases = {when: _one(sql, per_day.format("card_purchase", when))[0]
                 for when in (festival, double_11, ordinary)}
    assert purchases[festival] > 1.3 * purchases[ordinary]  # type: ignore[operator]
    assert purchases[double_11] > 1.3 * purchases[ordinary]  # type: ignore[operator]
    red_envelopes = _one(sql, per_day.format("transfer_out", festival))
    transfers = _one(sql, per_day.format("transfer_out", ordinary))
    assert red_envelopes[0] > 1.3 * transfers[0]  # type: ignore[operator]


def test_balances_follow_amounts_and_current_accounts_never_go_negative(
        sql: duckdb.DuckDBPyConnection) -> None:
    broken = _one(sql, """SELECT count(*) FROM (
        SELECT balance_after - lag(balance_after) OVER w AS moved, amount
        FROM transactions WINDOW w AS (PARTITION BY account_id ORDER BY txn_id))
        WHERE moved IS NOT NULL AND abs(moved - amount) > 0.005""")
    assert broken == (0,)
    negative = _one(sql, """SELECT count(*) FROM transactions JOIN accounts a USING (account_id)
        WHERE a.type = 'current' AND balance_after < 0""")
    assert negative == (0,)


def test_churners_fade_out_then_close_their_accounts(sql: duckdb.DuckDBPyConnection) -> None:
    closed = sql.execute("""SELECT account_id, closed_at FROM accounts
        WHERE type = 'current' AND status = 'closed'""").fetchall()
    assert len(closed) > 20
    emptied = _one(sql, """SELECT count(*) FROM accounts a JOIN (
            SELECT account_id, arg_max(balance_after, txn_id) AS last_balance
            FROM transactions GROUP BY 1) t USING (account_id)
        WHERE a.type = 'current' AND a.status = 'closed' AND t.last_balance = 0""")
    assert emptied[0] == len(closed)
    late, early = _one(sql, """
        SELECT count(*) FILTER (WHERE t.ts::DATE BETWEEN a.closed_at - 60 AND a.closed_at - 1),
               count(*) FILTER (WHERE t.ts::DATE BETWEEN a.closed_at - 360 AND a.closed_at - 301)
        FROM accounts a JOIN transactions t USING (account_id)
        WHERE a.type = 'current' AND a.status = 'closed' AND a.closed_at >= DATE '2024-01-01'
          AND t.kind NOT IN ('interest', 'fee')""")
    assert late < 0.6 * early  # type: ignore[operator]
    still_open = _one(sql, """SELECT count(*) FROM holdings h JOIN accounts a
        ON a.customer_id = h.customer_id AND a.type = 'current' AND a.status = 'closed'
        WHERE h.status = 'active'""")
    assert still_open == (0,)


def test_history_ends_on_the_end_date(sql: duckdb.DuckDBPyConnection) -> None:
    for table in ("transactions", "events", "consents"):
        last = _one(sql, f"SELECT max(ts)::DATE FROM {table}")
        assert last[0] <= datetime.date(2025, 12, 31), table  # type: ignore[operator]
    first, last = _one(sql, "SELECT min(ts)::DATE, max(ts)::DATE FROM transactions")
    assert first == datetime.date(2023, 1, 1)
    assert last == datetime.date(2025, 12, 31)
