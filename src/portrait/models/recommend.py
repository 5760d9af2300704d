"""Next best product: a three-tier shelf per customer, ranked by propensity × value.

* **held** (fixed preference): what the customer already holds; shown, never offered.
* **migratable**: products (and categories) the customer looked at recently but does not
  hold — tags ``migratable_products`` / ``migratable_categories``.
* **predicted** (transferable): product categories the customer does not hold, ranked
  by expected value = P(adopt the category in the horizon) × the category's value per
  adoption; each gets the most popular product of the category the customer may have.

Every offered product passes :func:`portrait.models.suitability.ineligible` first (risk
grade within the customer's level, on sale, minimum amount, credit rules); what was
dropped is listed with the reason, so the shelf can be audited.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from portrait.models.suitability import FLAG_ASSESSMENT, Product, ineligible, max_grade

#: Indicative yearly margin per unit of the typical holding amount, by category; a
#: workspace overrides them in ``[models.margins]``. They only weigh categories against
#: each other; see docs/decisions.md.
MARGINS: dict[str, float] = {
    "deposit": 0.015, "time_deposit": 0.01, "wealth": 0.006, "fund": 0.012, "bond": 0.003,
    "insurance": 0.15, "loan": 0.02, "mortgage": 0.008, "credit_card": 0.03,
    "debit_card": 0.0, "payment_service": 0.0, "pension": 0.01,
}
#: Value of an adoption when the category has no amounts to go by (cards, services).
FLAT_VALUE = 100.0
SHELF_SIZE = 3


@dataclass(frozen=True)
class Offer:
    """One product on the shelf, with why it is there."""

    tier: str
    product: Product
    propensity: float | None
    expected_value: float | None
    reasons: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        p = self.product
        return {"tier": self.tier, "product_id": p.product_id, "name": p.name,
                "category": p.category, "risk_grade": p.risk_grade,
                "propensity": _round(self.propensity), "expected_value": _round(self.expected_value),
                "reasons": self.reasons}


def _round(x: float | None) -> float | None:
    return None if x is None or math.isnan(x) else round(float(x), 6)


def category_value(median_amount: float | None, category: str,
                   margins: Mapping[str, float] = MARGINS) -> float:
    """Yearly value of one adoption of ``category``: typical amount × margin (or flat)."""
    margin = margins.get(category, 0.0)
    if median_amount is None or math.isnan(median_amount) or median_amount <= 0 or margin <= 0:
        return FLAT_VALUE
    return float(median_amount) * margin


def _members(value: object) -> list[str]:
    if value is None or isinstance(value, float | str):
        return []
    try:
        return [str(v) for v in value]  # type: ignore[attr-defined]
    except TypeError:
        return []


def shelf(customer: Mapping[str, Any], products: Sequence[Product],
          propensity: Mapping[str, float], values: Mapping[str, float],
          reasons: Mapping[str, list[dict[str, Any]]], *, size: int = SHELF_SIZE) -> dict[str, Any]:
    """The shelf of one customer.

    Args:
        customer: The customer's tag values (customer_id, risk_level, products_held,
            product_categories_held, migratable_products, migratable_categories, aum, …).
        products: The product catalog.
        propensity: Category → probability of adopting it in the horizon.
        values: Category → value of one adoption.
        reasons: Category → readable reasons of its propensity.
        size: Offers per tier at most.

    Returns:
        ``{"customer_id", "risk_level", "max_grade", "flags", "held", "migratable",
        "predicted", "excluded"}``; tiers are lists of offers as dicts.
    """
    by_id = {p.product_id: p for p in products}
    allowed, needed = max_grade(customer.get("risk_level"))
    held_ids = set(_members(customer.get("products_held")))
    held_cats = set(_members(customer.get("product_categories_held")))
    held_cats |= {by_id[i].category for i in held_ids if i in by_id}
    excluded: list[dict[str, str]] = []
    offered: set[str] = set()

    def expected(category: str) -> tuple[float | None, float | None]:
        p = propensity.get(category)
        return p, (p * values.get(category, FLAT_VALUE) if p is not None else None)

    def check(product: Product) -> bool:
        why = ineligible(product, customer)
        if why is not None:
            excluded.append({"product_id": product.product_id, "why": why})
        return why is None

    held = [Offer("held", by_id[i], None, None, []).as_dict() for i in sorted(held_ids) if i in by_id]

    migratable: list[Offer] = []
    wanted = [by_id[i] for i in _members(customer.get("migratable_products"))
              if i in by_id and i not in held_ids]
    for cat in _members(customer.get("migratable_categories")):
        if cat not in held_cats and not any(p.category == cat for p in wanted):
            best = _best(products, cat, customer, held_ids)
            if best is not None:
                wanted.append(best)
    for product in wanted:
        if product.product_id not in offered and check(product):
            p, ev = expected(product.category)
            viewed = {"tag": "migratable_products", "text": "viewed recently, not held",
                      "value": product.product_id, "contribution": None}
            migratable.append(Offer("migratable", product, p, ev,
                                    [viewed, *reasons.get(product.category, [])]))
            offered.add(product.product_id)
    migratable.sort(key=lambda o: -(o.expected_value or 0.0))

    predicted: list[Offer] = []
    ranked = sorted((c for c in propensity if c not in held_cats),
                    key=lambda c: -(expected(c)[1] or 0.0))
    for cat in ranked:
        if len(predicted) >= size:
            break
        best = _best(products, cat, customer, held_ids | offered)
        if best is None:
            excluded.append({"category": cat, "why": "no product of the category may be offered"})
            continue
        p, ev = expected(cat)
        predicted.append(Offer("predicted", best, p, ev, reasons.get(cat, [])))
        offered.add(best.product_id)
    return {"customer_id": customer.get("customer_id"), "risk_level": customer.get("risk_level"),
            "max_grade": allowed, "flags": [FLAG_ASSESSMENT] if needed else [],
            "held": held, "migratable": [o.as_dict() for o in migratable[:size]],
            "predicted": [o.as_dict() for o in predicted], "excluded": excluded}


def _best(products: Sequence[Product], category: str, customer: Mapping[str, Any],
          skip: set[str]) -> Product | None:
    """The most popular product of ``category`` the customer may be offered."""
    options = [p for p in products if p.category == category and p.product_id not in skip
               and ineligible(p, customer) is None]
    if not options:
        return None
    return max(options, key=lambda p: (p.popularity, -ord(p.risk_grade[-1]), p.product_id))
