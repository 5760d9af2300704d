"""Evaluating a launched campaign against its control group.

Every customer assigned to an arm counts in it (intention to treat: a treatment customer
withheld at launch still counts as treatment). A customer converts when a ``converted``
response falls in the attribution window after the send time; their value is the sum of
the converted amounts. Conversion is compared as proportions, value as means (see
:mod:`portrait.campaign.stats`), overall and per stratum. Incremental conversions and
revenue scale the per-customer differences (and their intervals) by the treatment size;
ROI is ``(incremental revenue − cost) / cost``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
from sqlglot import exp

from portrait.campaign import uplift
from portrait.campaign.assignment import CONTROL, TREATMENT
from portrait.campaign.registry import CampaignRecord
from portrait.campaign.stats import Comparison, compare_means, compare_proportions
from portrait.store.engine import Engine

_NUMERIC = ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "BOOLEAN", "DECIMAL",
            "HUGEINT", "REAL")


@dataclass
class Evaluation:
    campaign_id: str
    name: str
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"campaign_id": self.campaign_id, "name": self.name, **self.data}


def outcomes(engine: Engine, record: CampaignRecord) -> pa.Table:
    """Per assigned customer: arm, stratum, channel, cost, converted, value and engagement."""
    end = record.send_at + dt.timedelta(days=record.spec.attribution_days)
    return engine.query_arrow("""
        WITH r AS (
            SELECT c.customer_id,
                   bool_or(r.outcome = 'converted') AS converted,
                   coalesce(sum(r.amount) FILTER (WHERE r.outcome = 'converted'), 0) AS value,
                   bool_or(r.outcome = 'opened') AS opened,
                   bool_or(r.outcome = 'clicked') AS clicked
            FROM contacts c JOIN responses r USING (contact_id)
            WHERE c.campaign_id = ? AND (r.ts IS NULL OR (r.ts >= ? AND r.ts <= ?))
            GROUP BY ALL)
        SELECT m.customer_id, m.arm, m.stratum, m.channel,
               coalesce(TRY_CAST(json_extract(c.attributes, '$.cost') AS DOUBLE), 0) AS cost,
               c.contact_id IS NOT NULL AS recorded,
               coalesce(r.converted, false) AS converted, coalesce(r.value, 0) AS value,
               coalesce(r.opened, false) AS opened, coalesce(r.clicked, false) AS clicked
        FROM campaign_members m
        LEFT JOIN contacts c ON c.campaign_id = m.campaign_id AND c.customer_id = m.customer_id
        LEFT JOIN r ON r.customer_id = m.customer_id
        WHERE m.campaign_id = ? AND m.arm IS NOT NULL
        ORDER BY m.customer_id""", [record.campaign_id, record.send_at, end, record.campaign_id])


def _compare(conv: np.ndarray[Any, Any], value: np.ndarray[Any, Any], t: np.ndarray[Any, Any],
             c: np.ndarray[Any, Any]) -> tuple[Comparison, Comparison | None]:
    conversion = compare_proportions(int(conv[t].sum()), int(t.sum()), int(conv[c].sum()), int(c.sum()))
    amount = compare_means(value[t], value[c]) if t.sum() >= 2 and c.sum() >= 2 else None
    return conversion, amount


def _scaled(estimate: float, ci: tuple[float, float], factor: float) -> dict[str, Any]:
    return {"estimate": estimate * factor, "ci95": [ci[0] * factor, ci[1] * factor]}


def features(engine: Engine, snapshot: str, ids: list[str]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Numeric and boolean tags of the snapshot for ``ids`` (in that order), NaN when missing."""
    cols = [c for c, t in engine.columns(snapshot).items()
            if c != "customer_id" and t.upper().startswith(_NUMERIC)]
    select = exp.select(exp.column("customer_id"), *[exp.cast(exp.column(c), "DOUBLE") for c in cols]
                        ).from_(exp.to_table(snapshot))
    data = engine.query_arrow(select)
    pos = {cid: i for i, cid in enumerate(data.column(0).to_pylist())}
    matrix = np.column_stack([data.column(i + 1).to_numpy(zero_copy_only=False)
                              for i in range(len(cols))]).astype(np.float64)
    out = np.full((len(ids), len(cols)), np.nan)
    rows = [pos.get(c) for c in ids]
    have = np.array([r is not None for r in rows], dtype=bool)
    out[have] = matrix[[r for r in rows if r is not None]]
    return out


