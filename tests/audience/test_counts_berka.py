"""SQL and bitmap counts agree on the real Berka data (tags as of 1994-03-30)."""

from __future__ import annotations

from pathlib import Path

import pytest

from portrait.audience.bitmap import Index
from portrait.audience.bitmap_build import build_index
from portrait.audience.bitmap_file import IndexFile
from portrait.audience.sql import count
from portrait.audience.validate import Catalog, compile_query, tag_info
from portrait.store.engine import Engine
from portrait.tags.build import BuildReport, load_plan
from tests.tags.test_berka_tags import built  # noqa: F401 - the fixture that builds Berka's tags

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXPRESSIONS = [
    "gender = 'F' and age >= 40",
    "generation in ('post_50s', 'post_60s') or age_band >= 'age_55_64'",
    "holds_loan and not has_defaulted_loan",
    "has_defaulted_loan",
    "not holds('loan')",
    "product_categories_held contains 'credit_card' and txn_count_90d > 20",
    "aum_band between 'aum_10k_50k' and 'aum_200k_1m' and tenure_years < 1.5",
    "monthly_income is null",
    "not (monthly_income > 10000.5) and value_tier = 'mass'",
    "region is not null and district_unemployment_rate >= 3",
    "days_since_last_txn <= 30 or last_demand_balance < 1000",
    # tags Berka cannot cover: NULL for everyone
    "consent_marketing_sms or viewed_categories_90d contains 'fund' or logins_30d > 1",
    "not consent_marketing_sms or preferred_channel is null",
]


def test_sql_and_bitmap_counts_agree(built: tuple[Engine, BuildReport],  # noqa: F811
                                     tmp_path: Path) -> None:
    engine, report = built
    plan = load_plan()
    infos = {n: tag_info(plan.tags[n].spec) for n in report.tags}
    build_index(engine, report.table, list(infos.values()), tmp_path / "berka.idx", meta={})
    index = Index(IndexFile(tmp_path / "berka.idx"))
    catalog = Catalog(infos, index.domain)
    counts = {}
    for text in EXPRESSIONS:
        query = compile_query(text, catalog)
        by_sql = int(engine.query(count(query, report.table))[0][0])
        assert index.count(query) == by_sql, text
        counts[text] = by_sql
    assert counts["has_defaulted_loan"] > 0
    assert counts["not consent_marketing_sms or preferred_channel is null"] == report.customers
    assert 0 < counts["gender = 'F' and age >= 40"] < report.customers
