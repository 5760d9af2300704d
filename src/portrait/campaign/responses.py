"""Campaign responses: outcomes from a CSV file, and conversions seen in holdings.

The CSV has a header row with ``customer_id``, ``outcome`` (delivered, opened, clicked,
converted, declined) and either ``contact_id`` or ``campaign_id``; ``ts`` (ISO date or
time) and ``amount`` (≥ 0) are optional. A row that fails a check is not loaded: it goes
to ``<workspace>/quarantine/responses-<file>.csv`` with its line and the reason, like an
ingest reject. Each response gets a deterministic id, so loading a file twice changes
nothing.

Conversions are also detected from ``holdings``: a holding of the campaign's product
starting within the attribution window after the send time, for a customer of either
arm, is a ``converted`` response with the holding's amount.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from portrait.campaign.registry import CampaignRecord
from portrait.errors import DataRejectedError, SourceFormatError, UsageError
from portrait.schema import enums
from portrait.store.engine import Engine

REQUIRED = ("customer_id", "outcome")


@dataclass
class ResponsesReport:
    file: str
    loaded: int = 0
    rejected: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)
    quarantine_file: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "loaded": self.loaded, "rejected": self.rejected,
                "by_outcome": self.by_outcome, "reasons": self.reasons,
                "quarantine_file": self.quarantine_file}


def response_id(contact: str, outcome: str, ts: dt.datetime | None, amount: float | None) -> str:
    text = f"{contact}|{outcome}|{ts.isoformat() if ts else ''}|{'' if amount is None else amount!r}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _parse_ts(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.strip())
    return value.replace(tzinfo=None)


def _check(row: dict[str, str], contacts: dict[tuple[str, str], str], known: set[str]
           ) -> tuple[dict[str, Any] | None, str | None]:
    """The response of one CSV row, or the reason it is rejected."""
    customer = (row.get("customer_id") or "").strip()
    outcome = (row.get("outcome") or "").strip().lower()
    if not customer:
        return None, "customer_id is empty"
    if outcome not in enums.RESPONSE_OUTCOMES:
        return None, f"outcome {outcome!r} is not one of {', '.join(enums.RESPONSE_OUTCOMES)}"
    contact = (row.get("contact_id") or "").strip()
    if contact:
        if contact not in known:
            return None, f"contact_id {contact!r} is not a recorded contact"
    else:
        campaign = (row.get("campaign_id") or "").strip()
        contact = contacts.get((campaign, customer), "")
        if not contact:
            return None, f"customer {customer!r} was not in campaign {campaign!r}"
    ts: dt.datetime | None = None
    if (row.get("ts") or "").strip():
        try:
            ts = _parse_ts(row["ts"])
        except ValueError:
            return None, f"ts {row['ts']!r} is not an ISO date or time"
    amount: float | None = None
    if (row.get("amount") or "").strip():
        try:
            amount = float(row["amount"])
        except ValueError:
            return None, f"amount {row['amount']!r} is not a number"
        if not math.isfinite(amount) or amount < 0:
            return None, f"amount {row['amount']!r} must be a number ≥ 0"
    return {"response_id": response_id(contact, outcome, ts, amount), "contact_id": contact,
            "customer_id": customer, "outcome": outcome, "ts": ts, "amount": amount}, None


def upsert(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """Write responses, replacing any with the same id, in one transaction."""
    if not rows:
        return
    table = pa.Table.from_pylist(rows, schema=pa.schema([
        ("response_id", pa.string()), ("contact_id", pa.string()), ("customer_id", pa.string()),
        ("outcome", pa.string()), ("ts", pa.timestamp("us")), ("amount", pa.float64())]))
    engine.execute("BEGIN TRANSACTION")
    try:
        engine.execute("DELETE FROM responses WHERE list_contains(?, response_id)",
                       [table.column("response_id").to_pylist()])
        engine.write_arrow("responses", table, append=True)
        engine.execute("COMMIT")
    except BaseException:
        engine.execute("ROLLBACK")
        raise


def load_csv(engine: Engine, path: Path, quarantine_dir: Path, *, strict: bool = False) -> ResponsesReport:
    """Load the responses of a CSV file (see the module docstring for its columns).

    Raises:
        UsageError: The file does not exist.
        SourceFormatError: A required column is missing.
        DataRejectedError: ``strict`` and a row was rejected (nothing is loaded).
    """
    if not path.is_file():
        raise UsageError(f"Responses file {path} does not exist.")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        missing = [c for c in REQUIRED if c not in header]
        if "contact_id" not in header and "campaign_id" not in header:
            missing.append("contact_id or campaign_id")
        if missing:
            raise SourceFormatError(f"{path} lacks the column(s) {', '.join(missing)}.",
                                    hint="Columns: customer_id, outcome, contact_id or campaign_id, "
                                         "and optionally ts, amount.")
        lines = list(reader)
    known = {str(r[0]) for r in engine.query("SELECT contact_id FROM contacts")}
    contacts = {(str(r[0]), str(r[1])): str(r[2]) for r in engine.query(
        "SELECT campaign_id, customer_id, contact_id FROM contacts")}
    report = ResponsesReport(str(path))
    good: list[dict[str, Any]] = []
    bad: list[tuple[int, dict[str, str], str]] = []
    for n, row in enumerate(lines, start=2):
        resp, reason = _check(row, contacts, known)
        if resp is None:
            bad.append((n, row, reason or "invalid"))
        else:
            good.append(resp)
    if bad:
        report.rejected = len(bad)
        for _, _, reason in bad:
            key = reason.split(" ")[0]
            report.reasons[key] = report.reasons.get(key, 0) + 1
        quarantine_dir.mkdir(parents=True, exist_ok=True)
        target = quarantine_dir / f"responses-{path.stem}.csv"
        with target.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["line", "reason", *header])
            for line, row, reason in bad:
                writer.writerow([line, reason, *(row.get(c, "") for c in header)])
        report.quarantine_file = str(target)
        if strict:
            raise DataRejectedError(f"{len(bad)} row(s) of {path} were rejected; nothing loaded "
                                    f"(first: line {bad[0][0]}: {bad[0][2]}).",
                                    hint=f"See {target}.")
    upsert(engine, good)
    report.loaded = len(good)
    for r in good:
        report.by_outcome[r["outcome"]] = report.by_outcome.get(r["outcome"], 0) + 1
    return report


def detect_from_holdings(engine: Engine, record: CampaignRecord) -> int:
    """Record conversions seen as new holdings of the campaign's product; returns how many."""
    end = record.send_at + dt.timedelta(days=record.spec.attribution_days)
    rows = engine.query(
        "SELECT c.contact_id, c.customer_id, h.holding_id, h.start_at, h.amount "
        "FROM contacts c JOIN holdings h USING (customer_id) "
        "WHERE c.campaign_id = ? AND h.product_id = ? AND h.start_at >= CAST(? AS DATE) "
        "AND h.start_at <= CAST(? AS DATE)",
        [record.campaign_id, record.spec.objective.product, record.send_at, end])
    found = [{"response_id": f"holding:{record.campaign_id}:{r[2]}", "contact_id": r[0],
              "customer_id": r[1], "outcome": "converted",
              "ts": dt.datetime.combine(r[3], dt.time()), "amount": None if r[4] is None else float(r[4])}
             for r in rows]
    upsert(engine, found)
    return len(found)
