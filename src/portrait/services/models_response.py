"""Training the campaign response models: recorded campaign outcomes become the labels of
the next model (``response_<category>``, one per objective product category).

The labels and their point-in-time features are defined in
:mod:`portrait.models.response`; this use case builds the missing feature snapshots,
trains each model with the same metrics, baselines, fairness audit and registry as the
other warehouse models, and reports the campaigns it used or left out and why.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from portrait.errors import UsageError
from portrait.models import registry, response, trainset
from portrait.models.response import PREFIX, CampaignWindow
from portrait.models.training import train_binary
from portrait.services import tags as tags_service
from portrait.services import workspace
from portrait.services.models import (
    Quiet,
    ensure_snapshots,
    registry_meta,
    segment_tag,
    summary,
    tag_choice,
)
from portrait.tags.build import default_as_of

__all__ = ["PREFIX", "train_responses"]

LABEL = ("converted within the campaign's attribution window: a recorded 'converted' response, "
         "or a new holding of the objective product")


def _split_campaigns(campaigns: list[CampaignWindow], split: str) -> tuple[list[str], list[str]]:
    if split != "time":
        ids = [c.campaign_id for c in campaigns]
        return ids, ids
    last = max(c.first_contact.date() for c in campaigns)
    return ([c.campaign_id for c in campaigns if c.first_contact.date() != last],
            [c.campaign_id for c in campaigns if c.first_contact.date() == last])


def train_responses(ws_path: Path | None, *, only: Sequence[str] | None = None,
                    progress: Any = None
                    ) -> tuple[list[dict[str, Any]], dict[str, str], dict[str, Any]]:
    """Train one response model per objective category of the launched campaigns.

    Args:
        only: Model names asked for; names without the ``response_`` prefix are ignored,
            and none of them means every response model.

    Returns:
        The trained models' summaries (as in ``train_all``), the models skipped with why,
        and ``{"campaigns": [used…], "left_out": {campaign: why}}``.
    """
    progress = progress or Quiet()
    ws = workspace.open_(ws_path)
    cfg = dict(ws.config.get("models", {}))
    eng = ws.engine()
    try:
        found = response.campaigns(eng)
        data_end = default_as_of(eng)
    finally:
        eng.close()
    asked = [n for n in only or [] if n.startswith(PREFIX)]
    keep, left = response.usable(found, data_end=data_end)
    groups: dict[str, list[CampaignWindow]] = {}
    for c in keep:
        if c.model and (not asked or c.model in asked):
            groups.setdefault(c.model, []).append(c)
    skipped: dict[str, str] = {}
    if not found:
        why_none = "no campaign has contacted anyone yet (`portrait campaign launch`)"
    elif not keep:
        why_none = "no campaign with a closed attribution window: " + "; ".join(
            f"{k}: {v}" for k, v in left.items())
    else:
        why_none = ""
    for name in asked or ([] if groups else ["response"]):
        if name not in groups:
            skipped[name] = why_none or ("no launched campaign sells a product of category "
                                         f"{name.removeprefix(PREFIX)!r}")
    report: dict[str, Any] = {"campaigns": [c.as_dict(data_end) for cs in groups.values() for c in cs],
                              "left_out": left}
    if not groups:
        return [], skipped, report
    dates = sorted({c.feature_as_of(data_end) for cs in groups.values() for c in cs})
    ensure_snapshots(ws_path, dates, progress)
    plan = tags_service.plan_for(ws_path)
    eng = ws.engine()
    try:
        choice = tag_choice(eng, plan, dates, cfg)
        wanted = sorted(set(choice.features) | set(choice.protected))
        progress.start("Reading campaign outcomes and their snapshots", total=len(dates))
        frames: dict[dt.date, pd.DataFrame] = {}
        for d in dates:
            frames[d] = trainset.snapshot_frame(eng, d, wanted)
            progress.advance()
        outcomes = {c.campaign_id: response.conversions(eng, c) for cs in groups.values() for c in cs}
    finally:
        eng.close()
    segment = segment_tag(plan, choice.features)
    results: list[dict[str, Any]] = []
    progress.start("Training response models", total=len(groups))
    for name, cs in groups.items():
        t0 = time.perf_counter()
        ts, counts = response.response_set(
            [(c, frames[c.feature_as_of(data_end)], outcomes[c.campaign_id]) for c in cs], name)
        try:
            trained = train_binary(ts, plan, choice.features, choice.protected, kind="response",
                                   segment_tag=segment)
        except UsageError as exc:
            skipped[name] = f"{exc.message} Campaigns: " + ", ".join(
                f"{k} ({v['positives']} of {v['rows']})" for k, v in counts.items())
            progress.advance()
            continue
        train_ids, test_ids = _split_campaigns(cs, trained.split)
        seconds = round(time.perf_counter() - t0, 2)
        extra: dict[str, Any] = {
            "categories": [cs[0].category], "segment_tag": segment, "train_seconds": seconds,
            "label": LABEL, "products": sorted({str(c.product) for c in cs}),
            "campaigns": [{**c.as_dict(data_end), **counts[c.campaign_id]} for c in cs],
            "train_campaigns": train_ids, "test_campaigns": test_ids}
        days = max(c.attribution_days for c in cs)
        version = registry.save(ws.root, name, trained.model.booster_,
                                registry_meta(trained, choice.excluded, days, extra))
        results.append({**summary(name, version, trained, seconds),
                        "campaigns": [c.campaign_id for c in cs]})
        progress.advance()
    return results, skipped, report
