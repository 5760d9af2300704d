"""Use case: train and evaluate a model on any CSV file (``portrait models train --csv``).

No workspace is involved: the file is read, the target prepared, LightGBM trained against
a logistic-regression baseline, and the figures returned — a bank's benchmark on its own
extracts, or ours on public data sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from portrait.errors import UsageError
from portrait.models import csv_train, tabular


def train_csv(path: Path | str, target: str, positive: str | None = None,
              drop: Sequence[str] = (), split: str = "ordered", seed: int = 0) -> dict[str, Any]:
    """Train on ``path`` to predict ``target``; returns metrics beside the baseline's.

    Args:
        path: the CSV file (delimiter and types are detected).
        target: the column to predict.
        positive: the positive class; inferred for two classes when omitted.
        drop: columns to leave out (identifiers, columns known only after the outcome).
        split: ``ordered`` (last 20% of rows is the test set) or ``random`` (stratified).
        seed: random seed for the split and LightGBM.

    Raises:
        UsageError: an unknown split, file, column or class (see :func:`tabular.load`).
    """
    if split not in csv_train.SPLITS:
        raise UsageError(f"Unknown split {split!r}; choose one of {', '.join(csv_train.SPLITS)}.")
    names = list(dict.fromkeys(d.strip() for d in drop if d.strip()))
    ds = tabular.load(Path(path), target, positive=positive, drop=names)
    return csv_train.train(ds, split=split, seed=seed)
