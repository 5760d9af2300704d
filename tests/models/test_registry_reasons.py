"""Registry round trip, feature encoding and readable reasons on a small hand-made frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from portrait.errors import NotFoundError
from portrait.models import registry
from portrait.models.estimators import GbmClassifier, LogisticBaseline, SegmentRateBaseline
from portrait.models.features import choose_tags, encode, fit_specs, protected_closure
from portrait.models.reasons import reasons
from portrait.tags.build import load_plan

TITLES = {"liquid_assets": {"en": "Liquid assets", "zh": "流动资产"},
          "holds_fund": {"en": "Holds funds", "zh": "持有基金"},
          "risk_level": {"en": "Risk level", "zh": "风险等级"}}


def _frame(n: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "liquid_assets": rng.lognormal(9, 1.2, n),
        "holds_fund": rng.random(n) < 0.3,
        "risk_level": rng.choice(["C1", "C2", "C3", "C4", "C5", None], n),
        "products_held": [list(rng.choice(["A", "B", "C"], rng.integers(0, 3), replace=False))
                          for _ in range(n)],
    }, index=pd.Index([f"c{i}" for i in range(n)], name="customer_id"))
    logit = -3 + 2.5 * (frame["liquid_assets"] > np.exp(10)) + 0.3 * frame["holds_fund"]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return frame, y


def test_encoding_is_learned_and_replayed() -> None:
    plan = load_plan()
    frame, _ = _frame(200)
    specs = fit_specs(frame, plan, ["liquid_assets", "holds_fund", "risk_level", "products_held"])
    x = encode(frame, specs)
    assert list(x.columns) == ["liquid_assets", "holds_fund", "risk_level",
                               "products_held__A", "products_held__B", "products_held__C"]
    assert x["risk_level"].iloc[0] == ["C1", "C2", "C3", "C4", "C5"].index(frame["risk_level"].iloc[0]) \
        if frame["risk_level"].iloc[0] else np.isnan(x["risk_level"].iloc[0])
    row = frame.iloc[[0]]
    assert x.loc[row.index, "products_held__A"].item() == float("A" in row["products_held"].item())


def test_protected_tags_and_their_dependants_are_kept_out() -> None:
    plan = load_plan()
    blocked = protected_closure(plan)
    assert {"gender", "age", "generation", "age_band"} <= blocked
    assert "liquid_assets" not in blocked
    choice = choose_tags(plan, ["age", "gender", "liquid_assets", "churn_probability", "city"],
                         uncovered=["city"])
    assert choice.features == ["liquid_assets"]
    assert choice.excluded["churn_probability"] == "model score"
    assert choice.excluded["city"] == "uncovered"
    assert choose_tags(plan, ["age", "liquid_assets"], [], ["age"]).features == ["age", "liquid_assets"]


def test_registry_round_trip(tmp_path: Path) -> None:
    plan = load_plan()
    frame, y = _frame()
    specs = fit_specs(frame, plan, ["liquid_assets", "holds_fund", "risk_level", "products_held"])
    x = encode(frame, specs)
    model = GbmClassifier({"n_estimators": 60}).fit(x, y)
    meta = {"kind": "adoption", "features": [s.as_dict() for s in specs], "metrics": {"auc": 0.7},
            "as_of_dates": ["2024-06-30"], "data_hash": registry.data_hash(x, y)}
    assert registry.save(tmp_path, "propensity_fund", model.booster_, meta) == "v1"
    assert registry.save(tmp_path, "propensity_fund", model.booster_, meta) == "v2"
    loaded = registry.load(tmp_path, "propensity_fund")
    assert loaded.version == "v2" and registry.versions(tmp_path, "propensity_fund") == ["v1", "v2"]
    np.testing.assert_allclose(loaded.score(frame), model.score(x), rtol=1e-9)
    assert loaded.specs == specs
    assert loaded.meta["data_hash"] == registry.data_hash(encode(frame, loaded.specs), y)
    assert {"lightgbm", "scikit-learn", "python"} <= set(loaded.meta["library_versions"])
    assert registry.names(tmp_path) == ["propensity_fund"]
    with pytest.raises(NotFoundError, match="Did you mean propensity_fund"):
        registry.load(tmp_path, "propensity_fnd")


def test_reasons_name_the_driver_in_both_languages() -> None:
    plan = load_plan()
    frame, y = _frame()
    specs = fit_specs(frame, plan, ["liquid_assets", "holds_fund", "risk_level"])
    x = encode(frame, specs)
    model = GbmClassifier({"n_estimators": 80}).fit(x, y)
    rich = frame.index[frame["liquid_assets"] > np.exp(11)][:5]
    rows = frame.index.get_indexer(rich)
    contrib = model.contributions(x.iloc[rows])
    en = reasons(contrib, frame.iloc[rows], specs, TITLES, "en")
    zh = reasons(contrib, frame.iloc[rows], specs, TITLES, "zh")
    for r_en, r_zh in zip(en, zh, strict=True):
        assert r_en[0]["text"] == "Liquid assets: high"
        assert r_zh[0]["text"] == "流动资产：高"
        assert all(r["contribution"] > 0 for r in r_en)


def test_baselines() -> None:
    frame, y = _frame()
    seg = pd.Series(np.where(frame["liquid_assets"] > np.exp(10), "rich", "other"), index=frame.index)
    rates = SegmentRateBaseline(prior=0).fit(seg, y)
    assert rates.rates_["rich"] == pytest.approx(y[seg.to_numpy() == "rich"].mean())
    plan = load_plan()
    x = encode(frame, fit_specs(frame, plan, ["liquid_assets", "holds_fund", "risk_level"]))
    s = LogisticBaseline().fit(x, y).score(x)
    assert s.shape == (len(y),) and 0 < s.min() < s.max() < 1
