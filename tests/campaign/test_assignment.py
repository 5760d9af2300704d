"""Randomized assignment: reproducible, keyed, stratified; balance by SMD."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pytest

from portrait.campaign import assignment


def keyed(key: bytes = b"k") -> assignment.Keyed:
    return lambda text: hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


IDS = np.array([f"C{i:05d}" for i in range(4000)], dtype=object)
STRATA = np.array(["mass"] * 3000 + ["affluent"] * 900 + ["private"] * 100, dtype=object)


def test_reproducible_and_keyed() -> None:
    a = assignment.assign(keyed(), "camp", IDS, STRATA, 0.1)
    assert (a == assignment.assign(keyed(), "camp", IDS, STRATA, 0.1)).all()
    assert (a != assignment.assign(keyed(), "other", IDS, STRATA, 0.1)).any()
    assert (a != assignment.assign(keyed(b"other key"), "camp", IDS, STRATA, 0.1)).any()
    # a customer's arm does not depend on the order customers come in
    perm = np.random.default_rng(0).permutation(IDS.size)
    shuffled = assignment.assign(keyed(), "camp", IDS[perm], STRATA[perm], 0.1)
    assert (shuffled == a[perm]).all()


def test_each_stratum_holds_out_its_share() -> None:
    arms = assignment.assign(keyed(), "camp", IDS, STRATA, 0.1)
    for stratum, n in (("mass", 3000), ("affluent", 900), ("private", 100)):
        n_control = int((arms[stratum == STRATA] == assignment.CONTROL).sum())
        assert n_control == pytest.approx(0.1 * n, abs=1)
    assert set(arms) == {assignment.TREATMENT, assignment.CONTROL}


def test_uniform_is_in_unit_interval() -> None:
    u = [assignment.uniform(keyed(), "x", str(i)) for i in range(1000)]
    assert min(u) >= 0 and max(u) < 1
    assert np.mean(u) == pytest.approx(0.5, abs=0.05)


def test_smd_by_hand() -> None:
    # means 2 and 1, variances 1 and 1 → SMD 1
    assert assignment.smd(np.array([1.0, 2, 3]), np.array([0.0, 1, 2])) == pytest.approx(1.0)
    assert assignment.smd(np.array([1.0, np.nan, 3]), np.array([0.0, 1, 2])) == pytest.approx(
        (2 - 1) / np.sqrt((2 + 1) / 2))
    assert assignment.smd(np.array([1.0]), np.array([0.0, 1])) is None


def test_random_assignment_is_balanced_and_imbalance_warns() -> None:
    rng = np.random.default_rng(1)
    age = rng.normal(45, 12, IDS.size)
    arms = assignment.assign(keyed(), "camp", IDS, STRATA, 0.2)
    [bal] = assignment.balance({"age": age}, arms)
    assert abs(bal.smd or 1) < 0.1 and not bal.warn
    skewed = age + np.where(arms == assignment.TREATMENT, 5.0, 0.0)
    [bad] = assignment.balance({"age": skewed}, arms)
    assert bad.warn and bad.as_dict()["warn"] is True
