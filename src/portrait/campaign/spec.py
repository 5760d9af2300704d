"""Campaign specs: the YAML a marketer writes, validated into :class:`CampaignSpec`.

Example::

    id: wealth_fix_q1
    name: 稳享固收1年 — Q1 push
    objective: {product: WM_FIX_1Y, revenue_rate: 0.01}
    audience: {top: {score: propensity_wealth, n: 5000}}   # or {expression: "..."} or {saved: NAME}
    channels:
      - {channel: app_push, cost: 0.02}
      - {channel: sms, cost: 0.05}
    templates:
      zh: "{salutation}，稳享固收1年理财开售。理财非存款、产品有风险、投资须谨慎。"
      en: "{salutation}, ... Wealth management products are not deposits; products carry risk;
           invest with caution."
    schedule: {start: 2026-01-05T10:00:00, end: 2026-01-19T18:00:00}
    control_share: 0.1
    budget: 800
    attribution_days: 30

Every error names the file and the field (``spec.yaml: field schedule.end: …``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from portrait.errors import DefinitionError, UsageError

Channel = Literal["app_push", "sms", "email", "rm_task", "branch"]
CHANNELS: tuple[str, ...] = ("app_push", "sms", "email", "rm_task", "branch")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Objective(_Strict):
    """The product the campaign sells.

    Attributes:
        product: ``products.product_id``.
        revenue_rate: Share of a converted amount the bank earns (1.0 = the amount is revenue).
    """

    product: str
    revenue_rate: float = Field(default=1.0, gt=0, le=1)


class TopN(_Strict):
    """The ``n`` customers with the highest value of a score tag (e.g. ``propensity_wealth``)."""

    score: str
    n: int = Field(ge=1)
    where: str | None = None


class Audience(_Strict):
    """Who the campaign is for: exactly one of an expression, a saved audience, a top-N."""

    expression: str | None = None
    saved: str | None = None
    top: TopN | None = None

    @model_validator(mode="after")
    def _one(self) -> Audience:
        given = [k for k in ("expression", "saved", "top") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of expression, saved, top "
                             f"(found: {', '.join(given) or 'none'})")
        return self


class ChannelCost(_Strict):
    channel: Channel
    cost: float = Field(ge=0)


class Templates(_Strict):
    """The message in Chinese and English; ``{placeholders}`` are tag names or ``salutation``."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def as_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


class Schedule(_Strict):
    """When messages may go out; ``start`` is the send time (postponed out of quiet hours)."""

    start: dt.datetime
    end: dt.datetime

    @model_validator(mode="after")
    def _ordered(self) -> Schedule:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class CampaignSpec(_Strict):
    """A validated campaign.

    Attributes:
        id: Campaign id (lower case, digits, ``_`` and ``-``); default: derived from ``name``.
        channels: In order of preference: each customer gets the first channel they have
            consented to and can be reached on.
        control_share: Share of eligible customers held out as control (never contacted).
        budget: Cap on the total cost of contacts (treatment only; control costs nothing).
        attribution_days: Days after the send time in which a conversion counts.
        stratify_by: Tag to stratify the assignment by (default ``segment``, else ``value_tier``).
        balance_tags: Numeric tags whose balance between arms is checked.
        language: Language of the message sent (both are checked for compliance).
        as_of: Tag snapshot to use (default: the latest).
    """

    id: str | None = None
    name: str = Field(min_length=1)
    objective: Objective
    audience: Audience
    channels: list[ChannelCost] = Field(min_length=1)
    templates: Templates
    schedule: Schedule
    control_share: float = Field(default=0.1, gt=0, lt=1)
    budget: float | None = Field(default=None, gt=0)
    attribution_days: int = Field(default=30, ge=1, le=366)
    stratify_by: str | None = None
    balance_tags: list[str] | None = None
    language: Literal["zh", "en"] = "zh"
    as_of: dt.date | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str | None) -> str | None:
        if value is not None and not _ID.match(value):
            raise ValueError(f"id {value!r} must be lower case letters, digits, _ or - (max 64)")
        return value

    @field_validator("channels")
    @classmethod
    def _unique(cls, value: list[ChannelCost]) -> list[ChannelCost]:
        names = [c.channel for c in value]
        if len(set(names)) != len(names):
            raise ValueError("each channel may be listed once")
        return value

    @model_validator(mode="after")
    def _has_id(self) -> CampaignSpec:
        if self.id is None and not slug(self.name):
            raise ValueError("the name has no latin letters or digits to derive an id from: "
                             "give an id")
        return self

    @property
    def campaign_id(self) -> str:
        return self.id or slug(self.name)

    def cost(self, channel: str) -> float:
        return next(c.cost for c in self.channels if c.channel == channel)


def slug(name: str) -> str:
    """``Wealth Q1 (push)`` → ``wealth-q1-push``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64]


def parse_spec(raw: Any, origin: str) -> CampaignSpec:
    """Validate parsed YAML (or JSON) as a campaign spec.

    Raises:
        DefinitionError: A field is missing or invalid; the message names ``origin`` and the field.
    """
    try:
        return CampaignSpec.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            lines.append(f"{origin}: field {where}: {err['msg']}")
        raise DefinitionError("Invalid campaign spec.\n  " + "\n  ".join(lines),
                              hint="See the example in the docstring of portrait.campaign.spec.") from exc


def load_spec(path: Path) -> CampaignSpec:
    """Read and validate a campaign spec file.

    Raises:
        UsageError: The file does not exist.
        DefinitionError: It is not YAML or not a valid spec.
    """
    if not path.is_file():
        raise UsageError(f"Campaign spec {path} does not exist.")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DefinitionError(f"{path} is not valid YAML: {exc}") from exc
    return parse_spec(raw, str(path))
