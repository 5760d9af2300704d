"""Model use cases: train every warehouse model, list / show / evaluate / audit them, and
write their scores back into the latest tag snapshot."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from portrait.errors import NotFoundError, UsageError
from portrait.models import labels, reevaluate, registry, trainset, writeback
from portrait.models.features import (
    FeatureSpec,
    TagChoice,
    choose_tags,
    encode,
    encode_many,
    fit_specs,
)
from portrait.models.recommend import MARGINS, category_value
from portrait.models.training import Trained, train_binary, train_value
from portrait.services import tags as tags_service
from portrait.services import workspace
from portrait.store import Workspace
from portrait.store.engine import Engine
from portrait.tags import snapshots
from portrait.tags.build import default_as_of
from portrait.tags.plan import Plan

DEFAULT_HORIZON = "90d"
#: Dates stacked by default: the data's end minus 3, 2 and 1 horizons (the last is the test).
DEFAULT_DATES = 3
#: Tags tried, in order, as the segment of the segment-rate baseline.
SEGMENT_TAGS = ("segment", "value_tier", "lifecycle_stage", "aum_band")
_HORIZON = re.compile(r"^(\d+)\s*([dwmy])$")


class Quiet:
    """A progress sink that shows nothing (callers without a progress bar)."""

    def start(self, description: str, total: int | None = None) -> None: ...

    def advance(self, amount: int = 1) -> None: ...


def parse_horizon(text: str) -> int:
    """``90d``, ``12w``, ``12m``, ``1y`` → days (a month is 365/12 days, rounded)."""
    m = _HORIZON.match(text.strip().lower())
    if not m or int(m.group(1)) == 0:
        raise UsageError(f"Horizon {text!r} is not a duration.", hint="Write e.g. 90d, 12w, 12m or 1y.")
    n, unit = int(m.group(1)), m.group(2)
    return {"d": n, "w": 7 * n, "m": round(n * 365 / 12), "y": 365 * n}[unit]


def _config(ws: Workspace) -> dict[str, Any]:
    return dict(ws.config.get("models", {}))


def ensure_snapshots(ws_path: Path | None, days: Sequence[dt.date], progress: Any, *,
                     score: bool = False) -> list[dt.date]:
    """Build the tag snapshots as of ``days`` that are missing; returns the dates built.

    Args:
        score: Re-score a new snapshot that becomes the latest with the registered models
            (training leaves it off: it scores with the new models when it is done).
    """
    ws = workspace.open_(ws_path)
    eng = ws.engine()
    try:
        missing = [d for d in sorted(set(days)) if snapshots.find(eng, d) is None
                   or snapshots.find(eng, d)["as_of"] != d]  # type: ignore[index]
    finally:
        eng.close()
    for d in missing:
        progress.start(f"Building tags as of {d}", total=None)
        tags_service.build_tags(ws_path, as_of=d, score=score)
    return missing


def segment_tag(plan: Plan, features: list[str]) -> str | None:
    return next((t for t in SEGMENT_TAGS if t in features and t in plan.tags), None)


def _median_amounts(eng: Engine, until: dt.date) -> dict[str, float]:
    rows = eng.query("SELECT p.category, median(h.amount) FROM holdings h JOIN products p "
                     "USING (product_id) WHERE h.start_at <= ? AND h.amount > 0 GROUP BY 1", [until])
    return {r[0]: float(r[1]) for r in rows if r[1] is not None}


def tag_choice(eng: Engine, plan: Plan, dates: Sequence[dt.date], cfg: Mapping[str, Any]) -> TagChoice:
    """The features (tags present and covered in every snapshot as of ``dates``) and the
    protected attributes kept aside for the fairness audit."""
    snaps = [trainset.snapshot_of(eng, d) for d in dates]
    uncovered: set[str] = set().union(*[set(s["uncovered"]) for s in snaps])
    present: set[str] = set.intersection(*[set(s["tags"]) for s in snaps])
    return choose_tags(plan, [t for t in plan.tags if t in present], uncovered,
                       cfg.get("allow_protected", []), labels.undated_tables(eng))


def summary(name: str, version: str, trained: Trained, seconds: float) -> dict[str, Any]:
    """One trained model's line in the result of :func:`train_all`."""
    return {"name": name, "version": version, "kind": trained.kind, "split": trained.split,
            "n_train": trained.n_train, "n_test": trained.n_test,
            "metrics": headline(trained.metrics),
            "baselines": {k: headline(v) for k, v in trained.baselines.items()},
            "fairness_flagged": trained.fairness.get("flagged", False),
            "top_features": list(trained.importance)[:5], "train_seconds": seconds}


