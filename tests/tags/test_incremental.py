"""Incremental builds carry static tags over only while nothing they read has changed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from portrait.store.engine import Engine
from portrait.tags import incremental
from portrait.tags.build import build
from portrait.tags.loader import load_catalog
from portrait.tags.plan import build_plan
from tests.tags.test_tag_build import AS_OF, FIXTURE, engine, plan

__all__ = ["engine"]  # the fixture, imported for pytest


def _gender(eng: Engine, table: str) -> dict[str, str]:
    return dict(eng.query(f"SELECT customer_id, gender FROM {table}"))  # type: ignore[arg-type]


def test_an_unchanged_static_tag_is_carried_over_not_recomputed(engine: Engine) -> None:
    first = build(engine, plan(), as_of=AS_OF)
    assert first.carried == []
    # Alter the stored value behind the build's back: a carried tag keeps it.
    engine.execute(f"UPDATE {first.table} SET gender = 'X' WHERE customer_id = 'a'")
    second = build(engine, plan(), as_of=AS_OF)
    assert second.carried == ["gender"]
    assert second.carried_from == AS_OF
    assert _gender(engine, second.table)["a"] == "X"
    assert "age" not in second.carried  # dynamic: every build
    full = build(engine, plan(), as_of=AS_OF, incremental=False)
    assert full.carried == []
    assert _gender(engine, full.table) == {"a": "F", "b": "M"}


def test_a_changed_input_table_recomputes_the_static_tag(engine: Engine) -> None:
    build(engine, plan(), as_of=AS_OF)
    engine.execute("UPDATE customers SET gender = 'F' WHERE customer_id = 'b'")
    report = build(engine, plan(), as_of=AS_OF)
    assert report.carried == []
    assert _gender(engine, report.table)["b"] == "F"


def test_new_customers_are_computed_and_earlier_ones_carried(engine: Engine) -> None:
    first = build(engine, plan(), as_of=AS_OF)
    engine.execute(f"UPDATE {first.table} SET gender = 'X' WHERE customer_id = 'a'")
    later = dt.date(2024, 7, 31)  # customer c joined on 2024-07-01
    report = build(engine, plan(), as_of=later)
    assert report.carried == ["gender"] and report.carried_from == AS_OF
    assert _gender(engine, report.table) == {"a": "X", "b": "M", "c": "M"}


def test_a_changed_definition_is_recomputed(engine: Engine, tmp_path: Path) -> None:
    first = build(engine, plan(), as_of=AS_OF)
    engine.execute(f"UPDATE {first.table} SET gender = 'X' WHERE customer_id = 'a'")
    text = (FIXTURE / "tags.yaml").read_text(encoding="utf-8")
    changed = text.replace("expr: customer.gender", "expr: upper(customer.gender)", 1)
    assert changed != text
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "tags.yaml").write_text(changed, encoding="utf-8")
    report = build(engine, build_plan(load_catalog([tmp_path / "cat"], shipped=False)), as_of=AS_OF)
    assert report.carried == []
    assert _gender(engine, report.table)["a"] == "F"


def test_fingerprints_of_dated_tags_change_with_the_date(engine: Engine, tmp_path: Path) -> None:
    text = (FIXTURE / "tags.yaml").read_text(encoding="utf-8")
    # make the 90-day transaction count static: its values still depend on the date
    head, _, tail = text.partition("- name: txn_count_90d\n")
    tail = tail.replace("change: dynamic", "change: static", 1)
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "tags.yaml").write_text(head + "- name: txn_count_90d\n" + tail, encoding="utf-8")
    p = build_plan(load_catalog([tmp_path / "cat"], shipped=False))
    one = incremental.fingerprints(engine, p, ["gender", "txn_count_90d"], AS_OF)
    two = incremental.fingerprints(engine, p, ["gender", "txn_count_90d"], AS_OF + dt.timedelta(days=1))
    assert one["gender"] == two["gender"]
    assert one["txn_count_90d"] != two["txn_count_90d"]
    assert "wealth_rank" not in incremental.fingerprints(engine, p, ["wealth_rank"], AS_OF)


def test_values_trading_places_between_rows_change_the_fingerprint(engine: Engine) -> None:
    engine.execute("CREATE TABLE swap (k VARCHAR, v VARCHAR)")
    engine.execute("INSERT INTO swap VALUES ('a', 'x'), ('b', 'y')")
    before = incremental.table_fingerprints(engine, {"swap"})
    engine.execute("UPDATE swap SET v = CASE v WHEN 'x' THEN 'y' ELSE 'x' END")
    assert incremental.table_fingerprints(engine, {"swap"}) != before
