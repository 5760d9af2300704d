"""Campaign outcomes as training labels: who converted after a campaign contacted them.

Each launched campaign is one point in time. Its rows are the customers it contacted
(arm ``treatment`` in ``contacts``; control customers were never contacted, so they say
nothing about responding to a contact). Features are the tag snapshot as of the day
before the campaign's first contact, capped at the data's end (a snapshot past the
extract's last day would read empty recent windows, unlike the snapshots scored later);
nothing dated on or after the first contact can reach them. The label is a conversion
inside the attribution window ``[first contact, first contact + attribution_days]``:
a recorded ``converted`` response of the contact (undated ones count, as in the campaign
evaluation), or a holding of the objective product starting in the window (the rule
``portrait campaign evaluate`` uses to detect conversions from holdings), so the label
does not depend on whether the campaign was evaluated yet.

A campaign is used once its attribution window has closed — it ends on or before the
data's last day, or before today: an open window would label late converters as
non-converters. Campaigns
are grouped by the category of their objective product; each group is one model,
``response_<category>``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from portrait.models.labels import CAMPAIGNS
from portrait.models.trainset import TrainSet
from portrait.store.engine import Engine

PREFIX = "response_"


@dataclass(frozen=True)
class CampaignWindow:
    """A launched campaign as a source of labels.

    Attributes:
        product: The objective product (``products.product_id``), None when unknown.
        category: Its product category, None when the product is not in ``products``.
        first_contact: When its first treatment contact was made.
        contacted: Treatment customers contacted.
    """

    campaign_id: str
    product: str | None
    category: str | None
    first_contact: dt.datetime
    attribution_days: int
    contacted: int

    @property
    def window_end(self) -> dt.datetime:
        return self.first_contact + dt.timedelta(days=self.attribution_days)

    @property
    def model(self) -> str | None:
        return f"{PREFIX}{self.category}" if self.category else None

    def feature_as_of(self, data_end: dt.date) -> dt.date:
        """The day before the first contact, or the data's end when that is earlier."""
        return min(self.first_contact.date() - dt.timedelta(days=1), data_end)

    def as_dict(self, data_end: dt.date | None = None) -> dict[str, Any]:
        out = {"campaign_id": self.campaign_id, "product": self.product, "category": self.category,
               "first_contact": self.first_contact.isoformat(),
               "window_end": self.window_end.isoformat(), "contacted": self.contacted}
        if data_end is not None:
            out["feature_as_of"] = self.feature_as_of(data_end).isoformat()
        return out


def campaigns(engine: Engine) -> list[CampaignWindow]:
    """Every campaign with treatment contacts, in order of first contact."""
    if engine.has_table(CAMPAIGNS):
        sql = ("WITH c AS (SELECT campaign_id, min(ts) AS first, count(*) AS n FROM contacts "
               "WHERE arm = 'treatment' AND ts IS NOT NULL GROUP BY 1) "
               "SELECT c.campaign_id, json_extract_string(g.spec, '$.objective.product'), p.category, "
               "c.first, coalesce(TRY_CAST(json_extract(g.spec, '$.attribution_days') AS INTEGER), 30), "
               f"c.n FROM c LEFT JOIN {CAMPAIGNS} g USING (campaign_id) LEFT JOIN products p "
               "ON p.product_id = json_extract_string(g.spec, '$.objective.product') "
               "ORDER BY c.first, c.campaign_id")
    else:  # contacts recorded without a campaign spec: no objective, no window
        sql = ("SELECT campaign_id, NULL, NULL, min(ts), 30, count(*) FROM contacts "
               "WHERE arm = 'treatment' AND ts IS NOT NULL GROUP BY 1 ORDER BY 4, 1")
    return [CampaignWindow(str(r[0]), r[1], r[2], r[3], int(r[4]), int(r[5]))
            for r in engine.query(sql)]


