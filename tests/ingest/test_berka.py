"""The real Berka files through the CLI: counts, decoding, quarantine, strictness, kills."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from portrait.store import open_workspace

pytestmark = pytest.mark.integration

EXPECTED = {"districts": 77, "customers": 5369, "accounts": 4500, "account_parties": 5369,
            "products": 6, "holdings": 12545, "transactions": 46997}


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "portrait", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, check=False)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, berka_dir: Path) -> tuple[Path, dict]:  # type: ignore[type-arg]
    ws = tmp_path_factory.mktemp("berka") / "ws"
    out = cli("ingest", "berka", str(berka_dir), "--workspace", str(ws), "--json")
    assert out.returncode == 0, out.stderr
    return ws, json.loads(out.stdout)


@pytest.fixture(scope="module")
def berka_dir() -> Path:
    from tests.conftest import shared

    return shared("berka")


def _query(ws: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_counts_match_the_release(loaded: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    _, report = loaded
    assert {t: c["loaded"] for t, c in report["tables"].items()} == EXPECTED
    assert all(c["quarantined"] == 0 for c in report["tables"].values())
    assert report["records"] == {"clients": 5369, "accounts": 4500, "dispositions": 5369,
                                 "districts": 77, "loans": 682, "cards": 892,
                                 "standing_orders": 6471, "transactions": 46997}
    assert report["period"] == {"from": "1993-01-01", "to": "1994-03-30"}
    assert report["default_as_of"] == "1994-03-30"


def test_codes_are_decoded(loaded: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    ws, _ = loaded
    # client 1: birth number 706213 → woman (62 = 12 + 50), born 1970-12-13
    assert _query(ws, "SELECT gender, CAST(birth_date AS VARCHAR), district_id FROM customers "
                      "WHERE customer_id = '1'") == [("F", "1970-12-13", "18")]
    assert _query(ws, "SELECT gender, CAST(birth_date AS VARCHAR) FROM customers "
                      "WHERE customer_id = '2'") == [("M", "1945-02-04")]
    # first transaction of the file: a cash credit of 700 at the branch
    assert _query(ws, "SELECT amount, kind, channel, CAST(ts AS DATE)::VARCHAR FROM transactions "
                      "WHERE txn_id = '695247'") == [(700, "cash_in", "branch", "1993-01-01")]
    kinds = dict(_query(ws, "SELECT kind, count(*) FROM transactions GROUP BY 1"))
    assert kinds["interest"] == 8305 and kinds["pension"] == 1770 and kinds["household"] == 3717
    # debits are negative, credits positive
    assert _query(ws, "SELECT count(*) FROM transactions WHERE (kind IN ('cash_out', 'fee', "
                      "'household') AND amount > 0) OR (kind IN ('cash_in', 'interest') "
                      "AND amount < 0)") == [(0,)]
    loans = dict(_query(ws, "SELECT status, count(*) FROM holdings WHERE product_id = 'loan' "
                            "GROUP BY 1"))
    assert loans == {"closed": 203, "defaulted": 31, "active": 403, "in_arrears": 45}
    cards = dict(_query(ws, "SELECT product_id, count(*) FROM holdings WHERE holding_id LIKE "
                            "'card-%' GROUP BY 1"))
    assert cards == {"card_classic": 659, "card_junior": 145, "card_gold": 88}
    # district 69 has two missing figures: missing, not an error
    attrs = _query(ws, "SELECT attributes->>'unemployment_rate_1995', attributes->>'crimes_1995' "
                       "FROM districts WHERE district_id = '69'")
    assert attrs == [(None, None)]
    roles = dict(_query(ws, "SELECT role, count(*) FROM account_parties GROUP BY 1"))
    assert roles == {"owner": 4500, "user": 869}


def test_reingest_is_idempotent(loaded: tuple[Path, dict], berka_dir: Path) -> None:  # type: ignore[type-arg]
    ws, _ = loaded
    before = _query(ws, "SELECT sum(hash(t)) FROM transactions t")
    out = cli("ingest", "berka", str(berka_dir), "--workspace", str(ws), "--json")
    assert out.returncode == 0, out.stderr
    counts = {t: n for t, n in json.loads(cli("status", "-w", str(ws), "--json").stdout)[
        "tables"].items() if n}
    assert counts == EXPECTED
    assert _query(ws, "SELECT sum(hash(t)) FROM transactions t") == before


def test_birth_numbers_are_never_stored_in_clear(loaded: tuple[Path, dict], berka_dir: Path) -> None:  # type: ignore[type-arg]
    ws, _ = loaded
    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    con.execute(f"CREATE TEMP TABLE births AS SELECT client_id AS customer_id, birth_number "
                f"FROM read_csv('{berka_dir / 'client.asc'}', delim=';', all_varchar=true)")
    text_columns = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND "
        "table_name = 'customers' AND data_type IN ('VARCHAR', 'JSON')").fetchall()]
    assert "national_id" not in text_columns
    for column in text_columns:
        leaked = con.execute(f'SELECT count(*) FROM customers c JOIN births b USING (customer_id) '
                             f'WHERE contains(CAST(c."{column}" AS VARCHAR), b.birth_number)'
                             ).fetchall()
        assert leaked == [(0,)], column
    assert con.execute("SELECT DISTINCT typeof(national_id) FROM customers").fetchall() == [
        ("BLOB",)]
    blob = con.execute("SELECT national_id FROM customers WHERE customer_id = '1'").fetchall()[0][0]
    con.close()
    cipher = open_workspace(ws).cipher()
    assert cipher.decrypt([blob], context="customers.national_id") == ["706213"]


def _broken_copy(src: Path, dst: Path) -> dict[str, set[int]]:
    """Copy the Berka files and break a few rows on purpose; return the broken line numbers."""
    shutil.copytree(src, dst)
    trans = next(dst.glob("trans*.asc"))
    lines = trans.read_bytes().split(b"\r\n")
    broken = {"transactions": {11, 101, 1001, 10001}, "holdings": set()}
    lines[10] = lines[10].replace(b'"PRIJEM"', b'"PRIJEMX"').replace(b'"VYDAJ"', b'"VYDAJX"')
    fields = lines[100].split(b";")
    fields[2] = b"931345"
    lines[100] = b";".join(fields)
    fields = lines[1000].split(b";")
    fields[1] = b"99999999"
    lines[1000] = b";".join(fields)
    lines[10000] = lines[10000] + b";extra"
    trans.write_bytes(b"\r\n".join(lines))
    loan = dst / "loan.asc"
    lines = loan.read_bytes().split(b"\r\n")
    lines[5] = lines[5][: lines[5].rindex(b";")] + b';"Z"'
    loan.write_bytes(b"\r\n".join(lines))
    broken["holdings"].add(6)
    return broken


def test_broken_rows_are_quarantined_exactly(tmp_path: Path, berka_dir: Path) -> None:
    data = tmp_path / "berka"
    broken = _broken_copy(berka_dir, data)
    ws = tmp_path / "ws"
    out = cli("ingest", "berka", str(data), "-w", str(ws), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["tables"]["transactions"] == {"loaded": 46993, "quarantined": 4}
    assert report["tables"]["holdings"] == {"loaded": 12544, "quarantined": 1}
    assert all(c["quarantined"] == 0 for t, c in report["tables"].items()
               if t not in ("transactions", "holdings"))
    for table, rows in broken.items():
        q = duckdb.sql(f"SELECT source_file, source_row, field, reason FROM "
                       f"'{ws / 'quarantine' / (table + '.parquet')}' ORDER BY source_row").fetchall()
        assert {r[1] for r in q} == rows
        assert all(Path(r[0]).parent == data for r in q)
    q = {r[0]: (r[1], r[2]) for r in duckdb.sql(
        f"SELECT source_row, field, reason FROM '{ws / 'quarantine' / 'transactions.parquet'}'"
    ).fetchall()}
    assert q[11][0] == "type" and "unknown transaction type" in q[11][1]
    assert q[101] == ("ts", "not a valid timestamp: '1993-13-45'")
    assert q[1001][0] == "account_id" and "99999999" in q[1001][1]
    assert "TOO MANY COLUMNS" in q[10001][1]


def test_strict_rejects_and_publishes_nothing(tmp_path: Path, berka_dir: Path) -> None:
    data = tmp_path / "berka"
    _broken_copy(berka_dir, data)
    ws = tmp_path / "ws"
    out = cli("ingest", "berka", str(data), "-w", str(ws), "--strict")
    assert out.returncode == 3
    assert "5 row(s) rejected" in out.stderr and "quarantine" in out.stderr
    status = json.loads(cli("status", "-w", str(ws), "--json").stdout)
    assert set(status["tables"].values()) == {0}
    assert (ws / "quarantine" / "transactions.parquet").exists()


def test_killed_ingest_leaves_the_previous_state(tmp_path: Path, berka_dir: Path) -> None:
    ws = tmp_path / "ws"
    assert cli("ingest", "berka", str(berka_dir), "-w", str(ws)).returncode == 0
    snapshot = {t: _query(ws, f"SELECT count(*), sum(hash(x)) FROM {t} x") for t in EXPECTED}
    changed = tmp_path / "berka"
    shutil.copytree(berka_dir, changed)
    district = changed / "district.asc"
    district.write_text(district.read_text(encoding="utf-8").replace("Benesov", "Benesov-2"),
                        encoding="utf-8")
    # killed after three tables were written inside the publishing transaction
    out = cli("ingest", "berka", str(changed), "-w", str(ws), env={"PORTRAIT_FAULT": "publish:3"})
    assert out.returncode == -signal.SIGKILL
    assert {t: _query(ws, f"SELECT count(*), sum(hash(x)) FROM {t} x") for t in EXPECTED} == snapshot
    assert _query(ws, "SELECT name FROM districts WHERE district_id = '2'") == [("Benesov",)]
    # and the workspace still works afterwards
    assert cli("ingest", "berka", str(changed), "-w", str(ws)).returncode == 0
    assert _query(ws, "SELECT name FROM districts WHERE district_id = '2'") == [("Benesov-2",)]
