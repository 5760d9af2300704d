"""Day-to-day money movements: purchases, transfers, cash, card repayments, sweeps.

How often a customer spends follows their activity with the bank, income and app
habits; what they buy follows their age (young: dining and online shopping; old:
groceries and pharmacies); when follows the shopping calendar (Spring Festival,
618, Double 11, weekends). Transfers between people surge with the red envelopes of
Spring Festival. Older, less digital customers still use cash. A wedding brings a
burst of large purchases. A churner's activity fades out before they leave.

Card purchases are few: most everyday spending in China goes through Alipay and WeChat
Pay, which shows up here as transfers to those platforms. Credit-card purchases are
repaid in full from the current account on the 5th of the next month, so both
accounts' balances stay consistent. Savings that pile up are swept elsewhere.
"""

from __future__ import annotations

import numpy as np

from portrait.ingest.synth.accounts import Books
from portrait.ingest.synth.activity import (
    HOURS_OFFICE,
    HOURS_SHOPPING,
    clock,
    live_span,
    occurrences,
)
from portrait.ingest.synth.cashflows import CHANNEL, KIND, Flows
from portrait.ingest.synth.counterparties import SPENDING, SPENDING_BY_AGE
from portrait.ingest.synth.draws import (
    FloatArray,
    IntArray,
    chance,
    conditional,
    lognormal,
    uniform_int,
)
from portrait.ingest.synth.population import FARMER, SELF_EMPLOYED, STUDENT, Population
from portrait.ingest.synth.seasons import (
    SECONDS_PER_DAY,
    day_in_month,
    month_index,
)
from portrait.ingest.synth.world import World

SPEND_MEDIANS = np.array([median for _, median, _ in SPENDING])
ONLINE = [name for name, _, _ in SPENDING].index("online")
#: Categories of the big purchases around a wedding (travel, electronics).
WEDDING = np.array([[name for name, _, _ in SPENDING].index(n) for n in ("travel", "electronics")])
#: Purchases per month of a typical customer (activity 1, average wage, average app use).
PURCHASES_PER_MONTH = 0.22
TRANSFERS_OUT_PER_MONTH = 0.08
TRANSFERS_IN_PER_MONTH = 0.04
CASH_PER_MONTH = 0.12


