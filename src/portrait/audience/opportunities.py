"""Demand by segment: which products a segment's non-holders are likely to take up.

For each segment × product category, the segment's holding rate is taken as the adoption
rate its non-holders would reach: ``expected conversions = non-holders × segment holding
rate``. The non-holders form the suggested audience, written in the tag-expression
language (``segment = 'S3' and not holds('fund')``). Listed largest expected gain first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def audience_expression(segment: str, category: str, source: str | None) -> str:
    """The segment's non-holders of a category, as a tag expression."""
    held = (f"holds({_quoted(category)})" if source == "set" else f"holds_{category}")
    return f"segment = {_quoted(segment)} and not {held}"


def opportunities(cards: Sequence[dict[str, Any]], top: int | None = None) -> list[dict[str, Any]]:
    """Segment × category opportunities from the segment cards, largest expected gain first.

    Args:
        cards: Cards as built by :func:`portrait.audience.cards.build_cards`.
        top: Keep only the first ``top`` (all when None).
    """
    rows: list[dict[str, Any]] = []
    for card in cards:
        for h in card["holdings"]:
            size, holders = int(card["size"]), int(h["holders"])
            non_holders = size - holders
            rate = holders / size if size else 0.0
            if non_holders <= 0 or rate <= 0:
                continue
            rows.append({
                "segment": card["segment"], "name": card["name"], "category": h["category"],
                "title": h["title"], "segment_size": card["size"],
                "segment_rate": h["segment_rate"], "book_rate": h["book_rate"], "lift": h["lift"],
                "non_holders": non_holders,
                "expected_conversions": round(non_holders * rate, 1),
                "audience": audience_expression(card["segment"], h["category"],
                                                card.get("holdings_source"))})
    rows.sort(key=lambda r: (-r["expected_conversions"], -(r["lift"] or 0), r["segment"],
                             r["category"]))
    return rows[:top] if top is not None else rows
