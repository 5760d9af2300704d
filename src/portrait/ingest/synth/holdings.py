"""The products customers hold: deposits, investments, insurance, loans, cards.

Every active customer holds the demand-deposit product and a debit card on their
current account. What else they hold follows who they are: older and cautious customers keep
time deposits and savings bonds, affluent ones buy wealth-management products, young
risk-takers buy equity funds, families insure themselves, newly-weds take mortgages.
No customer holds a product above their risk level (suitability), and when a customer
churns inside the period their holdings close on that day.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from portrait.ingest.synth import columns as col
from portrait.ingest.synth.draws import (
    BoolArray,
    FloatArray,
    IntArray,
    chance,
    conditional,
    expand,
    lognormal,
    uniform_int,
    weighted,
)
from portrait.ingest.synth.population import MARRIED, SELF_EMPLOYED, STUDENT, Population
from portrait.ingest.synth.seasons import NEVER, add_months, epoch_day
from portrait.ingest.synth.world import World
from portrait.schema import enums
from portrait.schema.tables import HOLDINGS

HOLDING = {name: i for i, name in enumerate(enums.HOLDING_STATUSES)}
CATEGORY = {name: i for i, name in enumerate(enums.PRODUCT_CATEGORIES)}
HOUSE_PRICE_BY_TIER = np.array([0.0, 3_000_000, 1_600_000, 1_100_000, 800_000, 600_000])
#: How often each regular time-deposit term is chosen (3 months … 5 years).
TIME_DEPOSIT_POPULARITY = (0.1, 0.15, 0.3, 0.1, 0.25, 0.1)
PRIVATE_PENSION_LAUNCH = datetime.date(2022, 11, 25)


@dataclass
class Holdings:
    """Holdings as parallel arrays; ``periodic`` is the instalment (loans), the annual
    premium (insurance) or contribution (pension), or the monthly fund savings plan."""

    cust: IntArray
    product: IntArray
    start: IntArray
    end: IntArray  # NEVER = open-ended and still open
    amount: FloatArray  # NaN = none
    periodic: FloatArray
    status: IntArray
    account: IntArray  # local account index

    @property
    def size(self) -> int:
        return len(self.cust)

    def category(self, world: World, *names: str) -> BoolArray:
        """Which holdings are of the named product categories."""
        cats = np.array([CATEGORY[p.category] for p in world.catalog.products])
        out: BoolArray = np.isin(cats[self.product], [CATEGORY[n] for n in names])
        return out

    def take(self, order: IntArray) -> Holdings:
        return Holdings(*(getattr(self, f)[order] for f in self.__dataclass_fields__))


class _Batch:
    """Collects holdings category by category before they become :class:`Holdings`."""

    def __init__(self) -> None:
        self.parts: list[tuple[IntArray, ...]] = []
        self.floats: list[tuple[FloatArray, FloatArray]] = []

    def add(self, cust: IntArray, product: IntArray | int, start: IntArray, end: IntArray,
            amount: npt.ArrayLike, periodic: npt.ArrayLike = 0.0) -> None:
        n = len(cust)
        self.parts.append((cust, np.broadcast_to(product, n).astype(np.int64), start, end))
        self.floats.append((np.broadcast_to(np.asarray(amount, dtype=np.float64), n),
                            np.broadcast_to(np.asarray(periodic, dtype=np.float64), n)))

    def holdings(self) -> Holdings:
        cust, product, start, end = (np.concatenate([p[i] for p in self.parts]) for i in range(4))
        amount, periodic = (np.concatenate([f[i] for f in self.floats]) for i in range(2))
        zeros = np.zeros(len(cust), dtype=np.int64)
        return Holdings(cust, product, start, end, np.round(amount, 2), np.round(periodic, 2),
                        zeros, zeros.copy())


def _starts(rng: np.random.Generator, world: World, pop: Population, cust: IntArray,
            lookback_days: IntArray | int, earliest: int = 0) -> IntArray:
    """Start days: after joining, within ``lookback_days`` of the window end, before churn."""
    win = world.window
    lo = np.maximum(np.maximum(pop.joined[cust], win.end - lookback_days), earliest)
    hi = np.minimum(win.end + 1, pop.churn_day[cust])
    return uniform_int(rng, lo, np.maximum(hi, lo + 1))


def _suitable(rng: np.random.Generator, world: World, category: str, risk: IntArray,
              popularity: npt.ArrayLike) -> IntArray:
    """A product of ``category`` per holder, by popularity, never above their risk level."""
    products = world.catalog.in_category(category)
    grades = world.catalog.grades()[products]
    table = np.array([np.where(grades <= level, popularity, 0.0) for level in range(5)])
    out: IntArray = products[conditional(rng, table, risk)]
    return out


@dataclass
class _Draw:
    """What every product family's draw needs: the stream, the chunk, the batch."""

    rng: np.random.Generator
    world: World
    pop: Population
    batch: _Batch
    everyone: IntArray  # active customers

    def pick(self, p: npt.ArrayLike, among: BoolArray | None = None) -> IntArray:
        """Active customers chosen with probability ``p`` (per customer), optionally only
        ``among`` those eligible."""
        e = self.everyone
        chosen = chance(self.rng, np.broadcast_to(np.asarray(p, dtype=np.float64),
                                                  (self.pop.size,))[e])
        out: IntArray = e[chosen if among is None else chosen & among[e]]
        return out

    def starts(self, cust: IntArray, lookback_days: IntArray | int, earliest: int = 0
               ) -> IntArray:
        return _starts(self.rng, self.world, self.pop, cust, lookback_days, earliest)


