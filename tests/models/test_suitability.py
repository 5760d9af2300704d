"""Suitability and the shelf: no unsuitable or ineligible product is ever offered."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from portrait.models.recommend import shelf
from portrait.models.suitability import FLAG_ASSESSMENT, Product, ineligible, max_grade, suitable
from portrait.schema import enums

CATS = ("deposit", "wealth", "fund", "bond", "insurance", "loan", "credit_card")


def test_grade_never_above_level() -> None:
    assert suitable("R3", "C3") and suitable("R1", "C5") and suitable("R2", "C2")
    assert not suitable("R4", "C3") and not suitable("R5", "C1")
    assert max_grade("C4") == ("R4", False)


def test_no_valid_assessment_gets_r1_r2_and_a_flag() -> None:
    for level in (None, "", "C9", "unknown", 3):
        assert max_grade(level) == ("R2", True)
        assert suitable("R2", level) and not suitable("R3", level)
    assert not suitable("R?", "C5")  # an unknown grade is never assumed safe


def test_eligibility_rules() -> None:
    fund = Product("F", "Fund", "fund", "R2", 1000.0)
    assert ineligible(fund, {"risk_level": "C3", "aum": 500.0}) == \
        "assets below the minimum amount 1,000"
    assert ineligible(fund, {"risk_level": "C3", "aum": 5000.0}) is None
    assert ineligible(fund, {"risk_level": "C3"}) is None  # unknown assets do not exclude
    assert ineligible(Product("X", "X", "fund", "R1", on_sale=False), {"risk_level": "C5"}) == \
        "not on sale"
    loan = Product("L", "Loan", "loan", "R1")
    assert ineligible(loan, {"risk_level": "C1", "has_defaulted_loan": True}) is not None
    assert ineligible(loan, {"risk_level": "C1", "age": 17}) == "under 18"
    assert ineligible(loan, {"risk_level": "C1", "age": 30}) is None


def test_shelf_tiers_by_hand() -> None:
    products = [Product("DEP", "Deposit", "deposit", "R1", popularity=100),
                Product("WM2", "Wealth R2", "wealth", "R2", popularity=5),
                Product("WM4", "Wealth R4", "wealth", "R4", popularity=50),
                Product("FD3", "Fund R3", "fund", "R3", popularity=9),
                Product("BD1", "Bond R1", "bond", "R1", popularity=3)]
    customer = {"customer_id": "c1", "risk_level": "C2", "products_held": ["DEP"],
                "product_categories_held": ["deposit"], "migratable_products": ["WM4", "FD3"],
                "migratable_categories": ["fund"], "aum": 1e6}
    out = shelf(customer, products, {"wealth": 0.3, "bond": 0.2, "fund": 0.9, "deposit": 0.99},
                {"wealth": 10.0, "bond": 1.0, "fund": 1.0, "deposit": 1.0},
                {"wealth": [{"tag": "aum", "text": "AUM: high", "value": 1e6, "contribution": 0.5}]})
    assert [o["product_id"] for o in out["held"]] == ["DEP"]
    assert out["migratable"] == []  # WM4 (R4) and FD3 (R3) are above C2
    assert {e["product_id"] for e in out["excluded"] if "product_id" in e} >= {"WM4", "FD3"}
    # wealth 0.3×10 = 3 beats bond 0.2; its R4 product is skipped for the R2 one; deposit is held
    assert [o["product_id"] for o in out["predicted"]] == ["WM2", "BD1"]
    assert out["predicted"][0]["reasons"][0]["text"] == "AUM: high"
    assert out["flags"] == []


product_st = st.builds(
    Product, product_id=st.text("ABCDEFGH", min_size=1, max_size=3), name=st.just("p"),
    category=st.sampled_from(CATS), risk_grade=st.sampled_from([*enums.RISK_GRADES, "R9"]),
    min_amount=st.one_of(st.none(), st.floats(0, 1e6)), on_sale=st.booleans(),
    popularity=st.integers(0, 100))
customer_st = st.fixed_dictionaries({
    "customer_id": st.just("c"),
    "risk_level": st.one_of(st.none(), st.sampled_from([*enums.RISK_LEVELS, "C0", ""])),
    "products_held": st.lists(st.text("ABCDEFGH", min_size=1, max_size=3), max_size=4),
    "product_categories_held": st.lists(st.sampled_from(CATS), max_size=3),
    "migratable_products": st.lists(st.text("ABCDEFGH", min_size=1, max_size=3), max_size=4),
    "migratable_categories": st.lists(st.sampled_from(CATS), max_size=3),
    "aum": st.one_of(st.none(), st.floats(0, 1e7)),
    "has_defaulted_loan": st.one_of(st.none(), st.booleans()),
    "age": st.one_of(st.none(), st.integers(10, 90)),
})


@settings(max_examples=300, deadline=None)
@given(customer=customer_st, products=st.lists(product_st, max_size=12, unique_by=lambda p: p.product_id),
       propensity=st.dictionaries(st.sampled_from(CATS), st.floats(0, 1), max_size=len(CATS)))
def test_nothing_unsuitable_is_ever_offered(customer: dict[str, Any], products: list[Product],
                                            propensity: dict[str, float]) -> None:
    out = shelf(customer, products, propensity, dict.fromkeys(CATS, 1.0), {})
    by_id = {p.product_id: p for p in products}
    offered = out["migratable"] + out["predicted"]
    for offer in offered:
        product = by_id[offer["product_id"]]
        assert suitable(product.risk_grade, customer["risk_level"])
        assert ineligible(product, customer) is None
        assert offer["product_id"] not in customer["products_held"]
    assert len({o["product_id"] for o in offered}) == len(offered)
    needs = customer["risk_level"] not in enums.RISK_LEVELS
    assert (FLAG_ASSESSMENT in out["flags"]) == needs
    if needs:
        assert all(o["risk_grade"] in ("R1", "R2") for o in offered)
