from __future__ import annotations

from pathlib import Path

import pytest

from portrait import schema
from portrait.errors import UsageError
from portrait.store import PublishItem, open_engine
from portrait.store.engine import Engine

DISTRICTS = schema.table("districts")


def _select(rows: list[tuple[str, str]]) -> str:
    values = ", ".join(f"('{i}', '{n}')" for i, n in rows)
    return (f"SELECT id AS district_id, name, NULL AS region, NULL::BIGINT AS city_tier, "
            f"NULL::BIGINT AS population, NULL::DOUBLE AS urban_ratio, "
            f"NULL::DECIMAL(18,2) AS avg_salary, NULL::DOUBLE AS unemployment_rate, "
            f"NULL::JSON AS attributes FROM (VALUES {values}) v(id, name)")


def _names(engine: Engine) -> list[tuple[str, str]]:
    return [tuple(r) for r in engine.query("SELECT district_id, name FROM districts ORDER BY 1")]  # type: ignore[misc]


def test_unknown_engine_suggests_the_closest() -> None:
    with pytest.raises(UsageError) as err:
        open_engine("duckbd", Path("x"))
    assert "Unknown engine 'duckbd'" in str(err.value)
    assert err.value.hint == "Did you mean 'duckdb'?"


def test_publish_upserts_by_key(tmp_path: Path) -> None:
    engine = open_engine("duckdb", tmp_path / "w.duckdb")
    engine.ensure_canonical_tables()
    engine.publish([PublishItem(DISTRICTS, _select([("1", "a"), ("2", "b")]), 2)], lambda e: None)
    engine.publish([PublishItem(DISTRICTS, _select([("2", "B"), ("3", "c")]), 2)], lambda e: None)
    engine.publish([PublishItem(DISTRICTS, _select([("2", "B"), ("3", "c")]), 2)], lambda e: None)
    assert _names(engine) == [("1", "a"), ("2", "B"), ("3", "c")]


def test_failed_publish_changes_nothing(tmp_path: Path) -> None:
    engine = open_engine("duckdb", tmp_path / "w.duckdb")
    engine.ensure_canonical_tables()
    engine.publish([PublishItem(DISTRICTS, _select([("1", "a")]), 1)], lambda e: None)

    def boom(e: Engine) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        engine.publish([PublishItem(DISTRICTS, _select([("1", "changed"), ("9", "z")]), 2)], boom)
    assert _names(engine) == [("1", "a")]
