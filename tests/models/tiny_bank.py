"""A tiny hand-made bank for model tests: 80 customers, a few outcomes after T."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from portrait.store import open_engine
from portrait.store.engine import Engine

T = dt.date(2024, 6, 30)
N = 80


def tiny_bank(path: Path) -> Engine:
    """80 customers with a current account and some history before T; a few hand-made
    outcomes after T."""
    eng = open_engine("duckdb", path / "w.duckdb")
    eng.ensure_canonical_tables()
    eng.execute("""INSERT INTO products VALUES
        ('dep', 'Deposit', 'deposit', 'R1', NULL, NULL),
        ('fund', 'Fund', 'fund', 'R3', 1000, NULL),
        ('card', 'Card', 'credit_card', 'R1', NULL, NULL)""")
    rng = np.random.default_rng(0)
    for i in range(N):
        c = f"c{i:02d}"
        eng.execute("INSERT INTO customers (customer_id, gender, birth_date, joined_at) VALUES "
                    "(?, ?, DATE '1980-01-01' + INTERVAL (?) DAY, DATE '2020-01-01')",
                    [c, "FM"[i % 2], int(rng.integers(0, 9000))])
        eng.execute("INSERT INTO accounts (account_id, customer_id, type, opened_at, status) "
                    "VALUES (?, ?, 'current', DATE '2020-01-01', 'active')", [f"A{i:02d}", c])
        eng.execute("INSERT INTO holdings (holding_id, customer_id, product_id, start_at, status) "
                    "VALUES (?, ?, 'dep', DATE '2020-01-01', 'active')", [f"d{i:02d}", c])
        for k in range(int(rng.integers(1, 6))):
            eng.execute("INSERT INTO transactions (txn_id, account_id, customer_id, ts, amount, "
                        "balance_after, channel, kind) VALUES (?, ?, ?, TIMESTAMP '2024-05-01' + "
                        "INTERVAL (?) DAY, 100, ?, 'mobile', 'other_in')",
                        [f"t{i:02d}_{k}", f"A{i:02d}", c, k, 5000 + 100 * k])
    # c00 held the fund at T; c01 buys it inside (T, T+h]; c02 buys it after T+h
    eng.execute("""INSERT INTO holdings (holding_id, customer_id, product_id, start_at, end_at, status)
        VALUES ('f0', 'c00', 'fund', DATE '2024-01-01', NULL, 'active'),
               ('f1', 'c01', 'fund', DATE '2024-07-15', NULL, 'active'),
               ('f2', 'c02', 'fund', DATE '2024-12-01', NULL, 'active'),
               ('f3', 'c03', 'fund', DATE '2023-01-01', DATE '2024-03-01', 'closed')""")
    # c04 closes its only account inside the window; every customer has a txn on the last day
    eng.execute("UPDATE accounts SET closed_at = DATE '2024-08-01', status = 'closed' "
                "WHERE customer_id = 'c04'")
    for i in range(N):
        if i not in (5,):  # c05 goes dormant: no transaction after T, low balance
            eng.execute("INSERT INTO transactions (txn_id, account_id, customer_id, ts, amount, "
                        "balance_after, channel, kind) VALUES (?, ?, ?, TIMESTAMP '2024-12-31 10:00', "
                        "1, 5000, 'mobile', 'other_in')", [f"z{i:02d}", f"A{i:02d}", f"c{i:02d}"])
    eng.execute("UPDATE transactions SET balance_after = 10 WHERE customer_id = 'c05'")
    return eng
