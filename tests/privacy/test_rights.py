"""Data-subject rights on a hand-made bank: see, correct, erase (completely, and only them)."""

from __future__ import annotations

import pytest

from portrait.errors import NotFoundError, UsageError
from portrait.privacy import rights
from portrait.store import Workspace
from tests.privacy.conftest import PEOPLE, SNAPSHOT


def test_see_gathers_every_table_decrypted(bank: Workspace) -> None:
    eng = bank.engine()
    try:
        data = rights.see(eng, bank.cipher(), "C1")
    finally:
        eng.close()
    assert data["customer"]["name"] == "张三"
    assert data["customer"]["phone"] == "13812345678"
    assert "phone_token" not in data["customer"]
    tables = data["tables"]
    assert len(tables["transactions"]) == 3
    assert tables["holdings"][0]["amount"] == 5000.0
    assert tables[SNAPSHOT] == [{"customer_id": "C1", "district_avg_salary": 9500.0, "gender": "M",
                                 "dependents": 2.0, "has_defaulted_loan": True}]
    assert [r["tag"] for r in tables["tag_history"]] == ["gender"]
    assert {r["granted"] for r in tables["consents"]} == {True, False}


def test_correct_pii_reencrypts_and_retokenizes(bank: Workspace) -> None:
    eng, cipher = bank.engine(), bank.cipher()
    try:
        fix = rights.correct(eng, cipher, "C1", "phone", "13999999999")
        assert (fix.before, fix.after, fix.pii) == ("13812345678", "13999999999", True)
        token = eng.query("SELECT phone_token FROM customers WHERE customer_id = 'C1'")[0][0]
        assert token == cipher.token("13999999999")
        plain = rights.correct(eng, cipher, "C1", "dependents", "3")
        assert (plain.before, plain.after) == (1, 3)
        with pytest.raises(UsageError, match="not a valid BIGINT"):
            rights.correct(eng, cipher, "C1", "dependents", "many")
        with pytest.raises(UsageError, match=r"not a field"):
            rights.correct(eng, cipher, "C1", "customer_id", "C9")
        with pytest.raises(NotFoundError):
            rights.correct(eng, cipher, "C404", "city", "x")
    finally:
        eng.close()


def test_erase_removes_the_customer_everywhere_and_nobody_else(bank: Workspace) -> None:
    eng = bank.engine()
    try:
        eng.execute("CREATE SCHEMA staging")
        eng.execute("CREATE TABLE staging.customers AS SELECT customer_id FROM customers")
        before = {t: eng.query(f"SELECT count(*) FROM {s}.{t}")[0][0]
                  for s, t in rights.tables_with_customers(eng)}
        deleted = rights.erase(eng, "C1")
        assert rights.held_anywhere(eng, "C1") == {}
        assert deleted["customers"] == 1 and deleted[SNAPSHOT] == 1
        assert deleted["tag_history"] == 1 and deleted["staging.customers"] == 1
        # C2's use of C1's account goes with the account; C2 keeps everything else
        assert eng.query("SELECT count(*) FROM account_parties WHERE customer_id = 'C2'")[0][0] == 1
        assert eng.query("SELECT count(*) FROM accounts WHERE account_id = 'A-C1'")[0][0] == 0
        after = {t: eng.query(f"SELECT count(*) FROM {s}.{t}")[0][0]
                 for s, t in rights.tables_with_customers(eng)}
        for table in ("customers", "transactions", "events", "holdings", SNAPSHOT):
            assert after[table] == before[table] - before[table] // len(PEOPLE), table
        with pytest.raises(NotFoundError):
            rights.see(eng, bank.cipher(), "C1")
        with pytest.raises(NotFoundError):
            rights.erase(eng, "C1")
    finally:
        eng.close()
