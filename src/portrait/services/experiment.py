"""Evaluating an outside randomized experiment (``portrait experiment evaluate``)."""

from __future__ import annotations

from pathlib import Path

from portrait.campaign.experiment import ExperimentResult, evaluate_file


def evaluate(path: Path, treatment: str, outcomes: list[str], *,
             control: str | None = None) -> ExperimentResult:
    """Compare every arm of the experiment file with its control arm on each outcome."""
    return evaluate_file(path, treatment, outcomes, control=control)