def draw_holdings(rng: np.random.Generator, world: World, pop: Population) -> Holdings:
    """What each active customer of the chunk holds or held, one family at a time."""
    d = _Draw(rng, world, pop, _Batch(), np.flatnonzero(pop.active))
    for family in (_basic_banking, _time_deposits, _wealth_products, _funds, _bonds,
                   _insurance, _loans, _mortgages, _credit_cards, _private_pensions):
        family(d)
    return _settle(rng, world, pop, d.batch.holdings())


def _basic_banking(d: _Draw) -> None:
    """On the current account: deposit, debit card, payroll service, bill payment."""
    cat, pop, e = d.world.catalog, d.pop, d.everyone
    forever = np.full(len(e), NEVER)
    d.batch.add(e, cat.index("DEP_CURRENT"), pop.joined[e], forever, np.nan)
    gold = pop.assets[e] >= 500_000
    d.batch.add(e, np.where(gold, cat.index("CARD_DEBIT_GOLD"), cat.index("CARD_DEBIT")),
                pop.joined[e], forever, np.nan)
    payroll = e[pop.salary_here[e]]
    retired = pop.retire_day[payroll] <= d.world.window.end
    d.batch.add(payroll, cat.index("PAY_SALARY"), pop.joined[payroll],
                np.where(retired, pop.retire_day[payroll], NEVER), np.nan)
    bills = d.pick(0.06 + 0.08 * (pop.marital == MARRIED) + 0.06 * (pop.age >= 50))
    d.batch.add(bills, cat.index("PAY_UTILITY"), d.starts(bills, 10 * 365),
                np.full(len(bills), NEVER), np.nan)


def _time_deposits(d: _Draw) -> None:
    """The older and more cautious, the more of their savings in time deposits."""
    cat, pop, rng = d.world.catalog, d.pop, d.rng
    age, risk = pop.age, pop.risk
    p = np.clip(0.15 + 0.45 * (age >= 50) + 0.15 * (risk <= 1) - 0.1 * (age < 30), 0, 0.85)
    holders = d.pick(p, pop.assets >= 5_000)
    count = 1 + rng.binomial(2, 0.35, len(holders))
    c = holders[expand(count)]
    share = np.clip(0.25 + 0.35 * (age[c] >= 55) + 0.1 * (risk[c] <= 1) - 0.1 * (risk[c] >= 3),
                    0.1, 0.8)
    amount = np.round(pop.assets[c] * share / count[expand(count)]
                      * rng.uniform(0.5, 1.5, len(c)), -2)
    regular = cat.in_category("time_deposit")[
        weighted(rng, TIME_DEPOSIT_POPULARITY, len(c))]
    product = np.where((amount >= 200_000) & chance(rng, 0.5, len(c)), cat.index("LCD_3Y"),
                       regular)
    term = cat.terms()[product]
    start = d.starts(c, np.round(term * 30.4 * 1.5).astype(np.int64))
    d.batch.add(c, product, start, add_months(start, term), np.maximum(amount, 100))