def evaluate(engine: Engine, record: CampaignRecord, snapshot: str) -> Evaluation:
    """Lift, intervals, ROI, per-stratum results and the uplift model of a campaign."""
    data = outcomes(engine, record)
    ids = [str(v) for v in data.column("customer_id").to_pylist()]
    arm = np.array(data.column("arm").to_pylist(), dtype=object)
    stratum = np.array(data.column("stratum").to_pylist(), dtype=object)
    conv = np.array(data.column("converted").to_pylist(), dtype=np.float64)
    value = np.array(data.column("value").to_pylist(), dtype=np.float64)
    cost_each = np.array(data.column("cost").to_pylist(), dtype=np.float64)
    t, c = arm == TREATMENT, arm == CONTROL
    out: dict[str, Any] = {"send_at": record.send_at.isoformat(),
                           "attribution_days": record.spec.attribution_days,
                           "funnel": record.summary.get("funnel"),
                           "n_treatment": int(t.sum()), "n_control": int(c.sum())}
    if not t.any() or not c.any():
        out["error"] = "the campaign needs customers in both arms to be evaluated"
        return Evaluation(record.campaign_id, record.spec.name, out)
    conversion, amount = _compare(conv, value, t, c)
    n_t = float(t.sum())
    cost = float(cost_each[t].sum())
    rate = record.spec.objective.revenue_rate
    out["conversion"] = conversion.as_dict()
    out["value"] = amount.as_dict() if amount else None
    out["incremental_conversions"] = _scaled(conversion.diff, conversion.ci95, n_t)
    out["cost"] = round(cost, 2)
    if amount is not None:
        revenue = _scaled(amount.diff, amount.ci95, n_t * rate)
        out["incremental_revenue"] = revenue
        out["roi"] = (None if cost == 0 else
                      {"estimate": (revenue["estimate"] - cost) / cost,
                       "ci95": [(revenue["ci95"][0] - cost) / cost, (revenue["ci95"][1] - cost) / cost]})
    out["engagement"] = {a: {"opened": float(np.mean(np.array(data.column("opened").to_pylist())[m])),
                             "clicked": float(np.mean(np.array(data.column("clicked").to_pylist())[m]))}
                         for a, m in ((TREATMENT, t), (CONTROL, c))}
    segments = []
    for s in sorted({str(v) for v in stratum}):
        ts, cs = t & (stratum == s), c & (stratum == s)
        if ts.sum() == 0 or cs.sum() == 0:
            segments.append({"stratum": s, "n_treatment": int(ts.sum()), "n_control": int(cs.sum()),
                             "conversion": None, "value": None})
            continue
        sc, sv = _compare(conv, value, ts, cs)
        segments.append({"stratum": s, "n_treatment": int(ts.sum()), "n_control": int(cs.sum()),
                         "conversion": sc.as_dict(), "value": sv.as_dict() if sv else None})
    out["by_segment"] = segments
    out["uplift"] = _uplift(engine, snapshot, ids, t, c, conv)
    return Evaluation(record.campaign_id, record.spec.name, out)


def _uplift(engine: Engine, snapshot: str, ids: list[str], t: np.ndarray[Any, Any],
            c: np.ndarray[Any, Any], conv: np.ndarray[Any, Any]) -> dict[str, Any]:
    keep = t | c
    x = features(engine, snapshot, [i for i, k in zip(ids, keep, strict=True) if k])
    try:
        scores = uplift.t_learner_scores(x, t[keep], conv[keep])
    except ValueError as exc:
        return {"model": "T-learner (LightGBM)", "error": str(exc)}
    curve = uplift.qini_curve(scores, t[keep], conv[keep])
    return {"model": "T-learner (LightGBM), 5-fold cross-fitted", "features": int(x.shape[1]),
            **curve.as_dict()}