def spending_flows(rng: np.random.Generator, world: World, pop: Population, books: Books,
                   flows: Flows) -> tuple[IntArray, IntArray]:
    """Add purchases, transfers, cash and card repayments to ``flows``.

    Returns:
        Customer and time (seconds) of each ATM withdrawal, which also shows up as an
        ATM event.
    """
    cp = world.counterparties
    lo, hi = live_span(world, pop)
    lo = np.where(pop.active, lo, hi)
    pay = np.clip(pop.wage / 8_000, 0.2, 5.0)
    digital = pop.digital

    # Purchases, on the credit card when the customer has one, else the debit card.
    rate = PURCHASES_PER_MONTH * pop.activity * pay ** 0.25 * (0.6 + 0.8 * digital)
    c, day = occurrences(rng, world.spending_days, pop, rate, lo, hi)
    category = conditional(rng, SPENDING_BY_AGE, np.digitize(pop.age[c], (35, 60)))
    wed = np.flatnonzero((pop.marriage_day < hi) & (pop.marriage_day >= lo) & pop.active)
    wc = np.repeat(wed, 4)
    wday = np.clip(pop.marriage_day[wc] + rng.integers(-45, 15, len(wc)), lo[wc], hi[wc] - 1)
    c = np.concatenate([c, wc])
    day = np.concatenate([day, wday])
    category = np.concatenate([category, WEDDING[rng.integers(0, len(WEDDING), len(wc))]])
    span = np.array([cp.spending[k] for k in range(len(SPENDING))])
    merchant = uniform_int(rng, span[category, 0], span[category, 1])
    scale = np.where(np.arange(len(c)) >= len(c) - len(wc), 3.0, 1.0)
    amount = np.round(lognormal(rng, SPEND_MEDIANS[category] * pay[c] ** 0.4 * scale, 0.7), 2)
    amount = np.maximum(amount, 1.0)
    card = books.card[c]
    a = books.accounts
    usable = (card >= 0) & (day >= a.opened[card]) & (day < a.closed[card])
    on_card = usable & chance(rng, 0.65, len(c))
    online = category == ONLINE
    channel = np.where(online, np.where(chance(rng, 0.3, len(c)), CHANNEL["web"], CHANNEL["mobile"]),
                       np.where(chance(rng, 0.2 + 0.6 * digital[c]), CHANNEL["mobile"],
                                CHANNEL["pos"]))
    seconds = clock(rng, len(c), HOURS_SHOPPING)
    flows.add(np.where(on_card, card, books.current[c]), day, seconds, -amount, channel,
              KIND["card_purchase"], merchant)
    _repayments(world, books, flows, card[on_card], c[on_card], day[on_card],
                np.round(amount[on_card] * 100).astype(np.int64), hi)

    # Transfers between people and to payment platforms; red envelopes at Spring Festival.
    rate = TRANSFERS_OUT_PER_MONTH * pop.activity * (0.5 + digital)
    c, day = occurrences(rng, world.gift_days, pop, rate, lo, hi)
    to = np.where(chance(rng, 0.55, len(c)), uniform_int(rng, *_range(cp.platforms, len(c))),
                  uniform_int(rng, *_range(cp.banks, len(c))))
    flows.add(books.current[c], day, clock(rng, len(c), HOURS_SHOPPING),
              -np.round(lognormal(rng, pop.wage[c] * 0.12, 1.0), 2), _remote(rng, digital[c]),
              KIND["transfer_out"], to)
    earns_elsewhere = (~pop.salary_here & (pop.retire_day > world.window.end)
                       & (pop.occupation != STUDENT))
    rate = pop.activity * (TRANSFERS_IN_PER_MONTH + 0.15 * earns_elsewhere)
    c, day = occurrences(rng, world.gift_days, pop, rate, lo, hi)
    size = np.where(earns_elsewhere[c], pop.wage[c] * 0.9, pop.wage[c] * 0.2)
    flows.add(books.current[c], day, clock(rng, len(c), HOURS_SHOPPING),
              np.round(lognormal(rng, size, 0.6), 2), _remote(rng, digital[c]),
              KIND["transfer_in"], uniform_int(rng, *_range(cp.banks, len(c))))

    # Cash: withdrawals at ATMs or the counter, deposits by the self-employed and farmers.
    rate = CASH_PER_MONTH * pop.activity * (1.2 - digital)
    c, day = occurrences(rng, world.flat_days, pop, rate, lo, hi)
    atm = chance(rng, 0.75, len(c))
    seconds = np.where(atm, clock(rng, len(c), HOURS_SHOPPING), clock(rng, len(c), HOURS_OFFICE))
    amount = np.maximum(100, np.round(lognormal(rng, 800 * pay[c] ** 0.5, 0.7), -2))
    flows.add(books.current[c], day, seconds, -amount,
              np.where(atm, CHANNEL["atm"], CHANNEL["branch"]),
              np.where(atm, KIND["card_withdrawal"], KIND["cash_out"]),
              np.where(atm, cp.own["atm"], cp.own["counter"]))
    atm_cust, atm_ts = c[atm], day[atm] * SECONDS_PER_DAY + seconds[atm]
    cash_earner = np.isin(pop.occupation, (FARMER, SELF_EMPLOYED))
    rate = pop.activity * (0.02 + 0.2 * cash_earner)
    c, day = occurrences(rng, world.flat_days, pop, rate, lo, hi)
    flows.add(books.current[c], day, clock(rng, len(c), HOURS_OFFICE),
              np.maximum(100, np.round(lognormal(rng, pop.wage[c] * 0.6, 0.6), -2)),
              CHANNEL["branch"], KIND["cash_in"], cp.own["counter"])
    return atm_cust, atm_ts