def _wealth_products(d: _Draw) -> None:
    """Affluent, middle-aged customers buy wealth-management products."""
    cat, pop, rng = d.world.catalog, d.pop, d.rng
    assets = pop.assets
    p = np.clip(0.05 + 0.25 * (assets >= 100_000) + 0.15 * (assets >= 500_000)
                + 0.1 * ((pop.age >= 30) & (pop.age < 60)), 0, 0.7)
    holders = d.pick(p, assets >= 20_000)
    count = 1 + rng.binomial(1, 0.4, len(holders))
    c = holders[expand(count)]
    product = _suitable(rng, d.world, "wealth", pop.risk[c], [0.3, 0.25, 0.25, 0.15, 0.05])
    term = cat.terms()[product]
    open_days = np.round(rng.exponential(540, len(c))).astype(np.int64)
    duration = np.where(term > 0, np.round(term * 30.4).astype(np.int64), open_days)
    start = d.starts(c, np.round(duration * 1.5).astype(np.int64))
    amount = np.maximum(assets[c] * rng.uniform(0.1, 0.35, len(c)), 10_000)
    d.batch.add(c, product, start, start + duration, np.round(amount, -3))


def _funds(d: _Draw) -> None:
    """Digital, risk-taking customers buy funds; some save monthly in a fund plan."""
    pop, rng = d.pop, d.rng
    p = np.clip(0.04 + 0.12 * pop.digital + 0.08 * (pop.risk >= 2)
                + 0.1 * (pop.assets >= 100_000), 0, 0.6)
    holders = d.pick(p, pop.assets >= 2_000)
    count = 1 + rng.binomial(3, 0.3, len(holders))
    c = holders[expand(count)]
    product = _suitable(rng, d.world, "fund", pop.risk[c], [0.3, 0.2, 0.2, 0.12, 0.1, 0.04, 0.04])
    start = d.starts(c, 4 * 365)
    end = start + np.round(rng.exponential(600, len(c))).astype(np.int64)
    amount = np.maximum(pop.assets[c] * rng.uniform(0.03, 0.2, len(c)), 1_000)
    plan = np.where(chance(rng, 0.3, len(c)), np.maximum(100, np.round(pop.wage[c] * 0.05, -2)),
                    0.0)
    d.batch.add(c, product, start, end, np.round(amount, -2), plan)


def _bonds(d: _Draw) -> None:
    """Savings bonds for older, cautious savers."""
    cat, pop, rng = d.world.catalog, d.pop, d.rng
    c = d.pick(0.02 + 0.1 * (pop.age >= 50) * (pop.risk <= 2), pop.assets >= 10_000)
    product = _suitable(rng, d.world, "bond", pop.risk[c], [0.7, 0.2, 0.1])
    term = cat.terms()[product]
    start = d.starts(c, np.round(term * 30.4 * 1.3).astype(np.int64))
    d.batch.add(c, product, start, add_months(start, term),
                np.round(np.maximum(pop.assets[c] * rng.uniform(0.05, 0.25, len(c)), 1_000), -2))


def _insurance(d: _Draw) -> None:
    """Health cover for earners, annuities for the affluent middle-aged, education plans
    for parents, unit-linked policies for risk-takers; each within the risk level."""
    cat, pop = d.world.catalog, d.pop
    age, assets, wage = pop.age, pop.assets, pop.wage
    plans = (
        ("INS_CRITICAL", 0.06 + 0.1 * ((age >= 28) & (age < 50)) + 0.05 * (pop.dependents > 0),
         wage * 12 * 0.04),
        ("INS_ANNUITY", 0.02 + 0.08 * ((age >= 40) & (age < 60)) * (assets >= 200_000),
         np.maximum(assets * 0.08, 10_000)),
        ("INS_EDUCATION", 0.12 * ((age >= 28) & (age < 46)) * (pop.dependents > 0),
         np.full(pop.size, 8_000.0)),
        ("INS_UNIT_LINKED", 0.06 * (assets >= 300_000), assets * 0.05),
    )
    for product_id, p, premium in plans:
        product = cat.index(product_id)
        c = d.pick(p, (wage >= 3_000) & (pop.risk >= cat.grades()[product]))
        annual = np.round(lognormal(d.rng, premium[c], 0.3), -2)
        d.batch.add(c, product, d.starts(c, 12 * 365), np.full(len(c), NEVER), annual, annual)


