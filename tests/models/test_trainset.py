"""Point-in-time training sets on tiny hand-made tables: labels by hand, and no leakage."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from portrait.errors import UsageError
from portrait.models import labels, trainset
from portrait.models.features import choose_tags, encode, fit_specs
from portrait.models.training import train_binary
from portrait.store.engine import Engine
from portrait.tags.build import build, load_plan
from tests.models.tiny_bank import N, T, tiny_bank

H = 90


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return tiny_bank(tmp_path)


def test_adoption_labels_read_only_the_window(engine: Engine) -> None:
    build(engine, load_plan(), as_of=T)
    frame = labels.adoption(engine, "tags__20240630", T, H)
    fund = frame[frame["category"] == "fund"].set_index("customer_id")
    assert bool(fund.loc["c00", "held"]) and not bool(fund.loc["c00", "adopted"])
    assert not bool(fund.loc["c01", "held"]) and bool(fund.loc["c01", "adopted"])
    assert not bool(fund.loc["c02", "adopted"])  # after T+h
    assert not bool(fund.loc["c03", "held"])  # closed before T
    data = trainset.load_date(engine, T, H, ["product_count"], ["adoption"])
    ts = trainset.adoption_set([data], "fund", "propensity_fund")
    assert "c00" not in ts.frame.index  # holders at T are not in the population
    assert len(ts.frame) == N - 1
    assert dict(zip(ts.frame.index, ts.y, strict=True))["c01"] == 1
    assert int(ts.y.sum()) == 1


def test_churn_labels_closed_or_dormant(engine: Engine) -> None:
    build(engine, load_plan(), as_of=T)
    frame = labels.churn(engine, "tags__20240630", T, 180).set_index("customer_id")
    assert bool(frame.loc["c04", "closed"]) and bool(frame.loc["c04", "churned"])
    assert bool(frame.loc["c05", "dormant"]) and not bool(frame.loc["c05", "closed"])
    assert int(frame["churned"].sum()) == 2


def test_a_window_past_the_data_is_refused(engine: Engine) -> None:
    with pytest.raises(UsageError, match="data ends"):
        labels.check_window(engine, "churn", dt.date(2024, 12, 1), 90)


def test_future_only_signal_cannot_reach_the_features(engine: Engine) -> None:
    """Plant rows dated after T that perfectly predict the label; the features as of T are
    identical to those built without them, and a model on them learns nothing."""
    plan = load_plan()
    build(engine, plan, as_of=T)
    snap = trainset.snapshot_of(engine, T)
    choice = choose_tags(plan, snap["tags"], snap["uncovered"])
    before = trainset.snapshot_frame(engine, T, choice.features)

    rng = np.random.default_rng(7)
    positives = sorted(f"c{i:02d}" for i in rng.choice(np.arange(10, N), 30, replace=False))
    for c in positives:  # the future: a card, big transactions, a new account, events
        engine.execute("INSERT INTO holdings (holding_id, customer_id, product_id, start_at, status) "
                       "VALUES (?, ?, 'card', DATE '2024-07-10', 'active')", [f"k{c}", c])
        engine.execute("INSERT INTO accounts (account_id, customer_id, type, opened_at, status) "
                       "VALUES (?, ?, 'credit_card', DATE '2024-07-10', 'active')", [f"K{c}", c])
        engine.execute("INSERT INTO transactions (txn_id, account_id, customer_id, ts, amount, "
                       "balance_after, channel, kind) VALUES (?, ?, ?, TIMESTAMP '2024-07-01 00:00:01',"
                       " 999999, 999999, 'web', 'salary')", [f"x{c}", f"A{c[1:]}", c])
        engine.execute("INSERT INTO events (event_id, customer_id, ts, channel, type, product_id) "
                       "VALUES (?, ?, TIMESTAMP '2024-07-02', 'app', 'product_view', 'card')",
                       [f"e{c}", c])
    build(engine, plan, as_of=T)
    after = trainset.snapshot_frame(engine, T, choice.features)
    pd.testing.assert_frame_equal(before, after)

    data = trainset.load_date(engine, T, H, [*choice.features, "gender"], ["adoption"])
    ts = trainset.adoption_set([data], "credit_card", "propensity_credit_card")
    labelled = dict(zip(ts.frame.index, ts.y, strict=True))
    assert {c for c, y in labelled.items() if y == 1} == set(positives)
    x = encode(ts.frame, fit_specs(ts.frame, plan, choice.features))
    assert not any("card" in c and x[c].nunique() > 1 for c in x.columns if "holds" in c)
    trained = train_binary(ts, plan, choice.features, ["gender"], kind="adoption", segment_tag=None)
    # out-of-fold AUC of a model that cannot see the future stays near chance
    assert trained.split == "cv5"
    assert abs(trained.metrics["auc"] - 0.5) < 0.2
