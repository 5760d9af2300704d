"""Real-data check on Berka: a loan or a credit card granted in the 12 months after the
tags' as-of date (1994-03-30, the end of the transactions we have; loan.asc and card.asc
run to 1998, so the label window is inside the data)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from portrait.ingest.berka import BerkaAdapter
from portrait.ingest.pipeline import run_ingest
from portrait.services import models as models_service
from portrait.store import init_workspace
from portrait.tags.build import build, load_plan

pytestmark = pytest.mark.integration
AS_OF = dt.date(1994, 3, 30)


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    from tests.conftest import shared

    ws = init_workspace(tmp_path_factory.mktemp("berka-models") / "ws")
    run_ingest(ws, BerkaAdapter(shared("berka")))
    engine = ws.engine()
    build(engine, load_plan(), as_of=AS_OF)
    engine.close()
    return ws.root, models_service.train_all(ws.root, as_of=[AS_OF], horizon="12m",
                                             groups={"credit": ["loan", "credit_card"]},
                                             score=False)


def test_loan_or_card_beats_the_baseline(result: tuple[Path, dict[str, Any]]) -> None:
    _, r = result
    credit = next(m for m in r["models"] if m["name"] == "propensity_credit")
    assert credit["split"] == "cv5"  # one as-of date: out-of-fold scores
    assert 0.05 < credit["metrics"]["base_rate"] < 0.15
    assert credit["metrics"]["auc"] > 0.7
    assert credit["metrics"]["auc"] > credit["baselines"]["segment_rate"]["auc"]
    # churn and value need transactions after T, which this extract does not have
    assert "transactions end on 1994-03-30" in r["skipped"]["churn"]


def test_undated_standing_orders_are_kept_out(result: tuple[Path, dict[str, Any]]) -> None:
    root, _ = result
    meta = models_service.show_model(root, "propensity_credit")
    features = {f["tag"] for f in meta["features"]}
    # Berka's standing orders have no dates (order.asc is the state at the end, 1998):
    # tags reading holdings would see orders set up for loans granted after T
    assert "products_held" not in features and "product_count" not in features
    assert "undated" in meta["excluded"]["products_held"]
    assert "gender" not in features and "age" not in features
