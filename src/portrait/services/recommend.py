"""Recommendation use cases: the next-best-product shelf of one customer, or of everyone."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from portrait.errors import NotFoundError, UsageError
from portrait.models import registry, trainset
from portrait.models.features import encode_many
from portrait.models.reasons import LANGS, reasons
from portrait.models.recommend import FLAT_VALUE, shelf
from portrait.models.registry import Registered
from portrait.models.suitability import Product
from portrait.services import tags as tags_service
from portrait.services import workspace
from portrait.store.engine import Engine
from portrait.tags import snapshots

#: Customer tags the shelf reads besides the models' features.
SHELF_TAGS = ("risk_level", "products_held", "product_categories_held", "migratable_products",
              "migratable_categories", "aum", "liquid_assets", "has_defaulted_loan", "age")


def _products(eng: Engine) -> list[Product]:
    rel = eng.query_arrow(
        "SELECT p.product_id, p.name, p.category, p.risk_grade, p.min_amount, p.attributes, "
        "count(DISTINCT h.customer_id) AS popularity FROM products p LEFT JOIN holdings h "
        "USING (product_id) GROUP BY ALL ORDER BY p.product_id")
    return [Product.from_row(r) for r in rel.to_pylist()]


def _propensity_models(root: Path) -> dict[str, Registered]:
    """Category → its propensity model (single-category models only)."""
    out: dict[str, Registered] = {}
    for name in registry.names(root):
        if not name.startswith("propensity_"):
            continue
        model = registry.load(root, name)
        cats = model.meta.get("extra", {}).get("categories") or []
        if len(cats) == 1:
            out[cats[0]] = model
    if not out:
        raise NotFoundError("No propensity models are registered.",
                            hint="Train them with `portrait models train`.")
    return out


def _clean(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.ndarray):
        return [str(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


class _Context:
    """What scoring needs, read once: products, models, titles, the snapshot frame."""

    def __init__(self, ws_path: Path | None, customer_ids: Sequence[str] | None) -> None:
        ws = workspace.open_(ws_path)
        plan = tags_service.plan_for(ws_path)
        self.models = _propensity_models(ws.root)
        self.titles = {n: {"en": t.spec.title.en, "zh": t.spec.title.zh} for n, t in plan.tags.items()}
        wanted = sorted({s.tag for m in self.models.values() for s in m.specs} | set(SHELF_TAGS))
        eng = ws.engine()
        try:
            snap = snapshots.find(eng, None)
            if snap is None:
                raise NotFoundError("No tag snapshot.", hint="Run `portrait tags build`.")
            self.as_of = snap["as_of"]
            frame = trainset.snapshot_frame(eng, self.as_of, wanted, customer_ids)
            self.products = _products(eng)
        finally:
            eng.close()
        if customer_ids is not None:
            missing = [c for c in customer_ids if c not in frame.index]
            if missing:
                raise NotFoundError(f"Customer {missing[0]!r} is not in the snapshot as of "
                                    f"{self.as_of}.", hint="Check the customer id.")
            frame = frame.loc[list(customer_ids)]
        self.frame = frame
        cats = list(self.models)
        self.x = dict(zip(cats, encode_many(frame, [self.models[c].specs for c in cats]), strict=True))
        self.scores = pd.DataFrame({c: m.predict(self.x[c]) for c, m in self.models.items()},
                                   index=frame.index)
        self.values = {c: float(m.meta.get("extra", {}).get("value_per_adoption") or FLAT_VALUE)
                       for c, m in self.models.items()}

    def reasons(self, category: str, rows: np.ndarray, lang: str) -> list[list[dict[str, Any]]]:
        model = self.models[category]
        contrib = model.contributions(self.x[category].iloc[rows])
        return reasons(contrib, self.frame.iloc[rows], model.specs, self.titles, lang)

    def customers(self) -> list[dict[str, Any]]:
        """Every customer's shelf tags as plain values (read column-wise: fast)."""
        cols = {k: self.frame[k].tolist() for k in SHELF_TAGS if k in self.frame.columns}
        ids = [str(c) for c in self.frame.index]
        return [{**{k: _clean(v[i]) for k, v in cols.items()}, "customer_id": ids[i]}
                for i in range(len(ids))]


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise UsageError(f"Language {lang!r} is not supported; use {', '.join(LANGS)}.")
    return lang


def recommend(ws_path: Path | None, customer_id: str, lang: str = "en") -> dict[str, Any]:
    """The three-tier shelf (held / migratable / predicted) of one customer, with reasons."""
    ctx = _Context(ws_path, [customer_id])
    lang = _lang(lang)
    why = {c: ctx.reasons(c, np.array([0]), lang)[0] for c in ctx.models}
    result = shelf(ctx.customers()[0], ctx.products, ctx.scores.iloc[0].to_dict(), ctx.values, why)
    result["as_of"] = ctx.as_of.isoformat()
    return result


def recommend_all(ws_path: Path | None, out: Path, lang: str = "en",
                  progress: Any = None) -> dict[str, Any]:
    """Shelves of every customer of the latest snapshot, one JSON object per line in ``out``.

    Reasons are computed for the top predicted category of each customer (SHAP for every
    customer and category would cost ten times the scoring).
    """
    lang = _lang(lang)
    t0 = time.perf_counter()
    ctx = _Context(ws_path, None)
    scored = time.perf_counter() - t0
    n = len(ctx.frame)
    people = ctx.customers()
    held = [set(p.get("product_categories_held") or []) for p in people]
    expected = ctx.scores.mul(pd.Series(ctx.values))
    masked = expected.to_numpy(copy=True)
    cats = list(expected.columns)
    for i, h in enumerate(held):
        for j, c in enumerate(cats):
            if c in h:
                masked[i, j] = -1.0
    top = np.array(cats, dtype=object)[np.argmax(masked, axis=1)] if cats else np.array([])
    why: list[dict[str, list[dict[str, Any]]]] = [{} for _ in range(n)]
    for c in cats:
        rows = np.flatnonzero(top == c)
        if len(rows):
            for row, r in zip(rows.tolist(), ctx.reasons(c, rows, lang), strict=True):
                why[row][c] = r
    if progress is not None:
        progress.start(f"Shelves for {n:,} customers", total=n)
    counts = {"held": 0, "migratable": 0, "predicted": 0}
    flagged = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    scores = ctx.scores.to_numpy()
    with out.open("w", encoding="utf-8") as fh:
        for i in range(n):
            s = shelf(people[i], ctx.products, dict(zip(cats, scores[i].tolist(), strict=True)),
                      ctx.values, why[i])
            s.pop("excluded")
            for k in counts:
                counts[k] += len(s[k])
            flagged += bool(s["flags"])
            fh.write(json.dumps(s, ensure_ascii=False, default=str) + "\n")
            if progress is not None and i % 1000 == 0:
                progress.advance(min(1000, n - i))
    seconds = time.perf_counter() - t0
    return {"as_of": ctx.as_of.isoformat(), "customers": n, "out": str(out), "offers": counts,
            "risk_assessment_needed": flagged, "seconds": round(seconds, 2),
            "scoring_seconds": round(scored, 2),
            "customers_per_second": round(n / seconds, 1) if seconds else None}