def _loans(d: _Draw) -> None:
    """Consumer loans for young borrowers, car loans, business loans for the self-employed."""
    cat, pop, rng = d.world.catalog, d.pop, d.rng
    age, wage = pop.age, pop.wage
    working = pop.retire_day > d.world.window.end
    borrowers = (
        ("LN_CONSUMER", 0.04 + 0.06 * ((age >= 22) & (age < 40)) * (pop.assets < 50_000),
         lognormal(rng, 50_000 * np.sqrt(wage / 8_000), 0.5), (12, 24, 36)),
        ("LN_CAR", 0.04 * ((age >= 25) & (age < 46)) * (wage >= 6_000),
         lognormal(rng, 150_000, 0.35, pop.size), (36, 60)),
        ("LN_BUSINESS", 0.3 * (pop.occupation == SELF_EMPLOYED),
         lognormal(rng, 300_000, 0.6, pop.size), (24, 36)),
    )
    for product_id, p, principal, terms in borrowers:
        c = d.pick(p, working)
        months = np.array(terms)[rng.integers(0, len(terms), len(c))]
        start = d.starts(c, np.round(months * 30.4 * 1.4).astype(np.int64))
        _add_loan(d.batch, d.world, c, cat.index(product_id), start, months, principal[c])


def _mortgages(d: _Draw) -> None:
    """Newly-weds buy a home within eighteen months of marrying; other married customers
    took their mortgage at some point in the last fifteen years."""
    cat, pop, rng, win = d.world.catalog, d.pop, d.rng, d.world.window
    tiers = d.world.geography.tiers()[pop.city]
    wed = d.pick(0.6, pop.marriage_day < NEVER)
    wed_start = pop.marriage_day[wed] + rng.integers(60, 540, len(wed))
    in_time = wed_start < np.minimum(win.end + 1, pop.churn_day[wed])
    wed, wed_start = wed[in_time], wed_start[in_time]
    settled = (pop.marital == MARRIED) & (pop.age >= 28) & (pop.age < 56)
    owners = d.pick(0.16 * np.where(tiers <= 2, 1.0, 1.3), settled & (pop.marriage_day == NEVER))
    c = np.concatenate([wed, owners])
    start = np.concatenate([wed_start, d.starts(owners, 15 * 365)])
    months = np.array([240, 300, 360])[rng.integers(0, 3, len(c))]
    price = lognormal(rng, HOUSE_PRICE_BY_TIER[tiers[c]], 0.35)
    product = np.where(chance(rng, 0.3, len(c)), cat.index("MG_COMBINED"),
                       cat.index("MG_COMMERCIAL"))
    _add_loan(d.batch, d.world, c, product, start, months, np.round(price * 0.65, -4))


def _credit_cards(d: _Draw) -> None:
    """Employed, app-savvy customers carry a credit card; its level follows income."""
    cat, pop, rng = d.world.catalog, d.pop, d.rng
    wage = pop.wage
    working = pop.retire_day > d.world.window.end
    p = np.clip(0.08 + 0.45 * pop.digital * working + 0.1 * (wage > 10_000), 0, 0.75)
    c = d.pick(np.where(pop.occupation == STUDENT, 0.15, p), pop.age >= 20)
    product = np.select(
        [pop.age[c] < 27, (wage[c] >= 25_000) | (pop.assets[c] >= 1_000_000), wage[c] >= 12_000],
        [cat.index("CC_YOUTH"), cat.index("CC_PLATINUM"), cat.index("CC_GOLD")],
        cat.index("CC_STANDARD"))
    limit = np.maximum(np.round(wage[c] * rng.uniform(1.5, 4.0, len(c)), -3), 5_000)
    limit = np.where(product == cat.index("CC_PLATINUM"), np.maximum(limit, 50_000), limit)
    d.batch.add(c, product, d.starts(c, 8 * 365), np.full(len(c), NEVER), limit)


