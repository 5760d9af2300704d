"""Consents per purpose: recorded for every customer, sometimes changed later.

Each customer has a consent record for every purpose of the canonical model, taken
when they joined, or, for customers who joined before China's Personal Information
Protection Law took effect (1 November 2021), when the bank collected consents again
in the months after. Digital customers accept app pushes more often; few accept
sharing with third parties. Some customers later change their mind, and many
churners withdraw their marketing consents when they leave.
"""

from __future__ import annotations

import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from portrait.ingest.synth import columns as col
from portrait.ingest.synth.activity import HOURS_OFFICE, clock
from portrait.ingest.synth.draws import chance, uniform_int
from portrait.ingest.synth.population import Population
from portrait.ingest.synth.seasons import SECONDS_PER_DAY, epoch_day
from portrait.ingest.synth.world import World
from portrait.schema import enums
from portrait.schema.tables import CONSENTS

PIPL_EFFECTIVE = datetime.date(2021, 11, 1)
SOURCES = ("app", "branch_form", "web", "call_center")
#: Share of customers granting each purpose (app pushes: more among digital customers).
GRANT_RATE = {"profiling": 0.9, "marketing_sms": 0.72, "marketing_push": 0.25,
              "marketing_email": 0.35, "marketing_call": 0.3, "third_party": 0.1}
MARKETING = np.array([p.startswith("marketing_") for p in enums.CONSENT_PURPOSES])


def draw_consents(rng: np.random.Generator, world: World, pop: Population,
                  customer_ids: pa.Array) -> pa.Table:
    """The ``consents`` rows of a chunk, ordered by customer, purpose and time."""
    win = world.window
    customers = np.flatnonzero(pop.active)
    n_purposes = len(enums.CONSENT_PURPOSES)
    last = np.minimum(win.end, pop.churn_day - 1)
    pipl = epoch_day(PIPL_EFFECTIVE)
    recollect = uniform_int(rng, np.full(pop.size, pipl), np.full(pop.size, pipl + 240))
    first = np.where((pop.joined < pipl) & (recollect <= last), recollect, pop.joined)

    c = np.repeat(customers, n_purposes)
    purpose = np.tile(np.arange(n_purposes), len(customers))
    d = pop.digital[c]
    push = enums.CONSENT_PURPOSES.index("marketing_push")
    p_grant = (np.array([GRANT_RATE[p] for p in enums.CONSENT_PURPOSES])[purpose]
               + np.where(purpose == push, 0.6 * d, 0.0))
    granted = chance(rng, p_grant)
    in_app = rng.random(len(customers)) < pop.digital[customers]
    source = np.repeat(np.where(in_app, 0, 1), n_purposes)  # one form covers every purpose
    day = first[c]
    ts = day * SECONDS_PER_DAY + np.repeat(clock(rng, len(customers), HOURS_OFFICE), n_purposes)

    rows_c, rows_p, rows_ts, rows_g, rows_s = [c], [purpose], [ts], [granted], [source]
    changes = np.flatnonzero(chance(rng, 0.1, len(c)) & (last[c] > day))
    change_day = uniform_int(rng, day[changes] + 1, last[c[changes]] + 1)
    rows_c.append(c[changes])
    rows_p.append(purpose[changes])
    rows_ts.append(change_day * SECONDS_PER_DAY + clock(rng, len(changes), HOURS_OFFICE))
    rows_g.append(~granted[changes])
    rows_s.append(np.where(rng.random(len(changes)) < d[changes], 0,
                           rng.integers(1, len(SOURCES), len(changes))))
    leaving = np.flatnonzero((pop.churn_day[c] <= win.end) & MARKETING[purpose]
                             & chance(rng, 0.5, len(c)))
    rows_c.append(c[leaving])
    rows_p.append(purpose[leaving])
    rows_ts.append(pop.churn_day[c[leaving]] * SECONDS_PER_DAY + 15 * 3600)
    rows_g.append(np.zeros(len(leaving), dtype=bool))
    rows_s.append(np.ones(len(leaving), dtype=np.int64))

    cust, purp, stamp = (np.concatenate(x) for x in (rows_c, rows_p, rows_ts))
    order = np.lexsort((stamp, purp, cust))
    n = len(cust)
    return col.frame(CONSENTS, {
        "customer_id": pc.take(customer_ids, cust[order]),
        "purpose": col.labels(col.text(enums.CONSENT_PURPOSES), purp[order]),
        "ts": col.timestamps(stamp[order]),
        "granted": pa.array(np.concatenate(rows_g)[order]),
        "source": col.labels(col.text(SOURCES), np.concatenate(rows_s).astype(np.int64)[order]),
    }, n)
