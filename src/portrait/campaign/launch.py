"""Launching a planned campaign: channel files, contact records, idempotently.

* The templates are checked for compliance first; any violation blocks the launch.
* Treatment customers not yet contacted by this campaign are re-checked against the
  do-not-contact list and their consent (withdrawals recorded since planning win), then
  taken in plan order while the total cost stays within the budget.
* Each channel gets one CSV file under ``<workspace>/exports/<campaign>/`` with only the
  fields it needs (data minimization): sms → phone, email → e-mail, app_push → a keyed
  customer token, rm_task → rm_id and customer_id, branch → branch_id and customer_id;
  plus the rendered message. Phone numbers, e-mail addresses and names are decrypted
  only into these files.
* Every treatment contact and every control customer (arm ``control``, never contacted)
  is recorded in ``contacts`` with the id ``<campaign>:<customer>``, so launching again
  contacts nobody twice. Files are written under temporary names, the contacts are
  committed, and only then are the files renamed into place: a crash can lose a file,
  never send the same message twice.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlglot import exp

from portrait.campaign import compliance, policy
from portrait.campaign.assignment import CONTROL, TREATMENT
from portrait.campaign.registry import CampaignRecord, mark_launched
from portrait.errors import DefinitionError
from portrait.store.crypto import FieldCipher
from portrait.store.engine import Engine

#: Columns of each channel's file, besides the message.
FIELDS = {"sms": ("phone",), "email": ("email",), "app_push": ("customer_token",),
          "rm_task": ("rm_id", "customer_id"), "branch": ("branch_id", "customer_id")}


@dataclass
class LaunchResult:
    campaign_id: str
    contacted: dict[str, int] = field(default_factory=dict)
    control_recorded: int = 0
    already_contacted: int = 0
    withheld: dict[str, int] = field(default_factory=dict)
    budget_skipped: int = 0
    cost: float = 0.0
    files: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"campaign_id": self.campaign_id, "contacted": self.contacted,
                "contacted_total": sum(self.contacted.values()),
                "control_recorded": self.control_recorded,
                "already_contacted": self.already_contacted, "withheld": self.withheld,
                "budget_skipped": self.budget_skipped, "cost": round(self.cost, 2),
                "files": self.files}


def contact_id(campaign_id: str, customer_id: str) -> str:
    return f"{campaign_id}:{customer_id}"


def check_compliance(record: CampaignRecord, category: str | None,
                     sensitivity: dict[str, str]) -> None:
    """Raise if the templates break a compliance rule.

    Raises:
        DefinitionError: One line per violation: rule, language and offending text.
    """
    found = compliance.check(record.spec.templates.as_dict(), category=category,
                             sensitivity=sensitivity)
    if found:
        lines = [f"[{v.rule}] {v.title} ({v.language}): {v.offending!r} — {v.message}" for v in found]
        raise DefinitionError(f"Campaign {record.campaign_id!r} is blocked by content compliance:\n  "
                              + "\n  ".join(lines),
                              hint="Fix the templates in the spec and plan the campaign again.")


def _existing(engine: Engine, campaign_id: str) -> tuple[set[str], float]:
    rows = engine.query("SELECT customer_id, arm, attributes FROM contacts WHERE campaign_id = ?",
                        [campaign_id])
    spent = sum(float(json.loads(a or "{}").get("cost", 0)) for _, arm, a in rows if arm == TREATMENT)
    return {str(r[0]) for r in rows}, spent


def _consented(engine: Engine, ids: list[str], send_at: dt.datetime) -> set[tuple[str, str]]:
    if not ids:
        return set()
    rows = engine.query("SELECT customer_id, purpose FROM consents WHERE list_contains(?, customer_id) "
                        "AND ts <= ? GROUP BY ALL HAVING arg_max(granted, ts)", [ids, send_at])
    return {(str(c), str(p)) for c, p in rows}


def _salutation(name: str | None, gender: str | None, language: str) -> str:
    if language == "en":
        return "Dear customer"
    title = {"M": "先生", "F": "女士"}.get(gender or "")
    return f"尊敬的{name[0]}{title}" if name and title else "尊敬的客户"


def _contact_details(engine: Engine, cipher: FieldCipher, ids: list[str], snapshot: str,
                     tags: list[str], language: str) -> dict[str, dict[str, Any]]:
    """Per customer: the fields any channel may need, and the template's tag values."""
    rows = engine.query("SELECT customer_id, phone, email, name, gender, rm_id, branch_id "
                        "FROM customers WHERE list_contains(?, customer_id)", [ids])
    phones = cipher.decrypt([r[1] for r in rows], context="customers.phone")
    emails = cipher.decrypt([r[2] for r in rows], context="customers.email")
    names = cipher.decrypt([r[3] for r in rows], context="customers.name")
    out: dict[str, dict[str, Any]] = {}
    for i, r in enumerate(rows):
        cid = str(r[0])
        out[cid] = {"customer_id": cid, "phone": phones[i], "email": emails[i],
                    "customer_token": cipher.token(f"customer|{cid}"), "rm_id": r[5],
                    "branch_id": r[6], "salutation": _salutation(names[i], r[4], language)}
    if tags:
        select = (exp.select(exp.column("customer_id"), *[exp.column(t) for t in tags])
                  .from_(exp.to_table(snapshot))
                  .where(exp.func("list_contains", exp.Placeholder(), exp.column("customer_id"))))
        for row in engine.query(select, [ids]):
            if str(row[0]) in out:
                out[str(row[0])].update({t: ("" if v is None else v)
                                         for t, v in zip(tags, row[1:], strict=True)})
    return out


