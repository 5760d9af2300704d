"""Synthetic campaign responses with a known true uplift per segment.

Used by the demo and the end-to-end test: every member of a launched campaign (both
arms) converts with probability ``base[s] + uplift[s]·treated`` where ``s`` is the
customer's stratum, so the true average effect of the campaign is known and the
evaluation can be checked against it. It lives in the campaign layer, not in the
synthetic bank generator (``ingest/synth``), because it needs a launched campaign's
arms, which exist only after the bank has been generated, tagged and targeted.

A member may carry an ``affinity`` (default 1): both its base rate and its uplift are
multiplied by it. The demo gives customers with more liquid assets a higher affinity
(mean 1 within every stratum), so that who converts — and who is moved by the campaign —
depends on a tag a model can learn from, while the planted average effect stays known:
``ate`` is the mean of ``uplift[s]·affinity`` over the members.

Treated customers also open (30%) and click (a third of openers) the message; converters
invest a log-normal amount (median 20,000).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from portrait.campaign.assignment import TREATMENT

#: Base conversion rates and true uplifts (absolute), given to strata in sorted order, cycled.
BASES = (0.04, 0.06, 0.03, 0.05, 0.02, 0.07)
UPLIFTS = (0.05, 0.03, 0.08, 0.01, 0.06, 0.04)


@dataclass(frozen=True)
class Truth:
    """The planted effect: per stratum (base rate, uplift), and the campaign's true ATE."""

    by_stratum: dict[str, tuple[float, float]]
    ate: float
    counts: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {"ate": self.ate, "by_stratum": {s: {"base": b, "uplift": u, "n": self.counts[s]}
                                                for s, (b, u) in self.by_stratum.items()}}


def default_truth(strata: list[str]) -> dict[str, tuple[float, float]]:
    """Base rate and uplift for each stratum (sorted, taken from :data:`BASES`/:data:`UPLIFTS`)."""
    return {s: (BASES[i % len(BASES)], UPLIFTS[i % len(UPLIFTS)])
            for i, s in enumerate(sorted(set(strata)))}


def affinities(values: dict[str, float | None], strata: dict[str, str], *, low: float = 0.2,
               high: float = 1.8) -> dict[str, float]:
    """Per customer, ``low`` … ``high`` by the rank of ``values`` within its stratum
    (mid-ranks, so the mean is exactly ``(low + high) / 2`` in every stratum); a missing
    value ranks lowest."""
    out: dict[str, float] = {}
    by_stratum: dict[str, list[str]] = {}
    for cid, stratum in strata.items():
        by_stratum.setdefault(stratum, []).append(cid)
    for cids in by_stratum.values():
        ordered = sorted(cids, key=lambda c: (values.get(c) is not None, values.get(c) or 0.0, c))
        n = len(ordered)
        for rank, cid in enumerate(ordered):
            out[cid] = low + (high - low) * (rank + 0.5) / n
    return out


def simulate(members: list[dict[str, Any]], *, campaign_id: str, send_at: dt.datetime,
             attribution_days: int, out: Path, seed: int = 0,
             truth: dict[str, tuple[float, float]] | None = None) -> Truth:
    """Write a responses CSV for ``members`` (dicts with customer_id, arm, stratum and
    optionally affinity).

    Returns:
        The planted truth; ``ate`` is the mean true uplift over all members (both arms),
        which the treatment − control difference estimates without bias.
    """
    strata = [str(m["stratum"]) for m in members]
    table = truth or default_truth(strata)
    digest = hashlib.sha256(f"{campaign_id}|{seed}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    counts: dict[str, int] = {}
    effect = 0.0
    rows: list[list[Any]] = []
    for m, s in zip(members, strata, strict=True):
        counts[s] = counts.get(s, 0) + 1
        weight = float(m.get("affinity", 1.0))
        base, uplift = table[s][0] * weight, table[s][1] * weight
        effect += uplift
        treated = m["arm"] == TREATMENT
        draws = rng.random(4)
        day = send_at + dt.timedelta(days=float(draws[3]) * attribution_days * 0.9)
        if treated and draws[1] < 0.3:
            rows.append([campaign_id, m["customer_id"], "opened", send_at.isoformat(), ""])
            if draws[2] < 1 / 3:
                rows.append([campaign_id, m["customer_id"], "clicked", send_at.isoformat(), ""])
        if draws[0] < base + (uplift if treated else 0.0):
            amount = round(float(rng.lognormal(np.log(20_000), 0.6)), 2)
            rows.append([campaign_id, m["customer_id"], "converted",
                         day.replace(microsecond=0).isoformat(), amount])
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["campaign_id", "customer_id", "outcome", "ts", "amount"])
        writer.writerows(rows)
    n = len(members)
    ate = effect / n if n else 0.0
    return Truth({s: table[s] for s in sorted(counts)}, ate, counts)
