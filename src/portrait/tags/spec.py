"""Tag definitions as typed data: the first stage of the tag pipeline.

Raw YAML → :class:`TagSpec` (this module; pydantic, ``extra="forbid"``) → a resolved
plan (:mod:`portrait.tags.plan`) → SQL (:mod:`portrait.tags.compiler`).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Family = Literal["basic", "economic", "preference", "session", "lifecycle", "model"]
Change = Literal["static", "dynamic"]
Sensitivity = Literal["public", "internal", "confidential", "restricted"]
TagType = Literal["boolean", "categorical", "ordinal", "numeric", "set"]
AggFunction = Literal[
    "count", "sum", "avg", "min", "max", "count_distinct", "stddev", "last", "days_since",
    "set", "mode", "share",
]

FAMILIES: tuple[str, ...] = ("basic", "economic", "preference", "session", "lifecycle", "model")
SENSITIVITIES: tuple[str, ...] = ("public", "internal", "confidential", "restricted")
_WINDOW = re.compile(r"^(\d+)([dmy])$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Title(_Strict):
    en: str
    zh: str


class Aggregate(_Strict):
    """A per-customer aggregate over a canonical table, as of the build date.

    Attributes:
        table: Canonical table with a ``customer_id`` column.
        function: Aggregate; ``last`` = value at the latest time, ``days_since`` = days
            from the latest time to the as-of date, ``set`` = distinct values,
            ``mode`` = most frequent value, ``share`` = share of rows matching ``filter``
            among all rows in the window.
        column: Column (or SQL expression over the table's columns) aggregated.
        filter: SQL condition over the table's columns selecting the rows.
        window: Look-back such as ``90d``, ``6m``, ``2y``; none = all history.
        time_column: Column that places a row in time (default per table).
        default: Value for a covered customer with no matching rows (e.g. 0 for counts).
    """

    table: str
    function: AggFunction
    column: str | None = None
    filter: str | None = None
    window: str | None = None
    time_column: str | None = None
    default: float | str | bool | None = None

    @field_validator("window")
    @classmethod
    def _window(cls, value: str | None) -> str | None:
        if value is not None and not _WINDOW.match(value):
            raise ValueError(f"window {value!r} must look like 90d, 6m or 2y")
        return value

    @model_validator(mode="after")
    def _column_needed(self) -> Aggregate:
        needs = {"sum", "avg", "min", "max", "count_distinct", "stddev", "last", "set", "mode"}
        if self.function in needs and not self.column:
            raise ValueError(f"function {self.function!r} needs a column")
        if self.function == "share" and not self.filter:
            raise ValueError("function 'share' needs a filter")
        return self


class Bins(_Strict):
    """Thresholds over a numeric tag: ``[[0, low], [50000, mid]]`` → ``low`` for 0 ≤ x < 50000."""

    tag: str
    edges: list[tuple[float, str]] = Field(min_length=1)

    @field_validator("edges")
    @classmethod
    def _ascending(cls, edges: list[tuple[float, str]]) -> list[tuple[float, str]]:
        lows = [e[0] for e in edges]
        if lows != sorted(lows) or len(set(lows)) != len(lows):
            raise ValueError("bin edges must be strictly ascending")
        return edges


class Rank(_Strict):
    """Bucket of a numeric tag among all customers (1 = lowest … buckets)."""

    tag: str
    buckets: int = Field(ge=2, le=100)


class Rfm(_Strict):
    """RFM segment from recency (days), frequency and monetary tags, scored 1–``buckets``."""

    recency: str
    frequency: str
    monetary: str
    buckets: int = Field(default=5, ge=2, le=10)


class ModelScore(_Strict):
    """Score of a registered model (uncovered until the model exists)."""

    model: str


class TagSpec(_Strict):
    """One tag of the catalog."""

    name: str
    title: Title
    family: Family
    change: Change
    sensitivity: Sensitivity
    type: TagType
    description: str
    order: list[str] | None = None
    values: list[str] | None = None
    aggregate: Aggregate | None = None
    bins: Bins | None = None
    expr: str | None = None
    rank: Rank | None = None
    rfm: Rfm | None = None
    model: ModelScore | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"tag name {value!r} must be snake_case (a-z, 0-9, _)")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> TagSpec:
        kinds = [k for k in ("aggregate", "bins", "expr", "rank", "rfm", "model")
                 if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("a tag needs exactly one definition kind of aggregate, bins, "
                             f"expr, rank, rfm, model (found: {', '.join(kinds) or 'none'})")
        if self.type == "ordinal" and not self.order and not self.bins:
            raise ValueError("an ordinal tag needs its 'order' (lowest first)")
        if self.bins and self.type != "ordinal":
            raise ValueError("a bins tag is ordinal: set type: ordinal")
        if self.bins and self.order and [e[1] for e in self.bins.edges] != self.order:
            raise ValueError("the order of a bins tag must list its bin labels in order")
        return self

    @property
    def levels(self) -> list[str] | None:
        """Values of an ordinal tag, lowest first (a bins tag's labels in order)."""
        if self.order:
            return list(self.order)
        if self.bins:
            return [label for _, label in self.bins.edges]
        return None

    @property
    def kind(self) -> str:
        for k in ("aggregate", "bins", "expr", "rank", "rfm", "model"):
            if getattr(self, k) is not None:
                return k
        raise AssertionError("unreachable: validated to have one kind")


Catalog = Annotated[list[TagSpec], Field()]
