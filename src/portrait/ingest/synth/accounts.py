"""Accounts and who may use them, opened for the products customers hold.

Each active customer has one current account, on which their deposit, debit card
and payment services are booked. Time deposits, policies, loans, credit cards and
private pensions each get an account of their own; wealth products share one wealth
account per customer, funds and bonds one fund account. Some customers keep a second
savings account they rarely use (often dormant). A few accounts have an authorised
user besides the owner: a spouse on a current account, a family member on a card.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from portrait.ingest.synth import columns as col
from portrait.ingest.synth.draws import (
    BoolArray,
    FloatArray,
    IntArray,
    chance,
    uniform_int,
)
from portrait.ingest.synth.holdings import CATEGORY, Holdings
from portrait.ingest.synth.population import MARRIED, Population
from portrait.ingest.synth.seasons import NEVER
from portrait.ingest.synth.world import World
from portrait.schema import enums
from portrait.schema.tables import ACCOUNT_PARTIES, ACCOUNTS

TYPE = {name: i for i, name in enumerate(enums.ACCOUNT_TYPES)}
ACTIVE, DORMANT, CLOSED = (enums.ACCOUNT_STATUSES.index(s) for s in ("active", "dormant", "closed"))
#: Account type each product category is booked on; ``current`` = the current account.
BOOKED_ON: dict[str, str] = {
    "deposit": "current", "debit_card": "current", "payment_service": "current",
    "time_deposit": "time_deposit", "insurance": "insurance", "loan": "loan",
    "mortgage": "loan", "credit_card": "credit_card", "pension": "savings",
    "wealth": "wealth", "fund": "fund", "bond": "fund",
}
#: Account types shared by all of a customer's holdings of that kind.
SHARED = ("wealth", "fund")


@dataclass
class Accounts:
    cust: IntArray
    type: IntArray
    opened: IntArray
    closed: IntArray  # NEVER = open
    status: IntArray
    credit_limit: FloatArray  # NaN unless a credit card

    @property
    def size(self) -> int:
        return len(self.cust)

    def take(self, order: IntArray) -> Accounts:
        return Accounts(*(getattr(self, f)[order] for f in self.__dataclass_fields__))


@dataclass
class Books:
    """A chunk's accounts and holdings, with the lookups the cash flows need."""

    accounts: Accounts
    holdings: Holdings
    current: IntArray  # per customer: their current account, -1 for none
    card: IntArray  # per customer: their first credit card account, -1 for none
    user_account: IntArray  # authorised users: the account …
    user_cust: IntArray  # … and the customer allowed to use it
    hidden: BoolArray  # accounts left without owner row, transactions or holdings

    def spare_savings(self) -> IntArray:
        """Second savings accounts: nothing refers to them but their owner row."""
        a = self.accounts
        used = np.zeros(a.size, dtype=bool)
        used[self.holdings.account] = True
        used[self.user_account] = True
        out: IntArray = np.flatnonzero((a.type == TYPE["savings"]) & ~used)
        return out


