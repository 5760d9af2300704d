"""Planning a campaign: audience → contact policy → randomized arms → budget, without
contacting anyone. The plan (funnel, balance, compliance, members) is stored so that
``launch`` executes exactly what was planned.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
from sqlglot import exp

from portrait.campaign import assignment, compliance, policy, population
from portrait.campaign.assignment import CONTROL, TREATMENT, Balance, Keyed
from portrait.campaign.spec import CampaignSpec
from portrait.errors import DefinitionError, NotFoundError
from portrait.store.engine import Engine

DEFAULT_BALANCE = ("age", "aum", "tenure_years", "product_count", "txn_count_90d",
                   "risk_level_score", "monthly_income", "churn_probability")
STRATA_TAGS = ("segment", "value_tier")
_NUMERIC = ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "BOOLEAN",
            "DECIMAL", "REAL", "UBIGINT", "UINTEGER")
SALUTATION = "salutation"


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    category: str
    risk_grade: str


@dataclass
class CampaignPlan:
    """What a campaign would do: the funnel, balance, compliance and every member."""

    spec: CampaignSpec
    product: Product
    as_of: dt.date
    send_at: dt.datetime
    stratify_by: str | None
    funnel: dict[str, Any]
    balance: list[Balance]
    violations: list[compliance.Violation]
    notes: list[str] = field(default_factory=list)
    members: pa.Table | None = None

    def summary(self) -> dict[str, Any]:
        return {"funnel": self.funnel, "balance": [b.as_dict() for b in self.balance],
                "compliance": [v.as_dict() for v in self.violations], "notes": self.notes,
                "stratify_by": self.stratify_by,
                "product": {"product_id": self.product.product_id, "name": self.product.name,
                            "category": self.product.category,
                            "risk_grade": self.product.risk_grade}}

    def as_dict(self) -> dict[str, Any]:
        return {"campaign_id": self.spec.campaign_id, "name": self.spec.name,
                "as_of": self.as_of.isoformat(), "send_at": self.send_at.isoformat(),
                **self.summary()}


def product(engine: Engine, product_id: str) -> Product:
    """The objective product.

    Raises:
        NotFoundError: It is not in the ``products`` table.
    """
    rows = engine.query("SELECT product_id, name, category, risk_grade FROM products "
                        "WHERE product_id = ?", [product_id])
    if not rows:
        raise NotFoundError(f"Objective product {product_id!r} is not in the products table.",
                            hint="Use a products.product_id, e.g. from `portrait status`.")
    return Product(*(str(v) for v in rows[0]))


def _check_tags(spec: CampaignSpec, columns: dict[str, str], origin: str) -> None:
    for language, text in spec.templates.as_dict().items():
        for name in compliance.placeholders(text):
            if name != SALUTATION and name not in columns:
                raise DefinitionError(
                    f"{origin}: field templates.{language}: placeholder {{{name}}} is not a tag "
                    "of the snapshot.", hint="Use {salutation} or the name of a built tag.")
    named = (("stratify_by", spec.stratify_by),
             ("audience.top.score", spec.audience.top.score if spec.audience.top else None))
    for what, tag in named:
        if tag is not None and tag not in columns:
            raise DefinitionError(f"{origin}: field {what}: {tag!r} is not a tag of the snapshot.")
    for name in spec.balance_tags or []:
        if name not in columns:
            raise DefinitionError(f"{origin}: field balance_tags: {name!r} is not a tag of the snapshot.")


def _filled(engine: Engine, table: str, tag: str, columns: dict[str, str]) -> bool:
    """Whether the snapshot has the tag with at least one value (a segment tag may be empty
    until segments are fitted)."""
    if tag not in columns:
        return False
    select = (exp.select(exp.Literal.number(1)).from_(exp.to_table(table))
              .where(exp.column(tag).is_(exp.null()).not_()).limit(1))
    return bool(engine.query(select))


def _numeric(type_name: str) -> bool:
    return type_name.upper().startswith(_NUMERIC)


def build(engine: Engine, spec: CampaignSpec, audience_ids: list[str], *, snapshot: dict[str, Any],
          keyed: Keyed, settings: policy.PolicySettings, sensitivity: dict[str, str],
          origin: str) -> CampaignPlan:
    """Plan ``spec`` for ``audience_ids`` on the tag ``snapshot`` (see :mod:`portrait.tags.snapshots`)."""
    table = str(snapshot["table"])
    columns = engine.columns(table)
    _check_tags(spec, columns, origin)
    prod = product(engine, spec.objective.product)
    stratify = spec.stratify_by or next((t for t in STRATA_TAGS if _filled(engine, table, t, columns)),
                                        None)
    balance_tags = [t for t in (spec.balance_tags or DEFAULT_BALANCE)
                    if t in columns and _numeric(columns[t]) and t not in snapshot.get("uncovered", {})]
    ids = list(dict.fromkeys(audience_ids))
    pop = population.load(engine, ids, snapshot=table, send_at=spec.schedule.start,
                          frequency_days=settings.frequency_days, stratum_tag=stratify,
                          balance_tags=balance_tags)
    result = policy.apply(pop, channels=[c.channel for c in spec.channels],
                          product_grade=prod.risk_grade,
                          do_not_contact=policy.read_do_not_contact(settings.do_not_contact),
                          start=spec.schedule.start, end=spec.schedule.end, settings=settings)
    eligible = result.eligible
    arms = np.full(len(pop), None, dtype=object)
    arms[eligible] = assignment.assign(keyed, spec.campaign_id, pop.customer_id[eligible],
                                       pop.stratum[eligible], spec.control_share)
    cost = np.array([spec.cost(c) if (c is not None and a == TREATMENT) else 0.0
                     for c, a in zip(result.channel, arms, strict=True)])
    reason = result.reason.copy()
    if spec.budget is not None:
        order = np.flatnonzero(eligible)
        order = order[np.argsort(assignment.priority(keyed, spec.campaign_id, pop.customer_id[order]),
                                 kind="stable")]
        over = order[np.cumsum(cost[order]) > spec.budget + 1e-9]
        reason[over] = "budget_cap"
        arms[over] = None
        cost[over] = 0.0
    kept = np.array([a is not None for a in arms], dtype=bool)
    values = {t: v[kept] for t, v in pop.balance.items()}
    bal = assignment.balance(values, arms[kept])
    notes = list(result.notes)
    notes += [f"balance: {b.tag} has SMD {b.smd:+.3f} (above {assignment.SMD_WARN})"
              for b in bal if b.warn and b.smd is not None]
    funnel = _funnel(len(ids), len(pop), result, reason, arms, result.channel, cost)
    members = pa.table({
        "campaign_id": pa.array([spec.campaign_id] * len(pop), pa.string()),
        "customer_id": pa.array(pop.customer_id.tolist(), pa.string()),
        "stratum": pa.array([str(s) for s in pop.stratum], pa.string()),
        "reason": pa.array(reason.tolist(), pa.string()),
        "arm": pa.array(arms.tolist(), pa.string()),
        "channel": pa.array(result.channel.tolist(), pa.string()),
        "cost": pa.array(cost, pa.float64())})
    violations = compliance.check(spec.templates.as_dict(), category=prod.category,
                                  sensitivity=sensitivity)
    return CampaignPlan(spec, prod, snapshot["as_of"], result.send_at, stratify, funnel, bal,
                        violations, notes, members)


def _funnel(requested: int, found: int, result: policy.PolicyResult, reason: Any, arms: Any,
            channel: Any, cost: Any) -> dict[str, Any]:
    treated = arms == TREATMENT
    by_channel = {c: int(((channel == c) & treated).sum()) for c in dict.fromkeys(channel[treated])}
    return {
        "audience": found,
        "not_customers": requested - found,
        "excluded": result.counts(),
        "eligible": int(result.eligible.sum()),
        "budget_cap": int((reason == "budget_cap").sum()),
        "treatment": int(treated.sum()),
        "control": int((arms == CONTROL).sum()),
        "treatment_by_channel": by_channel,
        "planned_cost": round(float(cost.sum()), 2),
    }

