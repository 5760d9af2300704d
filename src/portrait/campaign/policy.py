"""The contact policy: who in the audience may be contacted, applied in a fixed order.

Each customer is checked in this order and excluded with the *first* reason that applies:

1. ``no_consent`` — no consent for the purpose of any of the campaign's channels
   (app_push → marketing_push, sms → marketing_sms, email → marketing_email,
   rm_task and branch → marketing_call), the latest consent as of the send time;
   ``unreachable`` — consented, but no phone / e-mail / relationship manager / branch
   for any consented channel. Otherwise the customer gets the first consented,
   reachable channel in the spec's order.
2. ``do_not_contact`` — on the do-not-contact list (a CSV file with a ``customer_id``
   column, ``<workspace>/do_not_contact.csv`` or ``[campaign] do_not_contact`` in
   portrait.toml).
3. ``frequency_cap`` — already received ``max_contacts`` marketing contacts (treatment
   contacts of any campaign) in the ``frequency_days`` before the send time.
4. ``quiet_hours`` — the send time falls in quiet hours (default 21:00–08:00): it is
   postponed to the end of quiet hours when that is still inside the schedule window,
   otherwise every customer on a remote channel is excluded (branch offers are made
   in opening hours and are not affected).
5. ``unsuitable`` — the product's risk grade exceeds the customer's questionnaire
   risk level (R3 needs C3 or above), or the customer has no risk level and the product
   is above R1.
6. ``open_complaint`` — the customer has an open complaint (tag ``has_open_complaint``).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from portrait.campaign.population import ObjArray, Population
from portrait.errors import ConfigError, DataRejectedError
from portrait.schema import enums

CHANNEL_PURPOSE = {"app_push": "marketing_push", "sms": "marketing_sms",
                   "email": "marketing_email", "rm_task": "marketing_call",
                   "branch": "marketing_call"}
REASONS = ("no_consent", "unreachable", "do_not_contact", "frequency_cap", "quiet_hours",
           "unsuitable", "open_complaint")
#: Channels that reach the customer wherever they are, so quiet hours apply.
REMOTE = frozenset({"app_push", "sms", "email", "rm_task"})
DNC_FILE = "do_not_contact.csv"


@dataclass(frozen=True)
class PolicySettings:
    """Contact-policy settings (``[campaign]`` in portrait.toml)."""

    max_contacts: int = 2
    frequency_days: int = 7
    quiet_start: dt.time = dt.time(21, 0)
    quiet_end: dt.time = dt.time(8, 0)
    do_not_contact: Path | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any], root: Path) -> PolicySettings:
        """Settings from a workspace's parsed portrait.toml.

        Raises:
            ConfigError: A value has the wrong type or format.
        """
        section = config.get("campaign", {})
        try:
            dnc = section.get("do_not_contact")
            return cls(
                max_contacts=int(section.get("max_contacts", 2)),
                frequency_days=int(section.get("frequency_days", 7)),
                quiet_start=dt.time.fromisoformat(str(section.get("quiet_start", "21:00"))),
                quiet_end=dt.time.fromisoformat(str(section.get("quiet_end", "08:00"))),
                do_not_contact=(root / str(dnc)) if dnc else root / DNC_FILE)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"[campaign] in {root / 'portrait.toml'} is invalid: {exc}",
                              hint="max_contacts and frequency_days are integers; "
                                   "quiet_start and quiet_end look like \"21:00\".") from exc


def read_do_not_contact(path: Path | None) -> set[str]:
    """Customer ids on the do-not-contact list (empty when the file does not exist).

    Raises:
        DataRejectedError: The file has no ``customer_id`` column.
    """
    if path is None or not path.exists():
        return set()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or "customer_id" not in reader.fieldnames:
            raise DataRejectedError(f"The do-not-contact list {path} has no customer_id column.",
                                    hint="Write a CSV file with a header row naming customer_id.")
        return {row["customer_id"].strip() for row in reader if row.get("customer_id")}


def in_quiet_hours(moment: dt.time, start: dt.time, end: dt.time) -> bool:
    """Whether a time of day lies in ``[start, end)``, a window that may span midnight."""
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end


def schedule_send(start: dt.datetime, end: dt.datetime,
                  settings: PolicySettings) -> tuple[dt.datetime | None, str | None]:
    """The send time after quiet hours: ``(time, note)``; ``(None, note)`` if it cannot be sent."""
    if not in_quiet_hours(start.time(), settings.quiet_start, settings.quiet_end):
        return start, None
    moved = dt.datetime.combine(start.date(), settings.quiet_end)
    if moved <= start:
        moved += dt.timedelta(days=1)
    if moved <= end:
        return moved, (f"send time {start:%Y-%m-%d %H:%M} is in quiet hours; postponed to "
                       f"{moved:%Y-%m-%d %H:%M}")
    return None, (f"send time {start:%Y-%m-%d %H:%M} is in quiet hours and the schedule ends "
                  f"before they do ({end:%Y-%m-%d %H:%M}); remote channels excluded")


@dataclass(frozen=True)
class PolicyResult:
    """Per customer: the exclusion reason (None = eligible) and the channel chosen."""

    reason: ObjArray
    channel: ObjArray
    send_at: dt.datetime
    notes: tuple[str, ...]

    @property
    def eligible(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        return np.array([r is None for r in self.reason], dtype=bool)

    def counts(self) -> dict[str, int]:
        return {r: int(sum(1 for x in self.reason if x == r)) for r in REASONS}


def _reachable(pop: Population, channel: str) -> np.ndarray[Any, np.dtype[np.bool_]]:
    if channel == "sms":
        return pop.has_phone
    if channel == "email":
        return pop.has_email
    if channel == "rm_task":
        return np.array([v is not None for v in pop.rm_id], dtype=bool)
    if channel == "branch":
        return np.array([v is not None for v in pop.branch_id], dtype=bool)
    return np.ones(len(pop), dtype=bool)  # app push goes to the customer's token


def apply(pop: Population, *, channels: list[str], product_grade: str, do_not_contact: set[str],
          start: dt.datetime, end: dt.datetime, settings: PolicySettings) -> PolicyResult:
    """Apply the policy, in order, to every customer of ``pop``."""
    n = len(pop)
    reason = np.full(n, None, dtype=object)
    channel = np.full(n, None, dtype=object)
    any_consent = np.zeros(n, dtype=bool)
    for name in channels:
        consented = pop.consent.get(CHANNEL_PURPOSE[name], np.zeros(n, dtype=bool))
        any_consent |= consented
        pick = consented & _reachable(pop, name) & (channel == None)  # noqa: E711
        channel[pick] = name

    def exclude(mask: np.ndarray[Any, np.dtype[np.bool_]], why: str) -> None:
        reason[mask & (reason == None)] = why  # noqa: E711

    exclude(~any_consent, "no_consent")
    exclude(channel == None, "unreachable")  # noqa: E711
    exclude(np.array([c in do_not_contact for c in pop.customer_id], dtype=bool), "do_not_contact")
    exclude(pop.recent_contacts >= settings.max_contacts, "frequency_cap")
    send_at, note = schedule_send(start, end, settings)
    if send_at is None:
        exclude(np.array([c in REMOTE for c in channel], dtype=bool), "quiet_hours")
    grade = enums.RISK_GRADES.index(product_grade) + 1
    levels = np.array([enums.RISK_LEVELS.index(v) + 1 if v in enums.RISK_LEVELS else 0
                       for v in pop.risk_level], dtype=np.int64)
    exclude((levels < grade) if grade > 1 else np.zeros(n, dtype=bool), "unsuitable")
    if pop.open_complaint is not None:
        exclude(pop.open_complaint, "open_complaint")
    notes = tuple(x for x in (note,) if x)
    if pop.open_complaint is None:
        notes += ("tag has_open_complaint is not in the snapshot: open complaints not checked",)
    return PolicyResult(reason, channel, send_at or start, notes)