def train_all(ws_path: Path | None, *, as_of: Sequence[dt.date] | None = None,
              horizon: str = DEFAULT_HORIZON, groups: Mapping[str, Sequence[str]] | None = None,
              only: Sequence[str] | None = None, score: bool = True,
              progress: Any = None) -> dict[str, Any]:
    """Train every warehouse model: one propensity model per product category (plus any
    ``groups`` of categories), churn, value, and one campaign response model per objective
    category of the launched campaigns; register them and write their scores back.

    Args:
        as_of: Training as-of dates (default: the data's end minus 3, 2 and 1 horizons);
            with two or more, the latest is the test date. Response models take their
            dates from the campaigns instead.
        horizon: Outcome window after each date (``90d``, ``12m`` …); a response model's
            window is its campaigns' attribution window.
        groups: Extra adoption targets over several categories, e.g. {"credit": ["loan",
            "credit_card"]} (label: adopts any of them; population: holds none).
        only: Train just these model names (``response_<category>`` included).
        score: Write the scores into the latest snapshot afterwards.

    Returns:
        ``{"horizon_days", "as_of", "models": [{name, version, metrics…}], "skipped":
        {name: why}, "responses": {campaigns used and left out}, "scored": {...}, "seconds"}``.
    """
    from portrait.services import models_response  # it builds on this module's helpers

    progress = progress or Quiet()
    started = time.perf_counter()
    days = parse_horizon(horizon)
    book = [n for n in only or [] if not n.startswith(models_response.PREFIX)]
    out: dict[str, Any] = {"horizon_days": None, "as_of": [], "models": [], "skipped": {}}
    if not only or book:
        out["horizon_days"] = days
        out.update(_train_book(ws_path, as_of, days, groups, book or None, progress))
    if not only or len(book) < len(only):
        models, skipped, out["responses"] = models_response.train_responses(
            ws_path, only=only, progress=progress)
        out["models"] += models
        out["skipped"].update(skipped)
    out["scored"] = score_latest(ws_path, progress=progress) if score and out["models"] else {}
    out["seconds"] = round(time.perf_counter() - started, 2)
    return out