def _private_pensions(d: _Draw) -> None:
    """Private pension accounts (launched November 2022): earners saving for tax relief."""
    pop = d.pop
    working = pop.retire_day > d.world.window.end
    c = d.pick((0.06 + 0.06 * (pop.wage >= 15_000)) * (pop.age >= 30) * (pop.age < 60), working)
    contribution = np.minimum(12_000,
                              np.round(pop.wage[c] * d.rng.uniform(0.5, 1.5, len(c)), -2))
    d.batch.add(c, d.world.catalog.index("PEN_PRIVATE"),
                d.starts(c, 4 * 365, epoch_day(PRIVATE_PENSION_LAUNCH)),
                np.full(len(c), NEVER), contribution, contribution)


def _add_loan(batch: _Batch, world: World, cust: IntArray, product: IntArray | int,
              start: IntArray, months: IntArray, principal: FloatArray) -> None:
    """A loan with its equal monthly instalment (annuity formula at the product's rate)."""
    rate = world.catalog.rates()[np.broadcast_to(product, len(cust))] / 100 / 12
    principal = np.maximum(np.round(principal, -3), 10_000)
    instalment = principal * rate / (1 - (1 + rate) ** -months)
    batch.add(cust, product, start, add_months(start, months), principal, instalment)


def _settle(rng: np.random.Generator, world: World, pop: Population, h: Holdings) -> Holdings:
    """Close what churners held, set statuses, and order holdings by customer and start.

    Holdings that would start after their customer left are dropped. Open-ended
    products still held at the end of the window get no end date; term products keep
    their maturity date. A few live loans are in arrears or defaulted, more often for
    low earners.
    """
    win = world.window
    h = h.take(np.flatnonzero(h.start < np.minimum(win.end + 1, pop.churn_day[h.cust])))
    churn = pop.churn_day[h.cust]
    h.end = np.where((churn <= win.end) & (h.end > churn), churn, h.end)
    open_ended = world.catalog.terms()[h.product] == 0
    h.end = np.where(open_ended & (h.end > win.end), NEVER, h.end)
    h.status = np.where(h.end <= win.end, HOLDING["closed"], HOLDING["active"]).astype(np.int64)
    live_loan = h.category(world, "loan", "mortgage") & (h.status == HOLDING["active"])
    low_pay = pop.wage[h.cust] < 6_000
    trouble = rng.random(h.size)
    arrears = live_loan & (trouble < np.where(low_pay, 0.05, 0.02))
    default = live_loan & (trouble > 1 - np.where(low_pay, 0.012, 0.004))
    h.status = np.where(arrears, HOLDING["in_arrears"], h.status)
    h.status = np.where(default, HOLDING["defaulted"], h.status)
    return h.take(np.lexsort((h.start, h.cust)))


def holdings_table(world: World, h: Holdings, chunk: int, customer_ids: pa.Array,
                   account_ids: pa.Array) -> pa.Table:
    """The ``holdings`` rows; loans, fund plans and policies carry their terms as JSON."""
    loan = h.category(world, "loan", "mortgage")
    months = np.round((h.end - h.start) / 30.44).astype(np.int64)
    plan = h.category(world, "fund") & (h.periodic > 0)
    premium = h.category(world, "insurance", "pension")
    cents = np.round(h.periodic * 100).astype(np.int64)
    attributes = pc.coalesce(
        col.json_objects({"instalment": col.money(cents), "term_months": pa.array(months)},
                         missing=~loan),
        col.json_objects({"monthly_plan": col.money(cents)}, missing=~plan),
        col.json_objects({"annual_payment": col.money(cents)}, missing=~premium),
    )
    return col.frame(HOLDINGS, {
        "holding_id": col.serial_ids("H", chunk, h.size, 8),
        "customer_id": pc.take(customer_ids, h.cust),
        "product_id": pc.take(world.catalog.ids(), h.product),
        "account_id": pc.take(account_ids, h.account),
        "start_at": col.dates(h.start),
        "end_at": col.dates(h.end, missing=h.end >= NEVER),
        "amount": col.money(np.round(np.nan_to_num(h.amount) * 100).astype(np.int64),
                            missing=np.isnan(h.amount)),
        "status": col.labels(col.text(enums.HOLDING_STATUSES), h.status),
        "attributes": attributes,
    }, h.size)