def open_books(rng: np.random.Generator, world: World, pop: Population, h: Holdings) -> Books:
    """Open the accounts a chunk's holdings need and book each holding on one."""
    win = world.window
    active = np.flatnonzero(pop.active)
    churn = pop.churn_day
    gone = np.where(churn <= win.end, churn, NEVER)
    category = np.array([CATEGORY[p.category] for p in world.catalog.products])
    by_category = np.array([TYPE[BOOKED_ON[c]] for c in enums.PRODUCT_CATEGORIES])
    h_type = by_category[category[h.product]]

    # Current accounts, one per customer.
    cust = [active]
    kind = [np.full(len(active), TYPE["current"])]
    opened = [pop.joined[active]]
    closed = [gone[active]]
    # One account per holding of the kinds that need their own.
    own = np.flatnonzero((h_type != TYPE["current"]) & ~np.isin(h_type, [TYPE[s] for s in SHARED]))
    cust.append(h.cust[own])
    kind.append(h_type[own])
    opened.append(h.start[own])
    closed.append(np.where(h.end <= win.end, h.end, NEVER)[own])
    # One shared account per customer and kind, open from the first holding on it.
    shared = np.flatnonzero(np.isin(h_type, [TYPE[s] for s in SHARED]))
    key = h.cust[shared] * 16 + h_type[shared]
    keys, first = np.unique(key, return_inverse=True)
    first_start = np.full(len(keys), NEVER, dtype=np.int64)
    np.minimum.at(first_start, first, h.start[shared])
    cust.append(keys // 16)
    kind.append(keys % 16)
    opened.append(first_start)
    closed.append(gone[keys // 16])
    # Spare savings accounts.
    spare = active[chance(rng, 0.2, len(active))]
    spare_open = uniform_int(rng, pop.joined[spare], np.minimum(win.end + 1, churn[spare]))
    cust.append(spare)
    kind.append(np.full(len(spare), TYPE["savings"]))
    opened.append(spare_open)
    closed.append(gone[spare])

    n_current, n_own = len(active), len(own)
    accounts = Accounts(
        np.concatenate(cust), np.concatenate(kind).astype(np.int64), np.concatenate(opened),
        np.concatenate(closed), np.zeros(0, np.int64), np.zeros(0))
    account_of = np.empty(h.size, dtype=np.int64)
    current = np.full(pop.size, -1, dtype=np.int64)
    current[active] = np.arange(n_current)
    on_current = h_type == TYPE["current"]
    account_of[on_current] = current[h.cust[on_current]]
    account_of[own] = n_current + np.arange(n_own)
    account_of[shared] = n_current + n_own + first

    limit = np.full(accounts.size, np.nan)
    cards = own[h.category(world, "credit_card")[own]]
    limit[account_of[cards]] = h.amount[cards]
    accounts.credit_limit = limit
    quiet = (pop.activity <= 0.05) & ~pop.salary_here & ~pop.pension_here
    idle = np.zeros(accounts.size, dtype=bool)
    idle[:n_current] = quiet[active] & (pop.joined[active] < win.end - 365)
    spare_rows = np.arange(accounts.size - len(spare), accounts.size)
    idle[spare_rows] = (spare_open < win.end - 365) & chance(rng, 0.6, len(spare))
    accounts.status = np.select([accounts.closed <= win.end, idle], [CLOSED, DORMANT], ACTIVE)

    order = np.lexsort((accounts.type, accounts.opened, accounts.cust))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    accounts = accounts.take(order)
    h.account = rank[account_of]
    current[active] = rank[current[active]]
    card = np.full(pop.size, -1, dtype=np.int64)
    card_rows = np.flatnonzero(accounts.type == TYPE["credit_card"])[::-1]
    card[accounts.cust[card_rows]] = card_rows  # reversed, so the first card wins

    user_account, user_cust = _users(rng, pop, accounts, active)
    return Books(accounts, h, current, card, user_account, user_cust,
                 np.zeros(accounts.size, dtype=bool))


def _users(rng: np.random.Generator, pop: Population, accounts: Accounts,
           active: IntArray) -> tuple[IntArray, IntArray]:
    """Authorised users: spouses on some current accounts, family on some credit cards."""
    if len(active) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    married = pop.marital[accounts.cust] == MARRIED
    p = np.where((accounts.type == TYPE["current"]) & married, 0.03,
                 np.where(accounts.type == TYPE["credit_card"], 0.06, 0.0))
    shared = np.flatnonzero(chance(rng, p) & (accounts.status != CLOSED))
    other = active[rng.integers(0, len(active), len(shared))]
    clash = other == accounts.cust[shared]
    other[clash] = active[(np.searchsorted(active, other[clash]) + 1) % len(active)]
    return shared, other


def account_ids(chunk: int, n: int) -> pa.Array:
    """``A`` + chunk + 8-digit serial."""
    return col.serial_ids("A", chunk, n, 8)


def accounts_table(world: World, pop: Population, books: Books, ids: pa.Array,
                   customer_ids: pa.Array) -> pa.Table:
    """The ``accounts`` rows (credit cards carry their limit as JSON)."""
    a = books.accounts
    card = ~np.isnan(a.credit_limit)
    limit = col.money(np.round(np.nan_to_num(a.credit_limit) * 100).astype(np.int64))
    return col.frame(ACCOUNTS, {
        "account_id": ids,
        "customer_id": pc.take(customer_ids, a.cust),
        "type": col.labels(col.text(enums.ACCOUNT_TYPES), a.type),
        "opened_at": col.dates(a.opened),
        "closed_at": col.dates(a.closed, missing=a.closed >= NEVER),
        "status": col.labels(col.text(enums.ACCOUNT_STATUSES), a.status),
        "district_id": pc.take(world.geography.ids(), pop.city[a.cust]),
        "currency": col.labels(col.text(["CNY"]), np.zeros(a.size, dtype=np.int64)),
        "attributes": col.json_objects({"credit_limit": limit}, missing=~card),
    }, a.size)


def parties_table(books: Books, ids: pa.Array, customer_ids: pa.Array) -> pa.Table:
    """The ``account_parties`` rows: each account's owner, then its authorised users."""
    owners = np.flatnonzero(~books.hidden)
    account = np.concatenate([owners, books.user_account])
    cust = np.concatenate([books.accounts.cust[owners], books.user_cust])
    role = np.concatenate([np.zeros(len(owners), np.int64),
                           np.ones(len(books.user_account), np.int64)])
    order = np.argsort(account, kind="stable")
    return col.frame(ACCOUNT_PARTIES, {
        "account_id": pc.take(ids, account[order]),
        "customer_id": pc.take(customer_ids, cust[order]),
        "role": col.labels(col.text(enums.ACCOUNT_ROLES), role[order]),
    }, len(account))