def usable(found: Sequence[CampaignWindow], *, data_end: dt.date, today: dt.date | None = None
           ) -> tuple[list[CampaignWindow], dict[str, str]]:
    """The campaigns whose labels are complete, and why each other one is left out."""
    today = today or dt.date.today()
    keep: list[CampaignWindow] = []
    left: dict[str, str] = {}
    for c in found:
        if c.category is None:
            left[c.campaign_id] = ("its objective product is unknown (no campaign spec, or the "
                                   f"product {c.product!r} is not in products)")
        elif c.window_end.date() > data_end and c.window_end.date() >= today:
            left[c.campaign_id] = (f"its attribution window is open until {c.window_end:%Y-%m-%d} "
                                   f"(the data ends on {data_end}, today is {today})")
        else:
            keep.append(c)
    return keep, left


def conversions(engine: Engine, campaign: CampaignWindow) -> pd.DataFrame:
    """Per treatment contact of the campaign: ``converted`` in the attribution window.

    Returns:
        Columns customer_id, converted (bool), by_holding (a new holding of the objective
        product in the window), by_response (a recorded ``converted`` response in it);
        one row per contacted customer, in customer order.
    """
    start, end = campaign.first_contact, campaign.window_end
    sql = (
        "WITH t AS (SELECT contact_id, customer_id FROM contacts "
        "WHERE campaign_id = ? AND arm = 'treatment'), "
        "r AS (SELECT DISTINCT r.contact_id FROM responses r JOIN t USING (contact_id) "
        "WHERE r.outcome = 'converted' AND (r.ts IS NULL OR (r.ts >= ? AND r.ts <= ?))), "
        "h AS (SELECT DISTINCT h.customer_id FROM holdings h JOIN t USING (customer_id) "
        "WHERE h.product_id = ? AND h.start_at >= CAST(? AS DATE) AND h.start_at <= CAST(? AS DATE)) "
        "SELECT t.customer_id, r.contact_id IS NOT NULL AS by_response, "
        "h.customer_id IS NOT NULL AS by_holding FROM t LEFT JOIN r USING (contact_id) "
        "LEFT JOIN h ON h.customer_id = t.customer_id ORDER BY t.customer_id")
    frame = engine.query_arrow(sql, [campaign.campaign_id, start, end, campaign.product, start,
                                     end]).to_pandas()
    frame["converted"] = frame["by_response"] | frame["by_holding"]
    return frame[["customer_id", "converted", "by_holding", "by_response"]]


def response_set(parts: Sequence[tuple[CampaignWindow, pd.DataFrame, pd.DataFrame]],
                 target: str) -> tuple[TrainSet, dict[str, dict[str, int]]]:
    """Stack campaigns into one training set.

    Args:
        parts: Per campaign: the campaign, its feature frame (the snapshot as of its
            feature date, indexed by customer_id) and its :func:`conversions`.

    Returns:
        The set (``as_of`` of each row is its campaign's first-contact date, the key the
        time split orders campaigns by) and, per campaign, rows, positives and contacted
        customers missing from the snapshot (joined after the feature date).
    """
    frames, ys, days = [], [], []
    counts: dict[str, dict[str, int]] = {}
    for campaign, features, outcome in parts:
        labels = outcome.set_index("customer_id")["converted"]
        present = labels.index[labels.index.isin(features.index)]
        frames.append(features.loc[present])
        y = labels.loc[present].to_numpy(dtype=np.int64)
        ys.append(y)
        days.append(np.full(len(present), campaign.first_contact.date(), dtype=object))
        counts[campaign.campaign_id] = {"rows": len(present), "positives": int(y.sum()),
                                        "not_in_snapshot": int(len(labels) - len(present))}
    frame = pd.concat(frames) if frames else pd.DataFrame()
    y_all = np.concatenate(ys) if ys else np.zeros(0, dtype=np.int64)
    as_of = np.concatenate(days) if days else np.zeros(0, dtype=object)
    return TrainSet(target, frame, y_all, as_of), counts
