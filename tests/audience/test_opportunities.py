"""Opportunities by segment, computed by hand from two cards."""

from __future__ import annotations

from portrait.audience.opportunities import audience_expression, opportunities


def card(segment: str, size: int, holdings: dict[str, tuple[int, float]],
         source: str = "set") -> dict[str, object]:
    return {"segment": segment, "size": size, "name": {"en": segment, "zh": segment},
            "holdings_source": source,
            "holdings": [{"category": c, "title": {"en": c, "zh": c}, "holders": n,
                          "segment_rate": round(n / size, 4), "book_rate": book,
                          "lift": round(n / size / book, 3)}
                         for c, (n, book) in holdings.items()]}


CARDS = [card("S1", 1000, {"fund": (300, 0.2), "deposit": (1000, 0.99), "loan": (0, 0.1)}),
         card("S2", 400, {"fund": (40, 0.2), "insurance": (200, 0.3)})]


def test_expected_conversions_are_non_holders_times_adoption() -> None:
    rows = opportunities(CARDS)
    got = [(r["segment"], r["category"], r["non_holders"], r["expected_conversions"])
           for r in rows]
    # S1 fund: 700 × 0.3 = 210; S2 insurance: 200 × 0.5 = 100; S2 fund: 360 × 0.1 = 36;
    # S1 deposit has no non-holders and S1 loan no adopters: no opportunity
    assert got == [("S1", "fund", 700, 210.0), ("S2", "insurance", 200, 100.0),
                   ("S2", "fund", 360, 36.0)]
    assert rows[0]["audience"] == "segment = 'S1' and not holds('fund')"
    assert rows[0]["lift"] == 1.5 and rows[0]["segment_rate"] == 0.3
    assert [r["category"] for r in opportunities(CARDS, top=2)] == ["fund", "insurance"]


def test_audience_expression_for_the_holds_booleans() -> None:
    assert audience_expression("S3", "fund", "boolean") == "segment = 'S3' and not holds_fund"
    assert audience_expression("S3", "o'k", "set") == "segment = 'S3' and not holds('o''k')"