def _train_book(ws_path: Path | None, as_of: Sequence[dt.date] | None, days: int,
                groups: Mapping[str, Sequence[str]] | None, only: Sequence[str] | None,
                progress: Any) -> dict[str, Any]:
    """Propensity, churn and value models on stacked as-of dates (see :func:`train_all`)."""
    ws = workspace.open_(ws_path)
    cfg = _config(ws)
    eng = ws.engine()
    try:
        end = default_as_of(eng)
    finally:
        eng.close()
    dates = sorted(set(as_of or [end - dt.timedelta(days=days * k) for k in range(DEFAULT_DATES, 0, -1)]))
    if not dates:
        raise UsageError("No as-of dates to train on.")
    ensure_snapshots(ws_path, dates, progress)
    eng = ws.engine()
    try:
        txn_end = labels.data_end(eng, "value")
        kinds = ["adoption"]
        skipped: dict[str, str] = {}
        if txn_end is not None and dates[-1] + dt.timedelta(days=days) <= txn_end:
            kinds += ["churn", "value"]
        else:
            skipped["churn"] = skipped["value"] = (
                f"transactions end on {txn_end}; outcomes need data up to "
                f"{dates[-1] + dt.timedelta(days=days)}")
    finally:
        eng.close()
    if "value" in kinds:
        later = [d + dt.timedelta(days=days) for d in dates]
        ensure_snapshots(ws_path, later, progress)
    plan = tags_service.plan_for(ws_path)
    eng = ws.engine()
    try:
        choice = tag_choice(eng, plan, dates, cfg)
        wanted = sorted(set(choice.features) | set(choice.protected) | {"aum"})
        rule = labels.ChurnRule(**dict(cfg.get("churn", {})))
        progress.start("Reading snapshots and outcomes", total=len(dates))
        data = []
        for d in dates:
            data.append(trainset.load_date(eng, d, days, wanted, kinds, rule))
            progress.advance()
        amounts = _median_amounts(eng, dates[-1])
    finally:
        eng.close()
    progress.start("Encoding features", total=None)
    fitted = data[:-1] if len(data) > 1 else data
    shared = fit_specs(pd.concat([d.frame for d in fitted]), plan, choice.features)
    segment = segment_tag(plan, choice.features)
    # once encoded, training reads only the segment, the protected attributes and the
    # assets (value baseline) from the raw tags: the rest is dropped to save memory
    aside = [c for c in dict.fromkeys([*choice.protected, segment, "aum"]) if c]
    for day in data:
        day.x = encode(day.frame, shared)
        day.frame = day.frame[[c for c in aside if c in day.frame]]
    targets: list[tuple[str, str, list[str]]] = [
        (f"propensity_{c}", "adoption", [c]) for c in trainset.categories_adopted(data)]
    targets += [(f"propensity_{g}", "adoption", list(cs)) for g, cs in (groups or {}).items()]
    if "churn" in kinds:
        targets.append(("churn", "churn", []))
    if "value" in kinds:
        targets.append(("value", "value", []))
    if only:
        unknown = sorted(set(only) - {t[0] for t in targets})
        if unknown:
            raise UsageError(f"Unknown model(s) {', '.join(unknown)}.",
                             hint=f"Models here: {', '.join(t[0] for t in targets)}, and "
                                  "response_<category> for each campaign objective.")
        targets = [t for t in targets if t[0] in only]
    margins = {**MARGINS, **dict(cfg.get("margins", {}))}
    results: list[dict[str, Any]] = []
    progress.start("Training models", total=len(targets))
    for name, kind, cats in targets:
        t0 = time.perf_counter()
        try:
            trained = _fit(data, name, kind, cats, plan, choice, segment, shared)
        except UsageError as exc:
            skipped[name] = exc.message
            progress.advance()
            continue
        extra: dict[str, Any] = {"categories": cats, "segment_tag": segment,
                 "train_seconds": round(time.perf_counter() - t0, 2)}
        if kind == "adoption":
            med = [amounts[c] for c in cats if c in amounts]
            extra["median_amount"] = max(med) if med else None
            extra["value_per_adoption"] = max(category_value(amounts.get(c), c, margins) for c in cats)
        if kind == "churn":
            extra["churn_rule"] = {"min_txns": rule.min_txns, "min_balance": rule.min_balance}
        version = registry.save(ws.root, name, trained.model.booster_,
                                registry_meta(trained, choice.excluded, days, extra))
        results.append(summary(name, version, trained, extra["train_seconds"]))
        progress.advance()
    return {"as_of": [d.isoformat() for d in dates], "models": results, "skipped": skipped}


def _fit(data: list[trainset.DateData], name: str, kind: str, cats: list[str], plan: Plan,
         choice: TagChoice, segment: str | None, shared: list[FeatureSpec]) -> Trained:
    features, protected = choice.features, choice.protected
    if kind == "adoption":
        ts = trainset.adoption_set(data, cats if len(cats) > 1 else cats[0], name)
        return train_binary(ts, plan, features, protected, kind=kind, segment_tag=segment,
                            shared=shared)
    if kind == "churn":
        return train_binary(trainset.churn_set(data, name), plan, features, protected,
                            kind=kind, segment_tag=segment, shared=shared)
    return train_value(trainset.value_set(data, name), plan, features, protected, shared=shared)


def registry_meta(t: Trained, excluded: dict[str, str], days: int, extra: dict[str, Any]) -> dict[str, Any]:
    return {"kind": t.kind, "target": t.target, "as_of_dates": t.train_dates + [
        d for d in t.test_dates if d not in t.train_dates], "train_dates": t.train_dates,
        "test_dates": t.test_dates, "split": t.split, "horizon_days": days,
        "n_train": t.n_train, "n_test": t.n_test, "features": [s.as_dict() for s in t.specs],
        "excluded": excluded, "params": t.model.model_.get_params(),
        "best_iteration": t.model.best_iteration_, "metrics": t.metrics,
        "baselines": t.baselines, "fairness": t.fairness, "importance": t.importance,
        "data_hash": t.data_hash, "extra": {**t.extra, **extra}}


