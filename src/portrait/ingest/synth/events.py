"""Customer interactions: app and web sessions, branch visits, calls, complaints.

Young, digital customers log in to the app often; older ones visit the branch or call.
A session is a login followed by page views, product views, searches and
transactions. Before buying a product, many customers look at it first (product
views in the app, or a consultation at the branch) and then apply: the intent signal
propensity models learn from. Complaints grow in the months before a customer churns,
and most are resolved within two weeks. ATM withdrawals show up as ATM events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from portrait.ingest.synth import columns as col
from portrait.ingest.synth.accounts import Books
from portrait.ingest.synth.activity import (
    HOURS_OFFICE,
    HOURS_SHOPPING,
    clock,
    live_span,
    occurrences,
)
from portrait.ingest.synth.draws import (
    FloatArray,
    IntArray,
    chance,
    conditional,
    expand,
    sort_order,
    weighted,
)
from portrait.ingest.synth.population import Population
from portrait.ingest.synth.seasons import SECONDS_PER_DAY
from portrait.ingest.synth.world import World
from portrait.schema import enums
from portrait.schema.tables import EVENTS

CHANNEL = {name: i for i, name in enumerate(enums.EVENT_CHANNELS)}
TYPE = {name: i for i, name in enumerate(enums.EVENT_TYPES)}
SEARCHES = (
    ("基金定投", "信用卡额度", "消费贷利率", "转账限额", "黄金积存", "积分兑换"),
    ("房贷利率", "大额存单", "理财产品", "教育金保险", "提前还款", "外汇牌价"),
    ("定期存款利率", "储蓄国债", "养老金", "社保卡", "网点地址", "手机银行字体"),
)
COMPLAINTS = ("手续费扣费不合理", "手机银行无法登录", "网点排队时间太长", "理财产品亏损",
              "信用卡额度被降低", "客服电话打不通", "转账到账延迟", "利率低于其他银行")
#: Interest in each product category (enums.PRODUCT_CATEGORIES order) by age band
#: (under 35, 35 to 59, 60 and over): what customers look at in the app or ask about.
INTEREST_BY_AGE = (
    (0.5, 0.5, 1.0, 3.0, 0.3, 1.0, 2.0, 1.0, 3.0, 0.3, 0.3, 0.2),
    (0.5, 1.5, 3.0, 2.0, 0.8, 2.0, 1.0, 1.5, 1.5, 0.3, 0.3, 1.0),
    (0.5, 3.0, 2.0, 0.5, 2.0, 1.5, 0.2, 0.2, 0.3, 0.3, 0.3, 0.5),
)
#: Index of the first complaint in the text vocabulary (searches come first).
COMPLAINT_TEXT = sum(len(band) for band in SEARCHES)
BODY_TYPES = ("page_view", "product_view", "search", "transaction")
BODY_WEIGHTS = (0.5, 0.22, 0.13, 0.15)
NO_PRODUCT = -1


@dataclass
class _Events:
    cust: list[IntArray] = field(default_factory=list)
    ts: list[IntArray] = field(default_factory=list)
    channel: list[IntArray] = field(default_factory=list)
    type: list[IntArray] = field(default_factory=list)
    product: list[IntArray] = field(default_factory=list)
    text: list[IntArray] = field(default_factory=list)  # index into the text vocabulary
    duration: list[IntArray] = field(default_factory=list)  # seconds, -1 = none

    def add(self, cust: IntArray, ts: IntArray, channel: IntArray | int, type_: IntArray | int,
            product: IntArray | int = NO_PRODUCT, text: IntArray | int = -1,
            duration: IntArray | int = -1) -> None:
        n = len(cust)
        self.cust.append(cust)
        self.ts.append(ts)
        for name, value in (("channel", channel), ("type", type_), ("product", product),
                            ("text", text), ("duration", duration)):
            getattr(self, name).append(np.broadcast_to(value, n).astype(np.int64))


def _interest_table(world: World) -> FloatArray:
    """Per age band, how likely each on-sale product is to be viewed or asked about."""
    cat = world.catalog
    category = np.array([enums.PRODUCT_CATEGORIES.index(p.category) for p in cat.products])
    on_sale = np.array([p.on_sale for p in cat.products])
    per_category = np.bincount(category[on_sale], minlength=len(enums.PRODUCT_CATEGORIES))
    table = np.array(INTEREST_BY_AGE)[:, category] / np.maximum(per_category[category], 1)
    out: FloatArray = np.where(on_sale, table, 0.0)
    return out


@dataclass
class _Context:
    """What each kind of interaction needs to draw its events."""

    rng: np.random.Generator
    world: World
    pop: Population
    lo: IntArray  # per customer: first and (exclusive) last live day
    hi: IntArray
    band: IntArray  # age band: under 35, 35 to 59, 60 and over
    interest: FloatArray  # per age band, how likely each product is to be looked at
    ev: _Events


def draw_events(rng: np.random.Generator, world: World, pop: Population, books: Books,
                atm_cust: IntArray, atm_ts: IntArray, chunk: int,
                customer_ids: pa.Array) -> pa.Table:
    """The ``events`` rows of a chunk, ordered by customer and time."""
    lo, hi = live_span(world, pop)
    x = _Context(rng, world, pop, np.where(pop.active, lo, hi), hi,
                 np.digitize(pop.age, (35, 60)), _interest_table(world), _Events())
    _sessions(x)
    _visits_and_calls(x)
    _complaints(x)
    _intent(x, books)
    x.ev.add(atm_cust, atm_ts + 30, CHANNEL["atm"], TYPE["transaction"],
             duration=rng.integers(30, 150, len(atm_cust)))
    return _table(world, x.ev, chunk, customer_ids)


def _sessions(x: _Context) -> None:
    """App and web sessions: a login, a few views, searches or transactions, sometimes
    a logout."""
    rng, pop = x.rng, x.pop
    rate = (0.03 + 0.9 * pop.digital ** 2) * np.sqrt(pop.activity) * 0.7
    c, day = occurrences(rng, x.world.flat_days, pop, rate, x.lo, x.hi)
    t0 = day * SECONDS_PER_DAY + clock(rng, len(c), HOURS_SHOPPING)
    channel = np.where(chance(rng, np.where(pop.age[c] < 35, 0.92, 0.75)), CHANNEL["app"],
                       CHANNEL["web"])
    x.ev.add(c, t0, channel, TYPE["login"])
    steps = 1 + rng.poisson(1.0, len(c))
    s = expand(steps)
    sc = c[s]
    run = np.cumsum(np.round(rng.exponential(45.0, len(s))).astype(np.int64) + 2)
    last = np.cumsum(steps) - 1
    elapsed = run - np.repeat(np.r_[0, run[last[:-1]]][: len(steps)], steps)
    body = np.array([TYPE[t] for t in BODY_TYPES])[weighted(rng, BODY_WEIGHTS, len(s))]
    viewed = conditional(rng, x.interest, x.band[sc])
    product = np.where(body == TYPE["product_view"], viewed, NO_PRODUCT)
    search_text = x.band[sc] * len(SEARCHES[0]) + rng.integers(0, len(SEARCHES[0]), len(s))
    text = np.where(body == TYPE["search"], search_text, -1)
    duration = np.where(np.isin(body, (TYPE["page_view"], TYPE["product_view"])),
                        np.round(rng.exponential(50.0, len(s))).astype(np.int64) + 3, -1)
    x.ev.add(sc, t0[s] + elapsed, channel[s], body, product, text, duration)
    out = chance(rng, 0.4, len(c))
    x.ev.add(c[out], t0[out] + elapsed[last][out] + 5, channel[out], TYPE["logout"],
             duration=elapsed[last][out] + 5)


def _visits_and_calls(x: _Context) -> None:
    """Branch visits (consultations or counter transactions), more for the less digital,
    and calls to the call centre, more for the old."""
    rng, pop = x.rng, x.pop
    rate = 0.01 + 0.12 * (1 - pop.digital) ** 1.5 * np.sqrt(pop.activity)
    c, day = occurrences(rng, x.world.flat_days, pop, rate, x.lo, x.hi)
    consult = chance(rng, 0.55, len(c))
    x.ev.add(c, day * SECONDS_PER_DAY + clock(rng, len(c), HOURS_OFFICE), CHANNEL["branch"],
             np.where(consult, TYPE["consult"], TYPE["transaction"]),
             np.where(consult, conditional(rng, x.interest, x.band[c]), NO_PRODUCT),
             duration=np.where(consult, rng.integers(300, 2400, len(c)),
                               rng.integers(180, 900, len(c))))
    rate = np.where(pop.age > 55, 0.05, 0.02)
    c, day = occurrences(rng, x.world.flat_days, pop, rate, x.lo, x.hi)
    x.ev.add(c, day * SECONDS_PER_DAY + clock(rng, len(c), HOURS_OFFICE),
             CHANNEL["call_center"], TYPE["consult"], duration=rng.integers(60, 900, len(c)))


def _complaints(x: _Context) -> None:
    """Complaints, many more while a churner's activity fades; most resolved within two
    weeks."""
    rng, pop, days = x.rng, x.pop, x.world.flat_days
    c1, d1 = occurrences(rng, days, pop, np.full(pop.size, 0.004), x.lo, x.hi)
    fade_lo = np.maximum(x.lo, pop.churn_day - pop.fade_days)
    c2, d2 = occurrences(rng, days, pop, np.full(pop.size, 0.08), fade_lo, x.hi)
    c, day = np.concatenate([c1, c2]), np.concatenate([d1, d2])
    channel = np.array([CHANNEL["call_center"], CHANNEL["app"], CHANNEL["branch"]])[
        weighted(rng, (0.6, 0.25, 0.15), len(c))]
    ts = day * SECONDS_PER_DAY + clock(rng, len(c), HOURS_OFFICE)
    complaint = COMPLAINT_TEXT + rng.integers(0, len(COMPLAINTS), len(c))
    x.ev.add(c, ts, channel, TYPE["complaint"], text=complaint,
             duration=np.where(channel == CHANNEL["app"], -1, rng.integers(120, 1200, len(c))))
    solved_day = day + rng.integers(1, 15, len(c))
    solved = chance(rng, 0.85, len(c)) & (solved_day <= x.world.window.end)
    x.ev.add(c[solved], solved_day[solved] * SECONDS_PER_DAY
             + clock(rng, int(solved.sum()), HOURS_OFFICE), CHANNEL["call_center"],
             TYPE["complaint_resolved"], text=complaint[solved])


def _intent(x: _Context, books: Books) -> None:
    """Most products bought in the window were looked at first (product views in the app,
    or a consultation at the branch) and applied for on the day they start."""
    rng, pop, h = x.rng, x.pop, books.holdings
    basic = h.category(x.world, "deposit", "debit_card", "payment_service")
    bought = np.flatnonzero(~basic & (h.start >= x.lo[h.cust]) & (h.start < x.hi[h.cust])
                            & chance(rng, 0.7, h.size))
    hc = h.cust[bought]
    online = pop.digital[hc] > 0.5
    x.ev.add(hc, h.start[bought] * SECONDS_PER_DAY + clock(rng, len(bought), HOURS_OFFICE),
             np.where(online, CHANNEL["app"], CHANNEL["branch"]), TYPE["application"],
             h.product[bought])
    k = expand(1 + rng.integers(0, 3, len(bought)))
    look_day = np.maximum(h.start[bought][k] - rng.integers(1, 45, len(k)), x.lo[hc[k]])
    x.ev.add(hc[k], look_day * SECONDS_PER_DAY + clock(rng, len(k), HOURS_SHOPPING),
             np.where(online[k], CHANNEL["app"], CHANNEL["branch"]),
             np.where(online[k], TYPE["product_view"], TYPE["consult"]), h.product[bought][k],
             duration=np.where(online[k], rng.integers(20, 300, len(k)),
                               rng.integers(300, 1800, len(k))))


def _table(world: World, ev: _Events, chunk: int, customer_ids: pa.Array) -> pa.Table:
    cust = np.concatenate(ev.cust)
    last_second = (world.window.end + 1) * SECONDS_PER_DAY - 1
    ts = np.minimum(np.concatenate(ev.ts), last_second)  # sessions running past midnight
    order = sort_order(cust, ts - (world.window.start - 400) * SECONDS_PER_DAY)
    cust, ts = cust[order], ts[order]
    product, text, duration = (np.concatenate(getattr(ev, f))[order]
                               for f in ("product", "text", "duration"))
    n = len(cust)
    vocabulary = col.text([*(s for band in SEARCHES for s in band), *COMPLAINTS])
    return col.frame(EVENTS, {
        "event_id": col.serial_ids("E", chunk, n, 9),
        "customer_id": pc.take(customer_ids, cust),
        "ts": col.timestamps(ts),
        "channel": col.labels(col.text(enums.EVENT_CHANNELS), np.concatenate(ev.channel)[order]),
        "type": col.labels(col.text(enums.EVENT_TYPES), np.concatenate(ev.type)[order]),
        "product_id": col.labels(world.catalog.ids(), np.maximum(product, 0),
                                 missing=product < 0),
        "text": col.labels(vocabulary, np.maximum(text, 0), missing=text < 0),
        "duration_s": pa.array(duration, mask=duration < 0),
    }, n)
