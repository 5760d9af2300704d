"""The model registry: trained models as folders under the workspace.

Layout: ``<workspace>/models/<name>/<version>/`` holding ``model.txt`` (the LightGBM
booster, its own text format, loadable without pickles) and ``meta.json``::

    {"name", "version", "kind": "adoption|churn|value", "target", "created_at",
     "as_of_dates", "test_as_of", "horizon_days", "features": [FeatureSpec…],
     "excluded": {tag: reason}, "params", "best_iteration", "metrics", "baselines",
     "fairness", "importance", "data_hash", "library_versions", "extra"}

Versions are ``v1``, ``v2``, … in training order; the highest is the one in use. A
folder is written under a temporary name and renamed into place, so a crash never leaves a
half-written version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from portrait.errors import NotFoundError, UsageError
from portrait.models.features import FeatureSpec, encode

MODEL_FILE = "model.txt"
META_FILE = "meta.json"
_VERSION = re.compile(r"^v(\d+)$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
LIBRARIES = ("lightgbm", "scikit-learn", "numpy", "pandas", "duckdb")


@dataclass
class Registered:
    """A loaded model: its booster, metadata and feature encodings."""

    name: str
    version: str
    booster: lgb.Booster
    meta: dict[str, Any]

    @property
    def specs(self) -> list[FeatureSpec]:
        return [FeatureSpec.from_dict(d) for d in self.meta["features"]]

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        """Probability (classifiers) or value in currency (the value model, trained on log1p)."""
        raw = np.asarray(self.booster.predict(x), dtype=float)
        return np.expm1(raw).clip(min=0.0) if self.meta.get("kind") == "value" else raw

    def contributions(self, x: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.booster.predict(x, pred_contrib=True))

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        """Scores of snapshot rows (raw tag values), encoded as in training."""
        return self.predict(encode(frame, self.specs))


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            continue
    return out


def data_hash(frame: pd.DataFrame, y: np.ndarray) -> str:
    """SHA-256 over the training matrix and labels: the same data gives the same hash."""
    h = hashlib.sha256()
    h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    h.update(np.ascontiguousarray(np.asarray(y, dtype=float)).tobytes())
    return h.hexdigest()


def root(workspace: Path) -> Path:
    return workspace / "models"


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise UsageError(f"Model name {name!r} must be snake_case (a-z, 0-9, _).")


def versions(workspace: Path, name: str) -> list[str]:
    folder = root(workspace) / name
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p.name) for p in folder.iterdir()
             if (m := _VERSION.match(p.name)) and (p / META_FILE).exists()]
    return [v for _, v in sorted(found)]


def names(workspace: Path) -> list[str]:
    base = root(workspace)
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if p.is_dir() and versions(workspace, p.name))


def save(workspace: Path, name: str, booster: lgb.Booster, meta: dict[str, Any]) -> str:
    """Write a new version of ``name``; returns the version (``v<n>``)."""
    _check_name(name)
    existing = versions(workspace, name)
    version = f"v{int(existing[-1][1:]) + 1 if existing else 1}"
    folder = root(workspace) / name
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{version}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    booster.save_model(str(tmp / MODEL_FILE))
    full = {**meta, "name": name, "version": version,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "library_versions": library_versions()}
    (tmp / META_FILE).write_text(json.dumps(full, ensure_ascii=False, indent=2, default=str),
                                 encoding="utf-8")
    tmp.rename(folder / version)
    return version


def read_meta(workspace: Path, name: str, version: str | None = None) -> dict[str, Any]:
    folder = _folder(workspace, name, version)
    data: dict[str, Any] = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    return data


def load(workspace: Path, name: str, version: str | None = None) -> Registered:
    """The named model (latest version unless ``version`` is given)."""
    folder = _folder(workspace, name, version)
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    booster = lgb.Booster(model_file=str(folder / MODEL_FILE))
    return Registered(name, folder.name, booster, meta)


def _folder(workspace: Path, name: str, version: str | None) -> Path:
    found = versions(workspace, name)
    if not found:
        import difflib

        close = difflib.get_close_matches(name, names(workspace), n=3)
        raise NotFoundError(f"No model {name!r} in {root(workspace)}.",
                            hint=(f"Did you mean {', '.join(close)}?" if close
                                  else "Train models with `portrait models train`."))
    chosen = version or found[-1]
    if chosen not in found:
        raise NotFoundError(f"Model {name!r} has no version {chosen!r} (has {', '.join(found)}).")
    return root(workspace) / name / chosen
