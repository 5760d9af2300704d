"""Posting the flows: order them per account, compute balances, write transactions.

Balances are running sums in integer fen per account. A current account opened before
the window starts with an opening balance large enough that it never goes negative
and ends near the customer's liquid savings; one opened inside the window receives
that opening balance as its first deposit. When a churner leaves, the last movement
empties the account. Credit-card balances start at zero and are negative while
purchases are unpaid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from portrait.ingest.synth import columns as col
from portrait.ingest.synth.accounts import TYPE, Books
from portrait.ingest.synth.cashflows import Flows
from portrait.ingest.synth.draws import BoolArray, FloatArray, IntArray, sort_order
from portrait.ingest.synth.seasons import SECONDS_PER_DAY
from portrait.ingest.synth.world import World
from portrait.schema import enums
from portrait.schema.tables import TRANSACTIONS


@dataclass
class Ledger:
    """A chunk's transactions and what other tables need from them."""

    table: pa.Table
    final_cents: IntArray  # per account: balance at the end (0 without movements)
    first_day: int | None
    last_day: int | None


def post(rng: np.random.Generator, world: World, books: Books, flows: Flows,
         is_open: BoolArray, is_close: BoolArray, liquid: FloatArray, chunk: int,
         customer_ids: pa.Array, account_ids: pa.Array) -> Ledger:
    """Sort the flows, compute balances and build the ``transactions`` rows."""
    acct = np.concatenate(flows.acct)
    ts = np.concatenate(flows.ts)
    order = sort_order(acct, ts - world.window.start * SECONDS_PER_DAY)
    acct, ts = acct[order], ts[order]
    cents = np.concatenate(flows.cents)[order]
    is_open, is_close = is_open[order], is_close[order]
    n = len(acct)
    n_accounts = books.accounts.size

    starts = np.flatnonzero(np.r_[True, acct[1:] != acct[:-1]]) if n else np.zeros(0, np.int64)
    lengths = np.diff(np.r_[starts, n])
    segment = np.repeat(np.arange(len(starts)), lengths)
    cum = np.cumsum(cents)
    running = cum - (cum[starts] - cents[starts])[segment]

    seg_acct = acct[starts]
    deposit_like = np.isin(books.accounts.type[seg_acct], (TYPE["current"], TYPE["savings"]))
    lowest = np.minimum.reduceat(running, starts) if n else np.zeros(0, np.int64)
    net = running[np.r_[starts[1:], n] - 1] if n else np.zeros(0, np.int64)
    target = np.round(liquid[books.accounts.cust[seg_acct]] * 100).astype(np.int64)
    cushion = rng.integers(0, 50_000, len(starts))  # up to 500 yuan above the lowest point
    opening = np.where(deposit_like, np.maximum(np.maximum(-lowest, 0) + cushion, target - net), 0)

    balance = opening[segment] + running
    cents = np.where(is_open, opening[segment], cents)
    cents = np.where(is_close, -balance, cents)
    balance = np.where(is_close, 0, balance)
    keep = cents != 0
    final = np.zeros(n_accounts, dtype=np.int64)
    final[seg_acct] = balance[np.r_[starts[1:], n] - 1] if n else final[seg_acct]

    channel = np.concatenate(flows.channel)[order][keep]
    kind = np.concatenate(flows.kind)[order][keep]
    counterparty = np.concatenate(flows.counterparty)[order][keep]
    acct, ts, cents, balance = acct[keep], ts[keep], cents[keep], balance[keep]
    m = len(acct)
    table = col.frame(TRANSACTIONS, {
        "txn_id": col.serial_ids("T", chunk, m, 9),
        "account_id": pc.take(account_ids, acct),
        "customer_id": pc.take(customer_ids, books.accounts.cust[acct]),
        "ts": col.timestamps(ts),
        "amount": col.money(cents),
        "balance_after": col.money(balance),
        "channel": col.labels(col.text(enums.TRANSACTION_CHANNELS), channel),
        "kind": col.labels(col.text(enums.TRANSACTION_KINDS), kind),
        "counterparty": col.labels(world.counterparties.vocabulary(), counterparty),
    }, m)
    days = ts // SECONDS_PER_DAY
    return Ledger(table, final, int(days.min()) if m else None, int(days.max()) if m else None)
