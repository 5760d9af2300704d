"""Randomized, reproducible assignment to treatment and control, and the balance check.

Each customer's random number is a keyed hash: ``HMAC-SHA256(workspace key,
"assign|campaign|customer")`` read as a uniform number in [0, 1). Within each stratum
(segment, else value tier) customers are ordered by it and the first
``floor(share·n + u)`` go to control, where ``u`` is the keyed hash of the stratum — so
every stratum holds out its share exactly (up to randomized rounding), the same inputs
always give the same arms, and nobody can predict an arm without the key.

Balance: for each key numeric tag, the standardized mean difference
``(mean_t − mean_c) / sqrt((var_t + var_c) / 2)``; above 0.1 in absolute value warns.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from portrait.campaign.population import FloatArray, ObjArray

Keyed = Callable[[str], str]
SMD_WARN = 0.1
TREATMENT, CONTROL = "treatment", "control"


def uniform(keyed: Keyed, *parts: str) -> float:
    """A keyed hash of ``parts`` as a number in [0, 1)."""
    return int(keyed("|".join(parts))[:13], 16) / float(16**13)


def assign(keyed: Keyed, campaign_id: str, customer_ids: ObjArray, strata: ObjArray,
           control_share: float) -> ObjArray:
    """The arm of each customer (``treatment`` or ``control``), stratified by ``strata``."""
    n = customer_ids.size
    arms = np.full(n, TREATMENT, dtype=object)
    draws = np.array([uniform(keyed, "assign", campaign_id, str(c)) for c in customer_ids])
    for stratum in sorted({str(s) for s in strata}):
        members = np.flatnonzero(strata == stratum)
        order = members[np.argsort(draws[members], kind="stable")]
        n_control = math.floor(control_share * members.size
                               + uniform(keyed, "stratum", campaign_id, stratum))
        arms[order[:n_control]] = CONTROL
    return arms


def priority(keyed: Keyed, campaign_id: str, customer_ids: ObjArray) -> FloatArray:
    """A second keyed random order, independent of the arms (used to cut at the budget)."""
    return np.array([uniform(keyed, "budget", campaign_id, str(c)) for c in customer_ids])


@dataclass(frozen=True)
class Balance:
    tag: str
    mean_treatment: float | None
    mean_control: float | None
    smd: float | None

    @property
    def warn(self) -> bool:
        return self.smd is not None and abs(self.smd) > SMD_WARN

    def as_dict(self) -> dict[str, Any]:
        return {"tag": self.tag, "mean_treatment": self.mean_treatment,
                "mean_control": self.mean_control, "smd": self.smd, "warn": self.warn}


def smd(treated: FloatArray, control: FloatArray) -> float | None:
    """Standardized mean difference, ignoring missing values (None if undefined)."""
    a, b = treated[~np.isnan(treated)], control[~np.isnan(control)]
    if a.size < 2 or b.size < 2:
        return None
    pooled = math.sqrt((float(a.var(ddof=1)) + float(b.var(ddof=1))) / 2)
    diff = float(a.mean() - b.mean())
    if pooled == 0:
        return 0.0 if diff == 0 else None
    return diff / pooled


def balance(values: dict[str, FloatArray], arms: ObjArray) -> list[Balance]:
    """The balance of each tag between the arms."""
    t, c = arms == TREATMENT, arms == CONTROL
    out = []
    for tag, v in values.items():
        vt, vc = v[t], v[c]
        mt = float(np.nanmean(vt)) if np.isfinite(vt).any() else None
        mc = float(np.nanmean(vc)) if np.isfinite(vc).any() else None
        out.append(Balance(tag, mt, mc, smd(vt, vc)))
    return out
