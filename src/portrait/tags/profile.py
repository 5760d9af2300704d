"""A customer's portrait: every tag of the latest (or a given) snapshot, by family."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from portrait.errors import NotFoundError
from portrait.store.engine import Engine
from portrait.tags import snapshots
from portrait.tags.plan import Plan
from portrait.tags.spec import FAMILIES


@dataclass
class TagValue:
    name: str
    title: str
    value: Any
    type: str
    sensitivity: str


@dataclass
class Profile:
    customer_id: str
    as_of: dt.date
    families: dict[str, list[TagValue]] = field(default_factory=dict)
    uncovered: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "as_of": self.as_of.isoformat(),
            "families": {f: [{"name": t.name, "title": t.title, "value": t.value}
                             for t in tags] for f, tags in self.families.items()},
            "uncovered": self.uncovered,
        }


def profile(engine: Engine, plan: Plan, customer_id: str, *, as_of: dt.date | None = None,
            lang: str = "en") -> Profile:
    """Every tag of one customer, grouped by family, with titles in ``lang``.

    Raises:
        NotFoundError: No snapshot has been built, or the customer is not in it.
    """
    snap = snapshots.find(engine, as_of)
    if snap is None:
        raise NotFoundError("No tag snapshot" + (f" as of {as_of}" if as_of else "") + ".",
                            hint="Build one with `portrait tags build`.")
    rows = engine.query_arrow(
        exp.select("*").from_(exp.to_table(snap["table"])).where(
            exp.EQ(this=exp.column("customer_id"), expression=exp.Literal.string(customer_id))))
    if rows.num_rows == 0:
        raise NotFoundError(f"Customer {customer_id!r} is not in the snapshot as of {snap['as_of']}.",
                            hint="Check the id, or whether the customer had joined by that date.")
    record = rows.to_pylist()[0]
    result = Profile(customer_id, snap["as_of"], {f: [] for f in FAMILIES}, dict(snap["uncovered"]))
    for name in snap["tags"]:
        if name in result.uncovered or name not in plan.tags:
            continue
        spec = plan.tags[name].spec
        title = spec.title.zh if lang == "zh" else spec.title.en
        value = record.get(name)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        result.families[spec.family].append(TagValue(name, title, value, spec.type, spec.sensitivity))
    result.families = {f: v for f, v in result.families.items() if v}
    return result
