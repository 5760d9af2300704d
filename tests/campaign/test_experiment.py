"""Outside experiment files: arms, outcome kinds, errors naming the file and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from portrait.campaign.experiment import evaluate_file
from portrait.errors import DataRejectedError, UsageError


def _write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def three_arms(tmp_path: Path) -> Path:
    rows = ["group,converted,amount"]
    # control: 2/10 converted; A: 5/10; B: 1/10
    for arm, hits in (("ctl", 2), ("A", 5), ("B", 1)):
        rows += [f"{arm},{int(i < hits)},{100 * (i < hits) + i}" for i in range(10)]
    return _write(tmp_path / "exp.csv", rows)


def test_multi_arm_binary_and_continuous(three_arms: Path) -> None:
    res = evaluate_file(three_arms, "group", ["converted", "amount"], control="ctl")
    out = res.as_dict()
    assert out["control"] == "ctl"
    assert list(out["arms"]) == ["ctl", "A", "B"]
    assert out["arms"]["ctl"] == {"n": 10, "outcomes": {"converted": {"mean": 0.2},
                                                        "amount": {"mean": 24.5}}}
    a = out["arms"]["A"]["outcomes"]["converted"]
    assert set(a) == {"mean", "diff", "ci95", "p_value", "p_value_holm", "relative_lift"}
    assert a["mean"] == 0.5 and a["diff"] == pytest.approx(0.3)
    assert a["relative_lift"] == pytest.approx(1.5)
    lo, hi = confint_proportions_2indep(5, 10, 2, 10, method="newcomb", compare="diff")
    assert a["ci95"] == pytest.approx([lo, hi])
    assert res.outcomes == {"converted": "binary", "amount": "continuous"}
    assert out["arms"]["B"]["outcomes"]["amount"]["diff"] == pytest.approx(14.5 - 24.5)


def test_default_control_and_booleans(tmp_path: Path) -> None:
    path = _write(tmp_path / "ab.csv", ["arm,bought", "control,true", "control,false",
                                        "treatment,true", "treatment,true"])
    res = evaluate_file(path, "arm", ["bought"])
    assert res.control == "control"
    assert res.as_dict()["arms"]["treatment"]["outcomes"]["bought"]["diff"] == pytest.approx(0.5)


def test_errors_name_file_and_column(tmp_path: Path, three_arms: Path) -> None:
    with pytest.raises(UsageError, match=r"exp\.csv has no outcome column 'clicks'"):
        evaluate_file(three_arms, "group", ["clicks"], control="ctl")
    with pytest.raises(UsageError, match=r"no treatment column 'arm'"):
        evaluate_file(three_arms, "arm", ["converted"])
    with pytest.raises(UsageError, match=r"Cannot tell which value of column 'group'"):
        evaluate_file(three_arms, "group", ["converted"])
    with pytest.raises(UsageError, match=r"'nope' does not occur"):
        evaluate_file(three_arms, "group", ["converted"], control="nope")
    bad = _write(tmp_path / "bad.csv", ["arm,y", "control,1", "t,", "t,2"])
    with pytest.raises(DataRejectedError, match=r"'y' of .*bad\.csv has 1 empty"):
        evaluate_file(bad, "arm", ["y"])
    text = _write(tmp_path / "text.csv", ["arm,y", "control,yes", "t,no"])
    with pytest.raises(DataRejectedError, match=r"'y' of .*text\.csv is not numeric"):
        evaluate_file(text, "arm", ["y"])
    with pytest.raises(UsageError, match="does not exist"):
        evaluate_file(tmp_path / "missing.csv", "arm", ["y"])


def test_several_arms_get_holm_adjusted_p_values(three_arms: Path) -> None:
    from statsmodels.stats.multitest import multipletests

    out = evaluate_file(three_arms, "group", ["converted", "amount"], control="ctl").as_dict()
    assert "p_value_holm" not in out["arms"]["ctl"]["outcomes"]["converted"]
    for outcome in ("converted", "amount"):
        raw = [out["arms"][a]["outcomes"][outcome]["p_value"] for a in ("A", "B")]
        expected = multipletests(raw, method="holm")[1]
        got = [out["arms"][a]["outcomes"][outcome]["p_value_holm"] for a in ("A", "B")]
        assert got == pytest.approx(list(expected))
        assert all(g >= r for g, r in zip(got, raw, strict=True))


def test_one_treatment_arm_is_not_adjusted(tmp_path: Path) -> None:
    path = _write(tmp_path / "ab.csv", ["arm,y", "control,0", "control,1", "t,1", "t,1"])
    res = evaluate_file(path, "arm", ["y"])
    assert not res.adjusted and res.multiplicity is None
    assert "p_value_holm" not in res.as_dict()["arms"]["t"]["outcomes"]["y"]
