"""Suitability and eligibility: which products a customer may be offered at all.

Suitability (适当性): a product's risk grade R1 … R5 must not exceed the customer's assessed
risk level C1 … C5 (R3 needs C3 or above). A customer with no valid assessment (no
``risk_level``, or one outside C1 … C5) may be offered R1 and R2 products only, and is
flagged "risk assessment needed".

Eligibility, from the ``products`` table and the customer's tags:

* a product whose ``attributes.on_sale`` is false is not offered;
* a product with a ``min_amount`` the customer's assets (``aum``, else ``liquid_assets``)
  cannot cover is not offered, for products bought with the customer's money (deposits,
  wealth, funds, bonds, insurance, pensions); unknown assets do not exclude;
* credit products (loans, mortgages, credit cards) are not offered to customers with an
  overdue or defaulted loan (``has_defaulted_loan``) or under 18 (``age``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from portrait.schema import enums

#: The highest grade offered to a customer without a valid risk assessment.
UNASSESSED_MAX = "R2"
FLAG_ASSESSMENT = "risk assessment needed"
FUNDED = frozenset({"deposit", "time_deposit", "wealth", "fund", "bond", "insurance", "pension"})
CREDIT = frozenset({"loan", "mortgage", "credit_card"})
ADULT = 18


@dataclass(frozen=True)
class Product:
    """A row of the products table, as recommendations need it."""

    product_id: str
    name: str
    category: str
    risk_grade: str
    min_amount: float | None = None
    on_sale: bool = True
    popularity: int = 0  # customers holding it: picks the usual product of a category

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Product:
        attrs = row.get("attributes")
        parsed = json.loads(attrs) if isinstance(attrs, str) and attrs else (attrs or {})
        on_sale = parsed.get("on_sale") if isinstance(parsed, dict) else None
        amount = row.get("min_amount")
        return cls(str(row["product_id"]), str(row.get("name") or row["product_id"]),
                   str(row["category"]), str(row["risk_grade"]),
                   float(amount) if amount is not None else None,
                   on_sale is not False, int(row.get("popularity") or 0))


def max_grade(risk_level: object) -> tuple[str, bool]:
    """The highest product grade allowed, and whether an assessment is needed."""
    if isinstance(risk_level, str) and risk_level in enums.RISK_LEVELS:
        return enums.RISK_GRADES[enums.RISK_LEVELS.index(risk_level)], False
    return UNASSESSED_MAX, True


def suitable(risk_grade: str, risk_level: object) -> bool:
    """Whether a product of ``risk_grade`` may be offered to a customer of ``risk_level``."""
    if risk_grade not in enums.RISK_GRADES:
        return False  # an unknown grade is never assumed safe
    allowed, _ = max_grade(risk_level)
    return enums.RISK_GRADES.index(risk_grade) <= enums.RISK_GRADES.index(allowed)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def ineligible(product: Product, customer: Mapping[str, Any]) -> str | None:
    """Why ``product`` cannot be offered to ``customer`` (tag values), or None if it can."""
    if not product.on_sale:
        return "not on sale"
    if not suitable(product.risk_grade, customer.get("risk_level")):
        allowed, needed = max_grade(customer.get("risk_level"))
        level = customer.get("risk_level") if not needed else "no valid assessment"
        return f"unsuitable: {product.risk_grade} above {allowed} ({level})"
    if product.category in FUNDED and product.min_amount:
        assets = _number(customer.get("aum"))
        assets = assets if assets is not None else _number(customer.get("liquid_assets"))
        if assets is not None and assets < product.min_amount:
            return f"assets below the minimum amount {product.min_amount:,.0f}"
    if product.category in CREDIT:
        if customer.get("has_defaulted_loan") in (True, 1):
            return "has an overdue or defaulted loan"
        age = _number(customer.get("age"))
        if age is not None and age < ADULT:
            return "under 18"
    return None
