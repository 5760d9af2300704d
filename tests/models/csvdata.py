"""A small synthetic CSV with a planted signal, shared by the CSV trainer's tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def planted_csv(path: Path, rows: int = 1500, seed: int = 7, delimiter: str = ";") -> Path:
    """Rows where ``yes`` depends on ``signal`` and on ``colour`` == red; ``noise`` is noise.

    Also holds an identifier (``ref``, unique text), a constant column and a numeric
    running number (``row_no``), which the loader must report.
    """
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=rows)
    colour = rng.choice(["red", "green", "blue"], size=rows)
    noise = rng.normal(size=rows)
    logit = -1.5 + 2.0 * signal + 1.5 * (colour == "red")
    outcome = rng.random(rows) < 1 / (1 + np.exp(-logit))
    lines = [delimiter.join(["ref", "row_no", "signal", "colour", "noise", "country", "answer"])]
    for i in range(rows):
        lines.append(delimiter.join([f"C{i:05d}", str(i + 1), f"{signal[i]:.4f}", colour[i],
                                     f"{noise[i]:.4f}", "CZ", "yes" if outcome[i] else "no"]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
