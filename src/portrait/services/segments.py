"""Segment use cases: fit segments on a tag snapshot, show their cards, list opportunities."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from sqlglot import exp

from portrait.audience import cards as card_builder
from portrait.audience import segment_store
from portrait.audience import segments as clustering
from portrait.audience.opportunities import opportunities as rank_opportunities
from portrait.errors import ConfigError, NotFoundError, UsageError
from portrait.services import workspace
from portrait.services.tags import plan_for
from portrait.tags import snapshots

LANGS = ("zh", "en")


def _config(ws: Any) -> tuple[list[str], list[str]]:
    cfg = ws.config.get("segments", {})
    include, exclude = cfg.get("include", []), cfg.get("exclude", [])
    if not (isinstance(include, list) and isinstance(exclude, list)):
        raise ConfigError("[segments] include and exclude must be lists of tag names.",
                          hint=f"Fix {ws.root / 'portrait.toml'}.")
    return [str(t) for t in include], [str(t) for t in exclude]


def fit(ws_path: Path | None, k: int | None = None, seed: int = 0,
        as_of: dt.date | None = None, progress: Any = None) -> dict[str, Any]:
    """Cluster the customers of a tag snapshot and write the segments back as tag ``segment``.

    Args:
        ws_path: Workspace folder (None: the default).
        k: Number of segments, or None to choose it (silhouette, 3…10).
        seed: Random seed; the same seed on the same snapshot gives the same segments.
        as_of: Snapshot date (default: the latest snapshot).
        progress: Progress sink with ``start(description, total)``.

    Returns:
        The fit: as-of date, k and how it was chosen, features used and skipped, and each
        segment's size, share and names.

    Raises:
        NotFoundError: No tag snapshot.
        UsageError: ``k`` out of range or too few customers.
    """
    started = time.perf_counter()
    ws = workspace.open_(ws_path)
    include, exclude = _config(ws)
    specs = {name: tag.spec for name, tag in plan_for(ws_path).tags.items()}
    engine = ws.engine()
    try:
        snapshots.ensure_tables(engine)
        snap = snapshots.find(engine, as_of)
        if snap is None:
            when = f" as of {as_of.isoformat()}" if as_of else ""
            raise NotFoundError(f"No tag snapshot{when} in {ws.root}.",
                                hint="Build one first: `portrait tags build`.")
        if progress is not None:
            progress.start(f"Reading the snapshot as of {snap['as_of'].isoformat()}", None)
        select = exp.select("*").from_(exp.to_table(snap["table"])).order_by("customer_id")
        frame = engine.query_arrow(select).to_pandas()
        if progress is not None:
            progress.start("Clustering" + (" (choosing k)" if k is None else ""), None)
        fitted = clustering.fit(frame, specs, list(snap["uncovered"]), k=k, seed=seed,
                                include=include, exclude=exclude)
        if progress is not None:
            progress.start("Writing segments and cards", None)
        built = card_builder.build_cards(frame, fitted.labels, specs, list(snap["uncovered"]))
        segment_store.publish(engine, snap, frame["customer_id"].astype(str).tolist(), fitted,
                              built)
    finally:
        engine.close()
    return {"as_of": snap["as_of"].isoformat(), "table": snap["table"], "k": fitted.k,
            "seed": seed, "algorithm": fitted.algorithm, "criterion": fitted.criterion,
            "silhouette": {str(c): s for c, s in fitted.scores.items()},
            "customers": len(frame), "features": fitted.features.tags,
            "feature_columns": len(fitted.features.columns),
            "skipped": fitted.features.skipped,
            "segments": [{"segment": c["segment"], "size": c["size"], "share": c["share"],
                          "name": c["name"]} for c in built],
            "ms": round((time.perf_counter() - started) * 1000)}


def _load(ws_path: Path | None, as_of: dt.date | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    engine = workspace.open_(ws_path).engine()
    try:
        return segment_store.load(engine, as_of)
    finally:
        engine.close()


def _localize(item: dict[str, Any], lang: str) -> dict[str, Any]:
    out = dict(item)
    for key in ("name", "title"):
        if isinstance(out.get(key), dict):
            out[f"{key}s"] = out[key]
            out[key] = out[key][lang]
    return out


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise UsageError(f"Unknown language {lang!r}.", hint="Use zh or en.")


def cards(ws_path: Path | None, lang: str = "en", as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """The stored segment cards of a snapshot, with names and titles in ``lang``.

    Raises:
        NotFoundError: No snapshot, or segments not fitted (or stale) for it.
    """
    _check_lang(lang)
    model, stored = _load(ws_path, as_of)
    out = []
    for card in stored:
        shown = _localize(card, lang)
        shown["as_of"] = model["as_of"]
        shown["distinguishing"] = [_localize(i, lang) for i in card["distinguishing"]]
        shown["holdings"] = [_localize(h, lang) for h in card["holdings"]]
        out.append(shown)
    return out


def model(ws_path: Path | None, as_of: dt.date | None = None) -> dict[str, Any]:
    """How the segments of a snapshot were fitted (k, criterion, features)."""
    return _load(ws_path, as_of)[0]


def opportunities(ws_path: Path | None, top: int | None = 10, as_of: dt.date | None = None,
                  lang: str = "en") -> list[dict[str, Any]]:
    """Segment × product category opportunities, largest expected conversions first."""
    _check_lang(lang)
    if top is not None and top < 1:
        raise UsageError(f"--top {top} must be at least 1.")
    model_, stored = _load(ws_path, as_of)
    return [{**_localize(r, lang), "as_of": model_["as_of"]}
            for r in rank_opportunities(stored, top)]
