"""Tag quality: the statistics on tiny hand-computed inputs, the adoption label, pruning,
and an end-to-end run (CLI → JSON and HTML) on a small workspace."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from portrait.cli.app import app
from portrait.errors import UsageError
from portrait.store import Workspace
from portrait.store.engine import Engine
from portrait.tags import quality_stats as st
from portrait.tags.build import build
from portrait.tags.loader import load_catalog
from portrait.tags.plan import build_plan
from portrait.tags.quality_outcome import adoption_labels, horizon_end
from portrait.tags.quality_report import Pair, TagOutcome, TagQuality, pruning

FIXTURE = Path(__file__).parent / "fixture_catalog"
AS_OF = dt.date(2024, 6, 30)


def codes(*values: int) -> st.Codes:
    return np.array(values, dtype=np.int64)


# --- PSI ---------------------------------------------------------------------------------

def test_psi_of_identical_distributions_is_zero() -> None:
    assert st.psi([10, 20, 30], [1, 2, 3]) == 0.0
    assert st.psi_flag(0.0) == "stable"


def test_psi_two_bins_by_hand() -> None:
    # (0.25 − 0.5)·ln(0.25/0.5) + (0.75 − 0.5)·ln(0.75/0.5) = 0.25·ln 2 + 0.25·ln 1.5
    assert st.psi([50, 50], [25, 75]) == pytest.approx(0.25 * math.log(2) + 0.25 * math.log(1.5))
    assert st.psi([50, 50], [25, 75]) == pytest.approx(0.274653, abs=1e-6)
    assert st.psi_flag(st.psi([50, 50], [25, 75])) == "unstable"
    # 0.2·ln(5/3) + 0.2·ln(1.4) = 0.16946: moderate
    assert st.psi([50, 50], [30, 70]) == pytest.approx(0.169459, abs=1e-6)
    assert st.psi_flag(st.psi([50, 50], [30, 70])) == "moderate"


def test_psi_empty_bin_counts_as_epsilon() -> None:
    # old (1, 0) → shares (1, 1e-4); new (0.99, 0.01)
    expected = (0.99 - 1) * math.log(0.99) + (0.01 - 1e-4) * math.log(0.01 / 1e-4)
    assert st.psi([100, 0], [99, 1]) == pytest.approx(expected)


# --- WoE / IV ----------------------------------------------------------------------------

def test_iv_of_a_perfectly_separating_tag_is_large() -> None:
    labels = np.array([1] * 5 + [0] * 5, dtype=np.int8)
    table = st.woe_iv(codes(*[1] * 5, *[2] * 5), labels, 3)
    # Laplace: p = (6/7, 1/7), q = (1/7, 6/7) → WoE = ±ln 6, IV = 2 · (5/7) · ln 6
    assert table.woe[1] == pytest.approx(math.log(6))
    assert table.woe[2] == pytest.approx(-math.log(6))
    assert table.iv == pytest.approx(10 / 7 * math.log(6))
    assert table.iv > 0.5


def test_iv_of_an_independent_tag_is_zero() -> None:
    labels = np.array([1, 1, 0, 0, 0] * 2, dtype=np.int8)
    table = st.woe_iv(codes(*[1] * 5, *[2] * 5), labels, 3)
    assert table.iv == pytest.approx(0.0, abs=1e-12)


def test_iv_ignores_customers_outside_the_population() -> None:
    labels = np.array([1, 0, -1, -1], dtype=np.int8)
    table = st.woe_iv(codes(1, 2, 1, 2), labels, 3)
    assert table.rows.tolist() == [0, 1, 1]
    assert table.events.tolist() == [0, 1, 0]


# --- Cramér's V and Spearman -------------------------------------------------------------

def test_cramers_v_of_identical_columns_is_one() -> None:
    a = codes(1, 1, 2, 2, 3, 3, 1, 2, 3)
    assert st.cramers_v(a, a) == pytest.approx(1.0)
    assert st.cramers_v(a, a, bias_corrected=False) == pytest.approx(1.0)
    # a relabelling is still a perfect association
    assert st.cramers_v(a, 4 - a) == pytest.approx(1.0)


def test_cramers_v_of_independent_columns_is_zero_and_skips_nulls() -> None:
    a, b = codes(1, 1, 2, 2), codes(1, 2, 1, 2)
    assert st.cramers_v(a, b) == 0.0
    # rows where either side has no value (code 0) do not count
    assert st.cramers_v(codes(1, 1, 2, 2, 0, 1), codes(1, 2, 1, 2, 1, 0)) == 0.0
    assert math.isnan(st.cramers_v(codes(1, 1, 1), codes(1, 2, 1)))  # a constant side


def test_spearman_of_monotone_columns_is_one() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert st.spearman(x, x**3) == pytest.approx(1.0)
    assert st.spearman(x, -np.exp(x)) == pytest.approx(-1.0)
    with_gap = np.array([1.0, np.nan, 2.0, 3.0])
    assert st.spearman(with_gap, np.array([5.0, 0.0, 6.0, 9.0])) == pytest.approx(1.0)


def test_average_ranks_share_ties() -> None:
    assert st.average_ranks(np.array([10.0, 20.0, 20.0, 30.0, np.nan])).tolist()[:4] == [1, 2.5, 2.5, 4]


def test_spearman_matrix_matches_pairwise() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    cols = np.column_stack([x, x**3, rng.normal(size=200), np.round(x)])
    rho = st.spearman_matrix(cols)
    assert rho[0, 1] == pytest.approx(1.0)
    for i in range(4):
        for j in range(4):
            if i != j:
                assert rho[i, j] == pytest.approx(st.spearman(cols[:, i], cols[:, j]), abs=1e-9)


# --- binning -----------------------------------------------------------------------------

def test_decile_bins_and_null_bin() -> None:
    values = np.array([*range(1, 11), np.nan], dtype=np.float64)
    edges = st.quantile_edges(values, 2)  # the median of 1 … 10
    assert edges.tolist() == [5.5]
    enc = st.bin_numeric(values, edges)
    assert enc.codes.tolist() == [1] * 5 + [2] * 5 + [0]
    assert enc.labels == ["< 5.5", "≥ 5.5"]
    assert st.sorted_quantiles(np.arange(11.0), [0.05, 0.5]).tolist() == pytest.approx([0.5, 5.0])


def test_categories_keep_the_most_frequent_and_pool_the_rest() -> None:
    indices = codes(0, 1, 1, 2, 2, 2, 3, 0)
    present = np.array([True] * 7 + [False])
    enc, counts = st.encode_categories(indices, present, ["a", "b", "c", "d"], top=2)
    assert enc.labels == ["c", "b", "(other)"]
    assert enc.codes.tolist() == [3, 2, 2, 1, 1, 1, 3, 0]
    assert counts.tolist() == [1, 2, 3, 1]


# --- pruning -----------------------------------------------------------------------------

def tq(name: str, coverage: float = 1.0, cardinality: int = 5, iv: float | None = None) -> TagQuality:
    t = TagQuality(name, name, name, "numeric", None, coverage, cardinality)
    if iv is not None:
        t.outcomes["fund"] = TagOutcome(iv, "x", 0.0, 0, 1.0)
    return t


def test_pruning_flags_a_duplicate_and_a_constant() -> None:
    tags = [tq("balance", iv=0.3), tq("balance_copy", coverage=0.9, iv=0.3), tq("flag", cardinality=1),
            tq("rare", coverage=0.005), tq("age", iv=0.01), tq("income", iv=0.2)]
    pairs = [Pair("balance", "balance_copy", "spearman", 0.99, 100),
             Pair("age", "income", "spearman", 0.92, 100)]
    out = {p.tag: p for p in pruning(tags, pairs, ["fund"])}
    assert set(out) == {"balance_copy", "flag", "rare", "age"}
    assert out["balance_copy"].reason == "duplicate" and out["balance_copy"].keep == "balance"
    assert out["balance_copy"].numbers["spearman"] == 0.99
    assert "near-duplicate of balance" in out["balance_copy"].detail
    assert out["flag"].reason == "constant" and out["flag"].numbers["cardinality"] == 1
    assert out["rare"].reason == "low_coverage"
    assert out["age"].reason == "no_signal" and out["age"].numbers["iv_fund"] == 0.01
    # without an outcome analysed, nothing is pruned for lack of signal
    assert "age" not in {p.tag for p in pruning(tags, pairs, [])}


def test_a_tag_without_signal_does_not_shield_its_duplicate() -> None:
    tags = [tq("flagged", coverage=1.0, iv=0.001), tq("useful", coverage=0.9, iv=0.3)]
    out = {p.tag: p for p in pruning(tags, [Pair("flagged", "useful", "cramers_v", 0.99, 9)], ["fund"])}
    assert set(out) == {"flagged"} and out["flagged"].reason == "no_signal"


def test_pruned_duplicates_always_name_a_kept_tag() -> None:
    tags = [tq("a", iv=0.5), tq("b", iv=0.4), tq("c", iv=0.3)]
    pairs = [Pair("b", "c", "spearman", 0.999, 9), Pair("a", "b", "spearman", 0.96, 9),
             Pair("a", "c", "spearman", 0.955, 9)]
    out = {p.tag: p.keep for p in pruning(tags, pairs, ["fund"])}
    assert out == {"b": "a", "c": "a"}


# --- the adoption label ------------------------------------------------------------------

@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    from portrait.store import open_engine

    eng = open_engine("duckdb", tmp_path / "w.duckdb")
    eng.ensure_canonical_tables()
    return eng


def test_adoption_counts_only_new_holdings_inside_the_horizon(engine: Engine) -> None:
    engine.execute("INSERT INTO products VALUES ('f', 'Fund', 'fund', 'R3', NULL, NULL), "
                   "('d', 'Deposit', 'deposit', 'R1', NULL, NULL)")
    engine.execute("CREATE TABLE snap AS SELECT * FROM (VALUES ('held'), ('held_today'), ('inside'), "
                   "('last_day'), ('too_late'), ('ended_before'), ('other_category'), ('ended_today'), "
                   "('nothing'), ('unknown_start')) v(customer_id)")
    rows = [  # customer, product, start, end
        ("held", "f", "2023-01-01", None), ("held", "f", "2024-07-10", None),
        ("held_today", "f", "2024-06-30", None),
        ("inside", "f", "2024-07-01", None),
        ("last_day", "f", "2024-09-28", None),  # as_of + 90 days: inside (closed interval)
        ("too_late", "f", "2024-09-29", None),
        ("ended_before", "f", "2022-01-01", "2024-01-01"), ("ended_before", "f", "2024-08-01", None),
        ("other_category", "d", "2024-07-05", None),
        ("ended_today", "f", "2022-01-01", "2024-06-30"),
        ("unknown_start", "f", None, None),
    ]
    for i, (cid, prod, start, stop) in enumerate(rows):
        engine.execute("INSERT INTO holdings (holding_id, customer_id, product_id, start_at, end_at, status) "
                       "VALUES (?, ?, ?, CAST(? AS DATE), CAST(? AS DATE), 'active')",
                       [f"h{i}", cid, prod, start, stop])
    end = horizon_end(AS_OF, "90d")
    assert end == dt.date(2024, 9, 28)
    labels = adoption_labels(engine, "snap", "fund", AS_OF, end).to_pydict()
    got = dict(zip(labels["customer_id"], labels["adopted"], strict=True))
    assert got == {"held": None, "held_today": None, "unknown_start": None,  # already hold a fund
                   "inside": 1, "last_day": 1, "ended_before": 1,
                   "too_late": 0, "other_category": 0, "ended_today": 0, "nothing": 0}


def test_horizon_end() -> None:
    assert horizon_end(AS_OF, "1d") == dt.date(2024, 7, 1)
    assert horizon_end(dt.date(2024, 8, 31), "6m") == dt.date(2025, 2, 28)
    assert horizon_end(dt.date(2024, 2, 29), "1y") == dt.date(2025, 2, 28)
    for bad in ("90", "0d", "3w", ""):
        with pytest.raises(UsageError):
            horizon_end(AS_OF, bad)


# --- end to end --------------------------------------------------------------------------

EXTRA = """\
- name: balance_copy
  title: {en: Balance (copy), zh: 余额副本}
  family: economic
  change: dynamic
  sensitivity: internal
  type: numeric
  description: The balance again, doubled.
  expr: balance * 2
