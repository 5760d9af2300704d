"""Campaigns in the warehouse: ``campaigns`` (one row per campaign: spec, status, plan
summary) and ``campaign_members`` (one row per audience customer: stratum, exclusion
reason, arm, channel, cost). Contacts made are in the canonical ``contacts`` table.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from portrait.campaign.spec import CampaignSpec, parse_spec
from portrait.errors import NotFoundError
from portrait.store import layout
from portrait.store.engine import Engine

CAMPAIGNS = "campaigns"
MEMBERS = "campaign_members"
CAMPAIGN_COLUMNS = [("campaign_id", "VARCHAR"), ("name", "VARCHAR"), ("status", "VARCHAR"),
                    ("spec", "JSON"), ("spec_file", "VARCHAR"), ("as_of", "DATE"),
                    ("send_at", "TIMESTAMP"), ("planned_at", "TIMESTAMP"),
                    ("launched_at", "TIMESTAMP"), ("summary", "JSON")]
MEMBER_COLUMNS = [("campaign_id", "VARCHAR"), ("customer_id", "VARCHAR"), ("stratum", "VARCHAR"),
                  ("reason", "VARCHAR"), ("arm", "VARCHAR"), ("channel", "VARCHAR"),
                  ("cost", "DOUBLE")]
PLANNED, LAUNCHED = "planned", "launched"


@dataclass(frozen=True)
class CampaignRecord:
    campaign_id: str
    name: str
    status: str
    spec: CampaignSpec
    spec_file: str
    as_of: dt.date
    send_at: dt.datetime
    planned_at: dt.datetime
    launched_at: dt.datetime | None
    summary: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"campaign_id": self.campaign_id, "name": self.name, "status": self.status,
                "spec_file": self.spec_file, "as_of": self.as_of.isoformat(),
                "send_at": self.send_at.isoformat(), "planned_at": self.planned_at.isoformat(),
                "launched_at": self.launched_at.isoformat() if self.launched_at else None,
                "funnel": self.summary.get("funnel")}


def ensure_tables(engine: Engine) -> None:
    engine.execute(layout.create_table(CAMPAIGNS, CAMPAIGN_COLUMNS))
    engine.execute(layout.create_table(MEMBERS, MEMBER_COLUMNS))


def _record(row: tuple[Any, ...]) -> CampaignRecord:
    return CampaignRecord(row[0], row[1], row[2], parse_spec(json.loads(row[3]), f"campaign {row[0]}"),
                          row[4], row[5], row[6], row[7], row[8], json.loads(row[9]))


_SELECT = ("SELECT campaign_id, name, status, spec, spec_file, as_of, send_at, planned_at, "
           "launched_at, summary FROM campaigns")


def find(engine: Engine, campaign_id: str) -> CampaignRecord | None:
    ensure_tables(engine)
    rows = engine.query(_SELECT + " WHERE campaign_id = ?", [campaign_id])
    return _record(rows[0]) if rows else None


def get(engine: Engine, campaign_id: str) -> CampaignRecord:
    """The campaign called ``campaign_id``.

    Raises:
        NotFoundError: No campaign has that id; the hint lists the known ones.
    """
    record = find(engine, campaign_id)
    if record is None:
        known = [r.campaign_id for r in list_all(engine)]
        raise NotFoundError(f"No campaign {campaign_id!r} in this workspace.",
                            hint=(f"Known campaigns: {', '.join(known)}." if known else
                                  "Plan one first: portrait campaign plan SPEC.yaml"))
    return record


def list_all(engine: Engine) -> list[CampaignRecord]:
    ensure_tables(engine)
    return [_record(r) for r in engine.query(_SELECT + " ORDER BY planned_at DESC")]


def save_plan(engine: Engine, spec: CampaignSpec, spec_file: str, as_of: dt.date,
              send_at: dt.datetime, summary: dict[str, Any], members: pa.Table) -> None:
    """Store (or replace) a planned campaign and its members in one transaction."""
    ensure_tables(engine)
    cid = spec.campaign_id
    engine.execute("BEGIN TRANSACTION")
    try:
        engine.execute("DELETE FROM campaigns WHERE campaign_id = ?", [cid])
        engine.execute("DELETE FROM campaign_members WHERE campaign_id = ?", [cid])
        engine.execute("INSERT INTO campaigns VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                       [cid, spec.name, PLANNED, spec.model_dump_json(), spec_file, as_of, send_at,
                        dt.datetime.now().replace(microsecond=0), json.dumps(summary, default=str)])
        engine.write_arrow(MEMBERS, members, append=True)
        engine.execute("COMMIT")
    except BaseException:
        engine.execute("ROLLBACK")
        raise


def members(engine: Engine, campaign_id: str) -> pa.Table:
    """Every member row of a campaign, in customer order."""
    return engine.query_arrow("SELECT customer_id, stratum, reason, arm, channel, cost "
                              "FROM campaign_members WHERE campaign_id = ? ORDER BY customer_id",
                              [campaign_id])


def mark_launched(engine: Engine, campaign_id: str, at: dt.datetime) -> None:
    engine.execute("UPDATE campaigns SET status = ?, launched_at = coalesce(launched_at, ?) "
                   "WHERE campaign_id = ?", [LAUNCHED, at, campaign_id])


def update_summary(engine: Engine, campaign_id: str, key: str, value: Any) -> None:
    record = get(engine, campaign_id)
    summary = dict(record.summary, **{key: value})
    engine.execute("UPDATE campaigns SET summary = ? WHERE campaign_id = ?",
                   [json.dumps(summary, default=str), campaign_id])
