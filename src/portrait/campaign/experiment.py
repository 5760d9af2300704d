"""Evaluating an outside randomized experiment file (a past campaign, an A/B test).

The file has one row per unit, a column naming its arm and one column per outcome.
Every non-control arm is compared with the control arm on every outcome with the
statistics of :mod:`portrait.campaign.stats`: 0/1 (or true/false) outcomes as
proportions, other numeric outcomes as means. Each arm's ``p_value`` is for its own
comparison with control; with more than one treatment arm, the arms' p-values of each
outcome also form one family adjusted by Holm's step-down method (``p_value_holm``): a
bank looking for "the arm that worked" among several must read the adjusted value.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from portrait.campaign.stats import Comparison, compare, holm, is_binary
from portrait.errors import DataRejectedError, UsageError

#: How the p-values of several arms are adjusted (stated in the human output).
MULTIPLICITY = ("Holm step-down adjustment of the p-values across the {arms} treatment arms, "
                "per outcome (family-wise error rate 5%)")
#: Control values tried, in order, when none is given.
DEFAULT_CONTROLS = ("control", "Control", "CONTROL", "0", "false", "False", "C")


@dataclass(frozen=True)
class ArmResult:
    n: int
    means: dict[str, float]
    comparisons: dict[str, Comparison]
    #: outcome → Holm-adjusted p-value (only with more than one treatment arm)
    holm: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class ExperimentResult:
    """Every arm against control; ``arms`` includes the control arm (means only)."""

    file: str
    treatment: str
    control: str
    outcomes: dict[str, str]  # outcome → "binary" | "continuous"
    arms: dict[str, ArmResult]

    @property
    def adjusted(self) -> bool:
        """Whether the p-values were adjusted for several arms (more than one treatment arm)."""
        return sum(1 for a in self.arms if a != self.control) > 1

    @property
    def multiplicity(self) -> str | None:
        """The adjustment method in words, or None with a single treatment arm."""
        if not self.adjusted:
            return None
        return MULTIPLICITY.format(arms=len(self.arms) - 1)

    def as_dict(self) -> dict[str, Any]:
        """The JSON of ``portrait experiment evaluate --json``."""
        arms: dict[str, Any] = {}
        for arm, res in self.arms.items():
            outcomes: dict[str, Any] = {}
            for name, mean in res.means.items():
                cmp = res.comparisons.get(name)
                if cmp is None:
                    outcomes[name] = {"mean": mean}
                else:
                    outcomes[name] = {"mean": mean, "diff": cmp.diff, "ci95": list(cmp.ci95),
                                      "p_value": cmp.p_value, "relative_lift": cmp.relative_lift}
                    if name in res.holm:
                        outcomes[name]["p_value_holm"] = res.holm[name]
            arms[arm] = {"n": res.n, "outcomes": outcomes}
        return {"control": self.control, "arms": arms}


def read_table(path: Path) -> pa.Table:
    """Read a CSV or Parquet file.

    Raises:
        UsageError: The file is missing or is neither readable CSV nor Parquet.
    """
    if not path.is_file():
        raise UsageError(f"Experiment file {path} does not exist.")
    try:
        if path.suffix.lower() in {".parquet", ".pq"}:
            return pq.read_table(path)
        return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            strings_can_be_null=True))
    except (pa.ArrowInvalid, OSError) as exc:
        raise UsageError(f"Cannot read {path}: {exc}",
                         hint="Give a CSV file with a header row, or a Parquet file.") from exc


def _column(table: pa.Table, name: str, path: Path, role: str) -> pa.ChunkedArray:
    if name not in table.column_names:
        raise UsageError(f"{path} has no {role} column {name!r}.",
                         hint=f"Its columns: {', '.join(table.column_names)}.")
    return table.column(name)


def _numeric(col: pa.ChunkedArray, name: str, path: Path) -> np.ndarray[Any, np.dtype[np.float64]]:
    if col.null_count:
        raise DataRejectedError(
            f"Outcome column {name!r} of {path} has {col.null_count} empty value(s).",
            hint="Fill them (e.g. 0 for no conversion) or drop those rows.")
    try:
        values = pc.cast(col, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise DataRejectedError(
            f"Outcome column {name!r} of {path} is not numeric ({col.type}).",
            hint="Outcomes must be 0/1, true/false or numbers.") from exc
    arr = values.to_numpy()
    if not np.isfinite(arr).all():
        raise DataRejectedError(f"Outcome column {name!r} of {path} has non-finite values.")
    return np.asarray(arr, dtype=np.float64)


def choose_control(arms: list[str], control: str | None, path: Path, treatment: str) -> str:
    """The control arm: the one named, else the first of :data:`DEFAULT_CONTROLS` present."""
    if control is not None:
        if control not in arms:
            raise UsageError(f"Control value {control!r} does not occur in column {treatment!r} "
                             f"of {path}.", hint=f"Its values: {', '.join(arms)}.")
        return control
    for value in DEFAULT_CONTROLS:
        if value in arms:
            return value
    raise UsageError(f"Cannot tell which value of column {treatment!r} of {path} is control.",
                     hint=f"Pass --control, one of: {', '.join(arms)}.")


def evaluate_table(table: pa.Table, treatment: str, outcomes: list[str], *,
                   control: str | None = None, path: Path = Path("<table>")) -> ExperimentResult:
    """Compare each arm of ``table`` with control on each outcome.

    Raises:
        UsageError: A column is missing, the control is unknown, or there is one arm only.
        DataRejectedError: An outcome has empty or non-numeric values, or an arm is too small.
    """
    if not outcomes:
        raise UsageError("Name at least one outcome column (--outcome COL).")
    arm_col = _column(table, treatment, path, "treatment")
    if arm_col.null_count:
        raise DataRejectedError(f"Treatment column {treatment!r} of {path} has "
                                f"{arm_col.null_count} empty value(s).",
                                hint="Every row must name its arm.")
    arm_values = np.asarray(pc.cast(arm_col, pa.string()).to_pylist(), dtype=object)
    arms = sorted({str(v) for v in arm_values})
    ctrl = choose_control(arms, control, path, treatment)
    if len(arms) < 2:
        raise UsageError(f"Column {treatment!r} of {path} has only one arm ({ctrl!r}).")
    data = {name: _numeric(_column(table, name, path, "outcome"), name, path) for name in outcomes}
    kinds = {name: "binary" if is_binary(v) else "continuous" for name, v in data.items()}
    masks = {arm: arm_values == arm for arm in arms}
    results: dict[str, ArmResult] = {}
    for arm in [ctrl, *[a for a in arms if a != ctrl]]:
        mask = masks[arm]
        means = {name: float(v[mask].mean()) for name, v in data.items()}
        comparisons: dict[str, Comparison] = {}
        if arm != ctrl:
            for name, v in data.items():
                try:
                    comparisons[name] = compare(v[mask], v[masks[ctrl]],
                                                binary=kinds[name] == "binary")
                except ValueError as exc:
                    raise DataRejectedError(
                        f"Cannot compare arm {arm!r} with {ctrl!r} on {name!r} in {path}: {exc}."
                    ) from exc
        results[arm] = ArmResult(int(mask.sum()), means, comparisons)
    return ExperimentResult(str(path), treatment, ctrl, kinds, adjust(results, ctrl, list(data)))


def adjust(arms: dict[str, ArmResult], control: str, outcomes: list[str]) -> dict[str, ArmResult]:
    """Add Holm-adjusted p-values per outcome across the treatment arms (when more than one)."""
    treated = [a for a in arms if a != control]
    if len(treated) < 2:
        return arms
    adjusted: dict[str, dict[str, float | None]] = {a: {} for a in treated}
    for name in outcomes:
        for arm, p in zip(treated, holm([arms[a].comparisons[name].p_value for a in treated]),
                          strict=True):
            adjusted[arm][name] = p
    return {a: replace(r, holm=adjusted[a]) if a in adjusted else r for a, r in arms.items()}


def evaluate_file(path: Path, treatment: str, outcomes: list[str], *,
                  control: str | None = None) -> ExperimentResult:
    """Read an experiment file and compare its arms (see :func:`evaluate_table`)."""
    return evaluate_table(read_table(path), treatment, outcomes, control=control, path=path)