- name: constant_flag
  title: {en: Constant, zh: 常量}
  family: basic
  change: static
  sensitivity: internal
  type: categorical
  description: Always the same.
  expr: "'x'"
"""
N = 40


def seed(eng: Engine) -> None:
    """40 customers; i % 7 == 0 already hold a fund; the others with i ≥ 25 start one on
    2024-07-15 (13 adopters among 34); the rest hold a deposit."""
    eng.execute("INSERT INTO products VALUES ('dep', 'Deposit', 'deposit', 'R1', NULL, NULL), "
                "('fund', 'Fund', 'fund', 'R3', NULL, NULL)")
    txn = 0
    for i in range(N):
        cid = f"c{i:02d}"
        eng.execute("INSERT INTO customers (customer_id, gender, birth_date, joined_at) VALUES (?, ?, ?, ?)",
                    [cid, "F" if i % 2 else "M", dt.date(1960 + i, 1 + i % 12, 1), dt.date(2020, 1, 1)])
        eng.execute("INSERT INTO accounts (account_id, customer_id, type, opened_at, status) "
                    "VALUES (?, ?, 'current', DATE '2020-01-01', 'active')", [f"A{i:02d}", cid])
        balance = 0.0
        for j in range(i % 5 + 1):
            txn += 1
            amount = 1000.0 * (i + 1) / (j + 1)
            balance += amount
            eng.execute("INSERT INTO transactions (txn_id, account_id, customer_id, ts, amount, "
                        "balance_after, channel, kind) VALUES (?, ?, ?, ?, ?, ?, ?, 'other_in')",
                        [f"t{txn}", f"A{i:02d}", cid, dt.datetime(2024, 1 + (i + j) % 6, 1 + j, 10), amount,
                         balance, ("mobile", "atm", "branch")[i % 3]])
        product, start = (("fund", dt.date(2023, 1, 1)) if i % 7 == 0 else
                          ("fund", dt.date(2024, 7, 15)) if i >= 25 else ("dep", dt.date(2021, 1, 1)))
        eng.execute("INSERT INTO holdings (holding_id, customer_id, product_id, start_at, end_at, status) "
                    "VALUES (?, ?, ?, ?, NULL, 'active')", [f"h{i}", cid, product, start])


def test_end_to_end_json_and_html(workspace: Workspace, tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "extra.yaml").write_text(EXTRA, encoding="utf-8")
    eng = workspace.engine()
    seed(eng)
    plan = build_plan(load_catalog([FIXTURE, extra], shipped=False))
    for day in (dt.date(2024, 3, 31), AS_OF):
        build(eng, plan, as_of=day)
    eng.close()

    result = CliRunner().invoke(app, ["tags", "quality", "-w", str(workspace.root), "--catalog", str(FIXTURE),
                                      "--catalog", str(extra), "--outcome", "fund", "--outcome", "loan",
                                      "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["as_of"] == "2024-06-30" and data["previous_as_of"] == "2024-03-31"
    assert data["customers"] == N
    fund, loan = data["outcomes"]
    assert (fund["population"], fund["already_holding"], fund["adopters"]) == (34, 6, 13)
    assert fund["analysed"] and fund["rate"] == pytest.approx(13 / 34, abs=1e-6)
    assert not loan["analysed"] and "No customer adopted loan" in loan["note"]
    tags = {t["name"]: t for t in data["tags"]}
    gender = tags["gender"]
    assert (gender["coverage"], gender["cardinality"], gender["psi"], gender["stability"]) == (1.0, 2, 0.0,
                                                                                               "stable")
    assert {v["value"]: v["share"] for v in gender["top_values"]} == {"F": 0.5, "M": 0.5}
    assert set(tags["balance"]["quantiles"]) == {"p5", "p25", "p50", "p75", "p95"}
    assert tags["balance"]["outcomes"]["fund"]["iv"] > 0.5  # richer customers adopt
    assert "loan" not in tags["balance"]["outcomes"]
    pairs = {(p["a"], p["b"]): p for p in data["redundant_pairs"]}
    assert pairs[("balance", "balance_copy")]["value"] == 1.0
    prune = {p["tag"]: p for p in data["prune"]}
    assert prune["constant_flag"]["reason"] == "constant"
    copies = [t for t in ("balance", "balance_copy") if t in prune]
    assert copies and all(prune[t]["reason"] == "duplicate" and prune[t]["keep"] not in prune for t in copies)

    html = Path(data["html"])
    assert html == workspace.root / "reports" / "tag-quality-2024-06-30.html"
    text = html.read_text(encoding="utf-8")
    assert "余额副本" in text and "Balance (copy)" in text and "<style>" in text
    assert "<script" not in text and "http://" not in text and "https://" not in text


def test_cli_table_and_errors(workspace: Workspace) -> None:
    eng = workspace.engine()
    seed(eng)
    build(eng, build_plan(load_catalog([FIXTURE], shipped=False)), as_of=AS_OF)
    eng.close()
    runner = CliRunner()
    base = ["tags", "quality", "-w", str(workspace.root), "--catalog", str(FIXTURE)]
    result = runner.invoke(app, [*base, "--outcome", "fund"])
    assert result.exit_code == 0, result.output
    assert "Tag quality as of 2024-06-30" in result.stdout and "HTML report" in result.stdout
    assert "needs an earlier one" in result.stdout  # one snapshot: no PSI
    assert runner.invoke(app, [*base, "--outcome", "fnd"]).exit_code == 2
    assert runner.invoke(app, [*base, "--horizon", "soon"]).exit_code == 2
    assert runner.invoke(app, [*base, "--as-of", "2020-01-01"]).exit_code == 2
