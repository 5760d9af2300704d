"""The tag catalog with coverage and value figures, on the hand-made bank (3 customers)."""

from __future__ import annotations

import pytest

from portrait.errors import NotFoundError
from portrait.privacy.access import Principal
from portrait.privacy.roles import Role
from portrait.services import access, tag_catalog

MARKETER = Principal("mark", Role.MARKETER)
ANALYST = Principal("ann", Role.ANALYST)


def test_catalog_lists_every_tag_with_coverage(session: access.Session) -> None:
    data = tag_catalog.catalog(session, MARKETER, lang="zh")
    rows = {r["name"]: r for r in data["tags"]}
    assert data["as_of"] == "2025-01-31" and data["customers"] == 3
    assert len(rows) == len(session.plan().tags)
    assert rows["gender"]["title"] == "性别" and rows["gender"]["coverage"] == 1.0
    assert rows["gender"]["visible"] and not rows["has_defaulted_loan"]["visible"]
    assert rows["age"]["coverage"] is None  # not in this snapshot


def test_catalog_by_family(session: access.Session) -> None:
    data = tag_catalog.catalog(session, MARKETER, family="lifecycle")
    assert data["tags"] and {r["family"] for r in data["tags"]} == {"lifecycle"}


def test_detail_counts_values_of_a_visible_tag(session: access.Session) -> None:
    detail = tag_catalog.tag_detail(session, MARKETER, "gender", lang="en")
    assert detail["title"] == "Gender" and detail["title_zh"] == "性别"
    assert detail["distribution"] == {"top": [{"value": "M", "count": 3}]}
    assert detail["coverage"] == 1.0 and detail["customers"] == 3


def test_detail_hides_values_above_clearance(session: access.Session) -> None:
    assert tag_catalog.tag_detail(session, MARKETER, "dependents")["distribution"] is None
    numeric = tag_catalog.tag_detail(session, ANALYST, "dependents")["distribution"]
    assert numeric["quantiles"]["p0"] == 0 and numeric["quantiles"]["p50"] == 1
    assert numeric["quantiles"]["p100"] == 2 and numeric["mean"] == 1.0


def test_unknown_tag(session: access.Session) -> None:
    with pytest.raises(NotFoundError):
        tag_catalog.tag_detail(session, MARKETER, "no_such_tag")
