"""Scheduled money movements: what arrives or leaves on a known day.

Salaries arrive on the employer's pay day each month (moved back to Friday when it
falls on a weekend), with a year-end bonus before Spring Festival; pensions arrive on
the city's pension day once a customer has retired; loans are repaid monthly, policies
annually, utility bills monthly (higher in winter and summer); investments are bought
when a holding starts and paid back, with their return, when it ends; interest is
credited quarterly on the 21st of the last month, as Chinese banks do.

Every flow is collected in :class:`Flows` as parallel arrays, sorted and turned into
balances by :mod:`portrait.ingest.synth.ledger`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from portrait.ingest.synth.accounts import Books
from portrait.ingest.synth.activity import (
    HOURS_NIGHT,
    HOURS_OFFICE,
    HOURS_PAYROLL,
    HOURS_SHOPPING,
    clock,
    live_span,
    moved_away,
)
from portrait.ingest.synth.draws import BoolArray, FloatArray, IntArray, chance
from portrait.ingest.synth.holdings import HOLDING
from portrait.ingest.synth.population import Population
from portrait.ingest.synth.seasons import (
    NEVER,
    SECONDS_PER_DAY,
    add_years,
    calendar_month,
    day_in_month,
    month_index,
    month_start,
    previous_workday,
    year_of,
)
from portrait.ingest.synth.world import World
from portrait.schema import enums

CHANNEL = {name: i for i, name in enumerate(enums.TRANSACTION_CHANNELS)}
KIND = {name: i for i, name in enumerate(enums.TRANSACTION_KINDS)}
#: Expected yearly return of funds by risk grade, and its volatility.
FUND_RETURN = np.array([0.018, 0.03, 0.045, 0.06, 0.07])
FUND_VOLATILITY = np.array([0.003, 0.02, 0.08, 0.2, 0.28])
UTILITY_SEASON = np.array([0, 1.7, 1.6, 1.2, 1.0, 0.9, 1.0, 1.5, 1.6, 1.1, 0.9, 1.0, 1.5])


@dataclass
class Flows:
    """Transactions before sorting: account, time, signed amount in fen, codes."""

    acct: list[IntArray] = field(default_factory=list)
    ts: list[IntArray] = field(default_factory=list)
    cents: list[IntArray] = field(default_factory=list)
    channel: list[IntArray] = field(default_factory=list)
    kind: list[IntArray] = field(default_factory=list)
    counterparty: list[IntArray] = field(default_factory=list)

    def add(self, acct: IntArray, day: IntArray, seconds: IntArray, amount: FloatArray | IntArray,
            channel: IntArray | int, kind: IntArray | int, counterparty: IntArray | int,
            *, cents: bool = False) -> None:
        """Add movements; ``amount`` in yuan (signed) unless ``cents``."""
        n = len(acct)
        self.acct.append(acct.astype(np.int64))
        self.ts.append(day * SECONDS_PER_DAY + seconds)
        fen = amount if cents else np.round(np.asarray(amount) * 100)
        self.cents.append(np.broadcast_to(fen, n).astype(np.int64))
        self.channel.append(np.broadcast_to(channel, n).astype(np.int64))
        self.kind.append(np.broadcast_to(kind, n).astype(np.int64))
        self.counterparty.append(np.broadcast_to(counterparty, n).astype(np.int64))


def monthly(world: World, owner: IntArray, day_of_month: IntArray, lo: IntArray,
            hi: IntArray) -> tuple[IntArray, IntArray]:
    """Each owner's day ``day_of_month`` of every window month that falls in ``[lo, hi)``.

    Returns the position in ``owner`` of each occurrence and its day.
    """
    months = world.window.months
    row = np.repeat(np.arange(len(owner)), len(months))
    day = day_in_month(np.tile(months, len(owner)), day_of_month[row])
    keep = (day >= lo[row]) & (day < hi[row]) & (day >= world.window.start)
    return row[keep], day[keep]


def yearly(world: World, start: IntArray, lo: IntArray, hi: IntArray
           ) -> tuple[IntArray, IntArray]:
    """Anniversaries of ``start`` (including itself) that fall in ``[lo, hi)``."""
    years = world.options.history_years + 2
    first_year = year_of(np.array([world.window.start]))[0] - 1
    skip = np.maximum(first_year - year_of(start), 0)
    row = np.repeat(np.arange(len(start)), years)
    day = add_years(start[row], skip[row] + np.tile(np.arange(years), len(start)))
    keep = (day >= lo[row]) & (day < hi[row]) & (day >= world.window.start)
    return row[keep], day[keep]


def income_flows(rng: np.random.Generator, world: World, pop: Population, books: Books,
                 flows: Flows) -> None:
    """Salaries (with year-end bonuses) and pensions into current accounts."""
    win, cp = world.window, world.counterparties
    lo, hi = live_span(world, pop)
    growth_year = year_of(np.array([win.start]))[0]

    earners = np.flatnonzero(pop.active & pop.salary_here)
    stop = np.minimum(moved_away(pop, hi), pop.retire_day)[earners]
    row, day = monthly(world, earners, pop.salary_day[earners], lo[earners], stop)
    day = previous_workday(day)
    paid = day >= lo[earners[row]]  # not moved back before the account existed
    row, day = row[paid], day[paid]
    c = earners[row]
    raise_ = 1.03 ** (year_of(day) - growth_year)
    amount = pop.wage[c] * raise_ * rng.normal(1.0, 0.03, len(c))
    flows.add(books.current[c], day, clock(rng, len(c), HOURS_PAYROLL), amount,
              CHANNEL["other"], KIND["salary"], pop.employer[c])
    bonus = (calendar_month(day) == 1) & chance(rng, 0.5, len(c))
    b = np.flatnonzero(bonus)
    flows.add(books.current[c[b]], day[b], clock(rng, len(b), HOURS_PAYROLL),
              amount[b] * rng.uniform(0.5, 3.0, len(b)), CHANNEL["other"], KIND["salary"],
              pop.employer[c[b]])

    retirees = np.flatnonzero(pop.active & pop.pension_here)
    pension_day = world.geography.pension_days()[pop.city[retirees]]
    first = np.maximum(lo[retirees], pop.retire_day[retirees] + 28)
    row, day = monthly(world, retirees, pension_day, first, moved_away(pop, hi)[retirees])
    c = retirees[row]
    amount = pop.pension[c] * 1.03 ** (year_of(day) - growth_year)
    body = cp.city_body("social_security", pop.city[c])
    flows.add(books.current[c], day, clock(rng, len(c), HOURS_PAYROLL), amount,
              CHANNEL["other"], KIND["pension"], body)


def obligation_flows(rng: np.random.Generator, world: World, pop: Population, books: Books,
                     flows: Flows) -> None:
    """Loan instalments, insurance premiums, pension contributions and utility bills."""
    win, cp, h = world.window, world.counterparties, books.holdings
    lo, hi = live_span(world, pop)
    own = world.catalog

    loans = np.flatnonzero(h.category(world, "loan", "mortgage"))
    stop = np.minimum(hi[h.cust[loans]], h.end[loans])
    arrears = h.status[loans] == HOLDING["in_arrears"]
    default = h.status[loans] == HOLDING["defaulted"]
    stop = np.where(arrears, win.end - rng.integers(35, 100, len(loans)), stop)
    stop = np.where(default, win.end - rng.integers(180, 360, len(loans)), stop)
    dom = h.start[loans] - month_start(month_index(h.start[loans])) + 1
    row, day = monthly(world, loans, dom, np.maximum(lo[h.cust[loans]], h.start[loans] + 20),
                       stop)
    k = loans[row]
    flows.add(books.current[h.cust[k]], day, clock(rng, len(k), HOURS_NIGHT), -h.periodic[k],
              CHANNEL["system"], KIND["loan_payment"], cp.own["loan"])
    cash_loans = loans[~h.category(world, "mortgage")[loans]]
    paid_out = cash_loans[(h.start[cash_loans] >= lo[h.cust[cash_loans]])
                          & (h.start[cash_loans] < hi[h.cust[cash_loans]])]
    flows.add(books.current[h.cust[paid_out]], h.start[paid_out],
              clock(rng, len(paid_out), HOURS_OFFICE), h.amount[paid_out], CHANNEL["other"],
              KIND["loan_disbursement"], cp.own["loan"])

    policies = np.flatnonzero(h.category(world, "insurance"))
    row, day = yearly(world, h.start[policies], lo[h.cust[policies]],
                      np.minimum(hi[h.cust[policies]], h.end[policies]))
    k = policies[row]
    insurer = cp.insurers[0] + k % (cp.insurers[1] - cp.insurers[0])
    flows.add(books.current[h.cust[k]], day, clock(rng, len(k), HOURS_NIGHT), -h.periodic[k],
              CHANNEL["system"], KIND["insurance_payment"], insurer)

    pensions = np.flatnonzero(h.product == own.index("PEN_PRIVATE"))
    row, day = yearly(world, h.start[pensions], lo[h.cust[pensions]],
                      np.minimum(hi[h.cust[pensions]], h.end[pensions]))
    k = pensions[row]
    flows.add(books.current[h.cust[k]], day, clock(rng, len(k), HOURS_SHOPPING), -h.periodic[k],
              CHANNEL["mobile"], KIND["investment_buy"], cp.own["pension"])

    bills = np.flatnonzero(h.product == own.index("PAY_UTILITY"))
    bill_day = 15 + h.cust[bills] % 10
    row, day = monthly(world, bills, bill_day, np.maximum(lo[h.cust[bills]], h.start[bills]),
                       np.minimum(moved_away(pop, hi)[h.cust[bills]], h.end[bills]))
    k = bills[row]
    c = h.cust[k]
    utility = rng.integers(0, 3, len(k))  # power, water or gas
    body = np.choose(utility, [cp.city_body(u, pop.city[c]) for u in ("power", "water", "gas")])
    amount = (np.array([180.0, 60.0, 90.0])[utility] * UTILITY_SEASON[calendar_month(day)]
              * rng.lognormal(0.0, 0.3, len(k)) * (1 + 0.25 * np.minimum(pop.dependents[c], 4)))
    flows.add(books.current[c], day, clock(rng, len(k), HOURS_NIGHT), -amount,
              CHANNEL["other"], KIND["household"], body)


def investment_flows(rng: np.random.Generator, world: World, pop: Population, books: Books,
                     flows: Flows) -> None:
    """Buying and redeeming deposits, wealth products, funds and bonds; fund plans."""
    cp, h = world.counterparties, books.holdings
    lo, hi = live_span(world, pop)
    grade = world.catalog.grades()[h.product]
    digital = pop.digital[h.cust]
    channel = np.where(rng.random(h.size) < 0.15 + 0.8 * digital, CHANNEL["mobile"],
                       CHANNEL["branch"])
    deposit = h.category(world, "time_deposit")
    invested = deposit | h.category(world, "wealth", "fund", "bond")
    counterparty = np.select([deposit, h.category(world, "wealth"), h.category(world, "fund")],
                             [cp.own["to_time_deposit"], cp.own["wealth"], cp.own["fund"]],
                             cp.own["bond"])
    buy = np.flatnonzero(invested & (h.start >= lo[h.cust]) & (h.start < hi[h.cust]))
    flows.add(books.current[h.cust[buy]], h.start[buy], clock(rng, len(buy), HOURS_OFFICE),
              -h.amount[buy], channel[buy],
              np.where(deposit[buy], KIND["transfer_out"], KIND["investment_buy"]),
              counterparty[buy])

    ends = invested & (h.end >= lo[h.cust]) & (h.end < hi[h.cust]) & (h.end < NEVER)
    sell = np.flatnonzero(ends)
    years = (h.end[sell] - h.start[sell]) / 365.25
    rate = world.catalog.rates()[h.product[sell]] / 100
    fund = h.category(world, "fund")[sell]
    fund_return = rng.normal(FUND_RETURN[grade[sell]], FUND_VOLATILITY[grade[sell]])
    growth = np.where(fund, np.maximum(-0.6, fund_return * years), rate * years)
    growth = np.where(h.category(world, "wealth")[sell],
                      growth * rng.normal(1.0, 0.15, len(sell)), growth)
    proceeds = h.amount[sell] * (1 + growth)
    is_deposit = deposit[sell]
    flows.add(books.current[h.cust[sell]], h.end[sell], clock(rng, len(sell), HOURS_NIGHT),
              proceeds, np.where(is_deposit, CHANNEL["system"], channel[sell]),
              np.where(is_deposit, KIND["transfer_in"], KIND["investment_sell"]),
              np.where(is_deposit, cp.own["from_time_deposit"], counterparty[sell]))

    plans = np.flatnonzero(h.category(world, "fund") & (h.periodic > 0))
    dom = 1 + (h.start[plans] % 28)
    row, day = monthly(world, plans, dom, np.maximum(lo[h.cust[plans]], h.start[plans] + 1),
                       np.minimum(moved_away(pop, hi)[h.cust[plans]], h.end[plans]))
    k = plans[row]
    flows.add(books.current[h.cust[k]], day, clock(rng, len(k), HOURS_NIGHT), -h.periodic[k],
              CHANNEL["other"], KIND["investment_buy"], cp.own["fund"])


def bank_flows(rng: np.random.Generator, world: World, pop: Population, books: Books,
               flows: Flows, liquid: FloatArray) -> None:
    """Quarterly interest on current accounts and the yearly debit-card fee."""
    cp = world.counterparties
    lo, hi = live_span(world, pop)
    holders = np.flatnonzero(pop.active)
    row, day = monthly(world, holders, np.full(len(holders), 21), lo[holders], hi[holders])
    quarter_end = calendar_month(day) % 3 == 0
    row, day = row[quarter_end], day[quarter_end]
    c = holders[row]
    interest = np.maximum(0.01, liquid[c] * 0.0015 / 4 * rng.uniform(0.7, 1.3, len(c)))
    flows.add(books.current[c], day, clock(rng, len(c), HOURS_NIGHT), interest,
              CHANNEL["system"], KIND["interest"], cp.own["interest"])
    payers = holders[(pop.index[holders] % 10 < 3) & (pop.assets[holders] < 50_000)]
    row, day = yearly(world, pop.joined[payers], lo[payers], hi[payers])
    flows.add(books.current[payers[row]], day, clock(rng, len(row), HOURS_NIGHT),
              np.full(len(row), -10.0), CHANNEL["system"], KIND["fee"], cp.own["fee"])


def opening_and_closing(world: World, pop: Population, books: Books,
                        flows: Flows) -> tuple[BoolArray, BoolArray]:
    """Placeholders for the first deposit into current accounts opened in the window and
    the final transfer out of those closed in it; the ledger fills in their amounts.

    Returns masks over the flows added so far plus these, marking both kinds of rows.
    """
    win, cp = world.window, world.counterparties
    before = sum(len(a) for a in flows.acct)
    opened = np.flatnonzero(pop.active & (pop.joined >= win.start))
    mobile = pop.digital[opened] > 0.6
    flows.add(books.current[opened], pop.joined[opened], np.full(len(opened), 10 * 3600),
              np.zeros(len(opened)), np.where(mobile, CHANNEL["mobile"], CHANNEL["branch"]),
              np.where(mobile, KIND["transfer_in"], KIND["cash_in"]),
              np.where(mobile, cp.banks[0] + pop.index[opened] % 7, cp.own["counter"]))
    closing = np.flatnonzero(pop.active & (pop.churn_day <= win.end))
    flows.add(books.current[closing], pop.churn_day[closing], np.full(len(closing), 86_000),
              np.zeros(len(closing)), CHANNEL["branch"], KIND["transfer_out"],
              cp.own["closing"])
    total = before + len(opened) + len(closing)
    is_open = np.zeros(total, dtype=bool)
    is_close = np.zeros(total, dtype=bool)
    is_open[before: before + len(opened)] = True
    is_close[before + len(opened):] = True
    return is_open, is_close