def surplus_sweeps(rng: np.random.Generator, world: World, pop: Population, books: Books,
                   flows: Flows) -> None:
    """Move savings that pile up on current accounts elsewhere.

    Income that is not spent accumulates; whenever a customer's accumulated surplus
    crosses another four months of income, at the end of that month they move it out
    (to another bank, a payment platform's money fund or a broker), so balances track
    the customer's means rather than growing without end.
    """
    owners = np.flatnonzero(books.current >= 0)
    if not len(owners):
        return
    slot = np.full(books.accounts.size, -1, dtype=np.int64)
    slot[books.current[owners]] = np.arange(len(owners))
    row = slot[np.concatenate(flows.acct)]
    mine = row >= 0
    months = world.window.months
    month = month_index(np.concatenate(flows.ts)[mine] // SECONDS_PER_DAY) - months[0]
    net = np.bincount(row[mine] * len(months) + month,
                      weights=np.concatenate(flows.cents)[mine].astype(np.float64),
                      minlength=len(owners) * len(months)).reshape(len(owners), len(months))
    step = np.maximum(4 * pop.income(world.window.end)[owners], 4_000.0) * 100
    level = np.maximum.accumulate(np.floor(np.maximum(np.cumsum(net, axis=1), 0) / step[:, None]),
                                  axis=1)
    jump = np.diff(level, axis=1, prepend=0.0)
    r, m = np.nonzero(jump > 0)
    c = owners[r]
    lo, hi = live_span(world, pop)
    day = np.clip(day_in_month(months[m], 26 + rng.integers(0, 3, len(r))), lo[c], hi[c] - 1)
    cp = world.counterparties
    kind = rng.integers(0, 3, len(r))
    to = np.select([kind == 0, kind == 1],
                   [uniform_int(rng, *_range(cp.platforms, len(r))),
                    uniform_int(rng, *_range(cp.banks, len(r)))],
                   uniform_int(rng, *_range(cp.brokers, len(r))))
    flows.add(books.current[c], day, clock(rng, len(r), HOURS_SHOPPING),
              -np.round(jump[r, m] * step[r]).astype(np.int64), _remote(rng, pop.digital[c]),
              KIND["transfer_out"], to, cents=True)


def _range(bounds: tuple[int, int], n: int) -> tuple[IntArray, IntArray]:
    return np.full(n, bounds[0], dtype=np.int64), np.full(n, bounds[1], dtype=np.int64)


def _remote(rng: np.random.Generator, digital: FloatArray) -> IntArray:
    """Mobile, web or branch, by how digital the customer is."""
    u = rng.random(len(digital))
    p_mobile = 0.1 + 0.8 * digital
    out: IntArray = np.where(u < p_mobile, CHANNEL["mobile"],
                             np.where(u < p_mobile + 0.08, CHANNEL["web"], CHANNEL["branch"]))
    return out


def _repayments(world: World, books: Books, flows: Flows, card: IntArray, cust: IntArray,
                day: IntArray, cents: IntArray, hi: IntArray) -> None:
    """Repay each card's monthly spending on the 5th of the next month (or on the customer's
    last day, for a churner), moving the money from the current account to the card."""
    if not len(card):
        return
    month = month_index(day)
    key = card * 4096 + (month - month.min())
    keys, group = np.unique(key, return_inverse=True)
    total = np.bincount(group, weights=cents).astype(np.int64)
    owner = np.zeros(len(keys), dtype=np.int64)
    owner[group] = cust
    card_of = keys // 4096
    due = day_in_month(keys % 4096 + month.min() + 1, np.full(len(keys), 5))
    due = np.minimum(due, hi[owner] - 1)
    keep = due <= world.window.end
    card_of, owner, due, total = card_of[keep], owner[keep], due[keep], total[keep]
    seconds = np.full(len(due), 23 * 3600 + 59 * 60)
    cp = world.counterparties
    flows.add(card_of, due, seconds, total, CHANNEL["other"], KIND["transfer_in"],
              cp.own["card_repayment_in"], cents=True)
    flows.add(books.current[owner], due, seconds, -total, CHANNEL["other"], KIND["transfer_out"],
              cp.own["card_repayment"], cents=True)