def _render(template: str, values: dict[str, Any]) -> str:
    return string.Formatter().vformat(template, (), values)


def launch(engine: Engine, record: CampaignRecord, members: pa.Table, *, cipher: FieldCipher,
           exports_dir: Path, snapshot: str, settings: policy.PolicySettings,
           category: str | None, sensitivity: dict[str, str]) -> LaunchResult:
    """Contact the planned treatment customers not contacted yet and record everyone."""
    spec = record.spec
    check_compliance(record, category, sensitivity)
    result = LaunchResult(record.campaign_id)
    done, spent = _existing(engine, record.campaign_id)
    rows = [r for r in members.to_pylist() if r["arm"] in (TREATMENT, CONTROL)]
    result.already_contacted = sum(1 for r in rows if r["customer_id"] in done)
    todo = [r for r in rows if r["customer_id"] not in done]
    treat = [r for r in todo if r["arm"] == TREATMENT]
    dnc = policy.read_do_not_contact(settings.do_not_contact)
    consented = _consented(engine, [r["customer_id"] for r in treat], record.send_at)
    chosen: list[dict[str, Any]] = []
    for r in treat:
        if r["customer_id"] in dnc:
            result.withheld["do_not_contact"] = result.withheld.get("do_not_contact", 0) + 1
        elif (r["customer_id"], policy.CHANNEL_PURPOSE[r["channel"]]) not in consented:
            result.withheld["no_consent"] = result.withheld.get("no_consent", 0) + 1
        elif spec.budget is not None and spent + r["cost"] > spec.budget + 1e-9:
            result.budget_skipped += 1
        else:
            spent += r["cost"]
            result.cost += r["cost"]
            chosen.append(r)
    template = spec.templates.zh if spec.language == "zh" else spec.templates.en
    tags = [p for p in compliance.placeholders(template) if p != "salutation"]
    details = _contact_details(engine, cipher, [r["customer_id"] for r in chosen], snapshot, tags,
                               spec.language)
    folder = exports_dir / record.campaign_id
    folder.mkdir(parents=True, exist_ok=True)
    pending: list[tuple[Path, Path]] = []
    for channel in dict.fromkeys(r["channel"] for r in chosen):
        batch = [details[r["customer_id"]] for r in chosen if r["channel"] == channel]
        final = _free_name(folder, channel)
        tmp = final.with_suffix(".csv.part")
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([*FIELDS[channel], "message"])
            for d in batch:
                writer.writerow([*(d[f] for f in FIELDS[channel]), _render(template, d)])
        pending.append((tmp, final))
        result.contacted[channel] = len(batch)
        result.files[channel] = str(final)
    controls = [r for r in todo if r["arm"] == CONTROL]
    result.control_recorded = len(controls)
    _record_contacts(engine, record, chosen, controls, result.files)
    for tmp, final in pending:
        tmp.replace(final)
    mark_launched(engine, record.campaign_id, dt.datetime.now().replace(microsecond=0))
    return result


def _free_name(folder: Path, channel: str) -> Path:
    path, n = folder / f"{channel}.csv", 2
    while path.exists():
        path, n = folder / f"{channel}-{n}.csv", n + 1
    return path


def _record_contacts(engine: Engine, record: CampaignRecord, treated: list[dict[str, Any]],
                     controls: list[dict[str, Any]], files: dict[str, str]) -> None:
    rows = ([(r, TREATMENT, {"cost": r["cost"], "export": Path(files[r["channel"]]).name})
             for r in treated]
            + [(r, CONTROL, {"contacted": False}) for r in controls])
    if not rows:
        return
    table = pa.table({
        "contact_id": pa.array([contact_id(record.campaign_id, r["customer_id"]) for r, _, _ in rows]),
        "campaign_id": pa.array([record.campaign_id] * len(rows)),
        "customer_id": pa.array([r["customer_id"] for r, _, _ in rows]),
        "channel": pa.array([r["channel"] for r, _, _ in rows]),
        "arm": pa.array([arm for _, arm, _ in rows]),
        "ts": pa.array([record.send_at] * len(rows), pa.timestamp("us")),
        "attributes": pa.array([json.dumps(a) for _, _, a in rows]),
    })
    engine.execute("BEGIN TRANSACTION")
    try:
        engine.write_arrow("contacts", table, append=True)
        engine.execute("COMMIT")
    except BaseException:
        engine.execute("ROLLBACK")
        raise