def headline(report: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("auc", "pr_auc", "lift_top_decile", "brier", "base_rate", "rmse", "r2", "spearman")
    return {k: report[k] for k in keys if k in report}


def list_models(ws_path: Path | None) -> list[dict[str, Any]]:
    """Every registered model with its latest version and headline figures."""
    root = workspace.open_(ws_path).root
    out = []
    for name in registry.names(root):
        meta = registry.read_meta(root, name)
        out.append({"name": name, "version": meta["version"], "kind": meta["kind"],
                    "created_at": meta["created_at"], "as_of_dates": meta["as_of_dates"],
                    "horizon_days": meta["horizon_days"], "split": meta["split"],
                    "metrics": headline(meta["metrics"]),
                    "versions": registry.versions(root, name)})
    return out


def show_model(ws_path: Path | None, name: str, version: str | None = None) -> dict[str, Any]:
    """The registry metadata of a model (latest version unless ``version``)."""
    return registry.read_meta(workspace.open_(ws_path).root, name, version)


def evaluate(ws_path: Path | None, name: str, as_of: dt.date | None = None,
             progress: Any = None) -> dict[str, Any]:
    """The evaluation report of a model: metrics beside baselines, reliability, fairness.

    Args:
        as_of: Re-score the model on this date instead (features as of it, outcomes in
            (T, T+h] with the model's horizon), building the snapshot(s) it needs; the
            report then holds ``at_date`` beside the figures stored at training time.

    Raises:
        UsageError: The data does not cover the window after ``as_of``, or the model's
            labels are not dated (a response model).
    """
    meta = show_model(ws_path, name)
    stored = {"name": name, "version": meta["version"], "kind": meta["kind"],
              "split": meta["split"], "train_dates": meta["train_dates"],
              "test_dates": meta["test_dates"], "n_train": meta["n_train"], "n_test": meta["n_test"],
              "metrics": meta["metrics"], "baselines": meta["baselines"],
              "fairness": meta["fairness"], "top_features": dict(list(meta["importance"].items())[:10]),
              "extra": meta.get("extra", {})}
    if as_of is None:
        return stored
    ws = workspace.open_(ws_path)
    kind = reevaluate.label_kind(meta)
    days = int(meta["horizon_days"])
    eng = ws.engine()
    try:  # refuse an uncovered window before building anything
        labels.check_window(eng, kind, as_of, days)
    finally:
        eng.close()
    needed = [as_of] + ([as_of + dt.timedelta(days=days)] if kind == "value" else [])
    ensure_snapshots(ws_path, needed, progress or Quiet(), score=True)
    eng = ws.engine()
    try:
        at_date = reevaluate.evaluate_at(eng, registry.load(ws.root, name), as_of)
    finally:
        eng.close()
    return {**stored, "at_date": at_date}


def fairness(ws_path: Path | None, name: str) -> dict[str, Any]:
    """The fairness audit of a model (by gender and generation, on its test rows)."""
    meta = show_model(ws_path, name)
    return {"name": name, "version": meta["version"], **meta["fairness"]}


def score_latest(ws_path: Path | None, *, progress: Any = None) -> dict[str, Any]:
    """Score every customer of the latest snapshot with every registered model and write
    the scores back as model tags (one transaction)."""
    progress = progress or Quiet()
    ws = workspace.open_(ws_path)
    plan = tags_service.plan_for(ws_path)
    names = registry.names(ws.root)
    if not names:
        raise NotFoundError("No registered models to score with.",
                            hint="Train them with `portrait models train`.")
    eng = ws.engine()
    try:
        snap = snapshots.find(eng, None)
        if snap is None:
            raise NotFoundError("No tag snapshot to score.", hint="Run `portrait tags build`.")
        models = [registry.load(ws.root, n) for n in names]
        wanted = sorted({s.tag for m in models for s in m.specs})
        frame = trainset.snapshot_frame(eng, snap["as_of"], wanted)
        progress.start(f"Scoring {len(frame):,} customers", total=len(models))
        t0 = time.perf_counter()
        columns: dict[str, pd.Series] = {}
        skipped: list[str] = []
        matrices = encode_many(frame, [m.specs for m in models])
        for m, x in zip(models, matrices, strict=True):
            score_tag, band_tag = writeback.tag_names(m.name)
            if score_tag not in plan.tags:
                skipped.append(m.name)
                progress.advance()
                continue
            s = m.predict(x)
            columns[score_tag] = pd.Series(s, index=frame.index)
            if band_tag and band_tag in plan.tags:
                columns[band_tag] = pd.Series(writeback.bands(s), index=frame.index, dtype=object)
            progress.advance()
        seconds = time.perf_counter() - t0
        written = writeback.write(eng, snap["as_of"], columns)
    finally:
        eng.close()
    return {"as_of": snap["as_of"].isoformat(), "customers": len(frame), "tags": written,
            "not_in_catalog": skipped, "score_seconds": round(seconds, 2)}
