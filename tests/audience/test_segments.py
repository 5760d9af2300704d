"""Clustering segments on tiny hand-made snapshots: features, k, reproducibility."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from portrait.audience import segments
from portrait.errors import UsageError
from portrait.tags.spec import TagSpec


def spec(name: str, type_: str, **extra: Any) -> TagSpec:
    fields: dict[str, Any] = {"name": name, "title": {"en": name.title(), "zh": name},
                              "family": "economic", "change": "dynamic",
                              "sensitivity": "internal", "type": type_, "description": name,
                              "expr": "1"}
    fields.update(extra)
    if "model" in extra or "bins" in extra:
        fields.pop("expr")
    return TagSpec.model_validate(fields)


SPECS = {s.name: s for s in [
    spec("balance", "numeric"), spec("logins", "numeric"), spec("digital", "boolean"),
    spec("channel", "categorical"), spec("tier", "ordinal", order=["low", "mid", "high"]),
    spec("gender", "categorical", family="basic"), spec("age", "numeric", family="basic"),
    spec("held", "set"), spec("churn", "numeric", family="model", model={"model": "churn"}),
    spec("secret", "boolean", sensitivity="restricted"),
    spec("consent_sms", "boolean"), spec("sms_reachable", "boolean"),
    spec("balance_band", "ordinal", bins={"tag": "balance", "edges": [[0, "lo"], [100, "hi"]]}),
]}


def two_groups(n: int = 60, seed: int = 3) -> pd.DataFrame:
    """Half savers (large balances, offline), half digital (small balances, many logins)."""
    rng = np.random.default_rng(seed)
    half = n // 2
    return pd.DataFrame({
        "customer_id": [f"c{i:03d}" for i in range(n)],
        "balance": np.r_[rng.uniform(50_000, 60_000, half), rng.uniform(10, 100, half)],
        "logins": np.r_[rng.integers(0, 2, half), rng.integers(20, 30, half)].astype(float),
        "digital": [False] * half + [True] * half,
        "channel": ["branch"] * half + ["app"] * half,
    })


def test_tags_left_out_say_why() -> None:
    names = ["customer_id", *SPECS, "unknown"]
    chosen, skipped = segments.select_tags(SPECS, names, ["logins"])
    assert chosen == ["balance", "digital", "channel", "tier"]
    assert skipped == {
        "logins": "uncovered", "gender": "protected attribute (set [segments] include to use it)",
        "age": "protected attribute (set [segments] include to use it)", "held": "set tag",
        "churn": "model score", "secret": "restricted", "consent_sms": "consent or contact",
        "sms_reachable": "consent or contact", "unknown": "not in the catalog",
        "balance_band": "derived from balance, already features"}
    chosen, _ = segments.select_tags(SPECS, names, [], include=["gender"], exclude=["tier"])
    assert "gender" in chosen and "tier" not in chosen and "logins" in chosen


def test_feature_columns_are_encoded_and_standardized() -> None:
    frame = pd.DataFrame({
        "balance": [0.0, 10.0, 100.0, 1_000_000.0, None, 20.0, 30.0, 40.0, 50.0, 60.0],
        "tier": ["low", "mid", "high", None, "mid", "mid", "low", "low", "high", "mid"],
        "digital": [True, False, True, True, None, False, True, True, False, True],
        "channel": ["app", "app", "branch", "app", "atm", "branch", "app", "app", "app", "x"],
        "logins": [None] * 6 + [1.0] * 4,
    })
    features = segments.build_features(frame, SPECS, ["balance", "tier", "digital", "channel",
                                                      "logins"])
    names = [c.name for c in features.columns]
    assert names == ["balance", "balance:missing", "tier", "tier:missing", "digital",
                     "digital:missing", "channel=app", "channel=branch", "channel=atm",
                     "channel=x"]
    assert features.skipped["logins"] == "values for 40% of customers (< 50%)"
    balance = features.columns[0]
    assert balance.kind == "log"  # skewness above 2: one customer holds a million
    # the missing balance takes the median of the log values: log1p(40) … (median of 9)
    assert balance.fill == pytest.approx(np.log1p(40.0))
    assert features.columns[2].kind == "ordinal" and features.columns[2].fill == 1.0
    # every column has mean 0; a 4-level categorical has each level scaled by sqrt(4)
    assert np.allclose(features.matrix.mean(axis=0), 0, atol=1e-9)
    app = features.columns[6]
    share = 6 / 10
    assert app.scale == pytest.approx(np.sqrt(share * (1 - share)) * 2)
    assert features.matrix[0, 6] == pytest.approx((1 - share) / app.scale)


def test_two_obvious_groups_are_two_segments() -> None:
    frame = two_groups()
    fit = segments.fit(frame, SPECS, [], k=2, seed=0)
    assert fit.k == 2 and fit.criterion == "k given"
    first, second = set(fit.labels[:30]), set(fit.labels[30:])
    assert len(first) == 1 and len(second) == 1 and first != second
    assert fit.sizes == {"S1": 30, "S2": 30}
    assert fit.features.tags == ["balance", "logins", "digital", "channel"]


def test_auto_k_finds_three_groups_and_names_the_largest_s1() -> None:
    rng = np.random.default_rng(0)
    sizes = [50, 30, 20]
    centers = [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0)]
    xs = np.vstack([rng.normal(c, 0.5, size=(n, 2)) for c, n in zip(centers, sizes, strict=True)])
    frame = pd.DataFrame({"balance": xs[:, 0], "logins": xs[:, 1]})
    fit = segments.fit(frame, SPECS, [], k=None, seed=7)
    assert fit.k == 3
    assert max(fit.scores, key=lambda c: fit.scores[c]) == 3 and set(fit.scores) == set(range(3, 11))
    assert fit.sizes == {"S1": 50, "S2": 30, "S3": 20}
    assert fit.labels[:50] == ["S1"] * 50 and fit.labels[50:80] == ["S2"] * 30
    assert "silhouette" in fit.criterion


def test_same_seed_same_segments() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"balance": rng.lognormal(8, 2, 500), "logins": rng.poisson(3, 500),
                          "digital": rng.random(500) < 0.4,
                          "channel": rng.choice(["app", "branch", "atm"], 500)})
    a = segments.fit(frame, SPECS, [], k=None, seed=11)
    b = segments.fit(frame, SPECS, [], k=None, seed=11)
    assert a.labels == b.labels and a.scores == b.scores
    assert np.array_equal(a.centers, b.centers)


def test_bad_k_and_nothing_to_cluster_are_usage_errors() -> None:
    frame = two_groups()
    with pytest.raises(UsageError, match="out of range"):
        segments.fit(frame, SPECS, [], k=1, seed=0)
    with pytest.raises(UsageError, match="No tag of the snapshot"):
        segments.fit(frame[["customer_id"]].assign(gender="F"), SPECS, [], k=2, seed=0)
