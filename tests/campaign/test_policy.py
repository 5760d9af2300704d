"""Every contact-policy rule, in order, on hand-made populations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from portrait.campaign import policy
from portrait.campaign.population import Population
from portrait.errors import ConfigError, DataRejectedError

START = dt.datetime(2026, 1, 5, 10, 0)
END = dt.datetime(2026, 1, 19, 18, 0)
SETTINGS = policy.PolicySettings()


def pop(n: int, **over: object) -> Population:
    base = Population(
        customer_id=np.array([f"C{i}" for i in range(n)], dtype=object),
        has_phone=np.ones(n, dtype=bool), has_email=np.ones(n, dtype=bool),
        rm_id=np.array(["RM1"] * n, dtype=object), branch_id=np.array(["B1"] * n, dtype=object),
        risk_level=np.array(["C3"] * n, dtype=object),
        consent={p: np.ones(n, dtype=bool) for p in ("marketing_sms", "marketing_push",
                                                     "marketing_email", "marketing_call")},
        recent_contacts=np.zeros(n, dtype=np.int64), open_complaint=np.zeros(n, dtype=bool),
        stratum=np.array(["a"] * n, dtype=object))
    for key, value in over.items():
        setattr(base, key, value)
    return base


def run(p: Population, channels: list[str] | None = None, grade: str = "R2", dnc: set[str] | None = None,
        start: dt.datetime = START, end: dt.datetime = END,
        settings: policy.PolicySettings = SETTINGS) -> policy.PolicyResult:
    return policy.apply(p, channels=channels or ["sms"], product_grade=grade, do_not_contact=dnc or set(),
                        start=start, end=end, settings=settings)


def test_consent_and_channel_choice() -> None:
    consent = {"marketing_push": np.array([True, False, False, False]),
               "marketing_sms": np.array([True, True, False, True]),
               "marketing_email": np.array([False, False, False, False])}
    has_phone = np.array([True, True, True, False])
    res = run(pop(4, consent=consent, has_phone=has_phone), channels=["app_push", "sms", "email"])
    assert res.channel.tolist() == ["app_push", "sms", None, None]
    assert res.reason.tolist() == [None, None, "no_consent", "unreachable"]


def test_rm_and_branch_channels_need_an_rm_or_branch() -> None:
    res = run(pop(2, rm_id=np.array([None, "RM9"], dtype=object)), channels=["rm_task"])
    assert res.reason.tolist() == ["unreachable", None]


def test_do_not_contact() -> None:
    res = run(pop(3), dnc={"C1"})
    assert res.reason.tolist() == [None, "do_not_contact", None]


def test_frequency_cap_counts_recent_contacts() -> None:
    res = run(pop(3, recent_contacts=np.array([0, 1, 2])))
    assert res.reason.tolist() == [None, None, "frequency_cap"]
    res = run(pop(3, recent_contacts=np.array([0, 1, 2])),
              settings=policy.PolicySettings(max_contacts=1))
    assert res.reason.tolist() == [None, "frequency_cap", "frequency_cap"]


def test_quiet_hours_postpone_inside_the_window() -> None:
    res = run(pop(2), start=dt.datetime(2026, 1, 5, 22, 30))
    assert res.send_at == dt.datetime(2026, 1, 6, 8, 0)
    assert res.reason.tolist() == [None, None]
    assert "postponed" in res.notes[0]
    early = run(pop(1), start=dt.datetime(2026, 1, 5, 6, 0))
    assert early.send_at == dt.datetime(2026, 1, 5, 8, 0)


def test_quiet_hours_exclude_remote_channels_when_window_ends_first() -> None:
    consent = {"marketing_sms": np.array([True, False]), "marketing_call": np.array([False, True])}
    res = run(pop(2, consent=consent), channels=["sms", "branch"],
              start=dt.datetime(2026, 1, 5, 22, 0), end=dt.datetime(2026, 1, 5, 23, 0))
    assert res.reason.tolist() == ["quiet_hours", None]  # branch offers are not remote


def test_in_quiet_hours() -> None:
    q = policy.in_quiet_hours
    assert q(dt.time(21, 0), dt.time(21), dt.time(8)) and q(dt.time(3), dt.time(21), dt.time(8))
    assert not q(dt.time(8, 0), dt.time(21), dt.time(8))
    assert q(dt.time(13), dt.time(12), dt.time(14)) and not q(dt.time(15), dt.time(12), dt.time(14))


def test_suitability() -> None:
    levels = np.array(["C1", "C2", "C3", None], dtype=object)
    res = run(pop(4, risk_level=levels), grade="R2")
    assert res.reason.tolist() == ["unsuitable", None, None, "unsuitable"]
    res = run(pop(4, risk_level=levels), grade="R1")
    assert res.reason.tolist() == [None, None, None, None]


def test_open_complaint() -> None:
    res = run(pop(2, open_complaint=np.array([False, True])))
    assert res.reason.tolist() == [None, "open_complaint"]
    res = run(pop(2, open_complaint=None))
    assert res.reason.tolist() == [None, None]
    assert any("has_open_complaint" in n for n in res.notes)


def test_first_reason_wins_and_counts() -> None:
    # C0 fails everything; it is counted once, under the first rule
    p = pop(2, consent={"marketing_sms": np.array([False, True])},
            recent_contacts=np.array([5, 5]), open_complaint=np.array([True, True]))
    res = run(p, dnc={"C0", "C1"})
    assert res.reason.tolist() == ["no_consent", "do_not_contact"]
    counts = res.counts()
    assert counts["no_consent"] == 1 and counts["do_not_contact"] == 1
    assert sum(counts.values()) == 2


def test_settings_and_do_not_contact_file(tmp_path: Path) -> None:
    s = policy.PolicySettings.from_config({"campaign": {"max_contacts": 3, "quiet_start": "22:00",
                                                        "do_not_contact": "lists/dnc.csv"}}, tmp_path)
    assert s.max_contacts == 3 and s.quiet_start == dt.time(22) and s.quiet_end == dt.time(8)
    assert s.do_not_contact == tmp_path / "lists" / "dnc.csv"
    assert policy.read_do_not_contact(s.do_not_contact) == set()
    s.do_not_contact.parent.mkdir()
    s.do_not_contact.write_text("customer_id,reason\nC1,asked\nC7,\n", encoding="utf-8")
    assert policy.read_do_not_contact(s.do_not_contact) == {"C1", "C7"}
    s.do_not_contact.write_text("id\nC1\n", encoding="utf-8")
    with pytest.raises(DataRejectedError, match="no customer_id column"):
        policy.read_do_not_contact(s.do_not_contact)
    with pytest.raises(ConfigError, match=r"\[campaign\]"):
        policy.PolicySettings.from_config({"campaign": {"quiet_end": "8 o'clock"}}, tmp_path)
