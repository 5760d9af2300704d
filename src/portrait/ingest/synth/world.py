"""What every chunk of customers shares: the options, the period, places, products.

The world is built once per generation run (and once per worker process): it is
read-only, so chunks built with it are independent of each other.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np

from portrait.errors import UsageError
from portrait.ingest.synth.counterparties import Counterparties
from portrait.ingest.synth.geography import GEOGRAPHY, Geography
from portrait.ingest.synth.names import IdentityBook
from portrait.ingest.synth.products import PRODUCT_CATALOG, Catalog
from portrait.ingest.synth.seasons import (
    DaySampler,
    Window,
    gift_weights,
    spending_weights,
)

MAX_MALFORMED = 0.5
#: Identifiers carry a five-digit chunk number and serials sized for chunks this big.
MAX_CHUNKS = 99_999
MAX_CHUNK = 1_000_000


@dataclass(frozen=True)
class SynthOptions:
    """Everything that determines the generated bank: the same options give the same data.

    Attributes:
        customers: Number of customers.
        seed: Seed of every random draw.
        malformed: Fraction of rows per table to corrupt on purpose (0 = none), to
            exercise validation and quarantine.
        end_date: Last day of the generated history (the natural as-of date).
        history_years: Years of transactions and events before ``end_date``.
        chunk_customers: Customers generated together; bounds memory. Part of the
            options because each chunk draws from its own random streams.
    """

    customers: int
    seed: int = 42
    malformed: float = 0.0
    end_date: datetime.date = datetime.date(2025, 12, 31)
    history_years: int = 3
    chunk_customers: int = 50_000

    def check(self) -> None:
        """Raise :class:`UsageError` naming the first option out of range."""
        if self.customers < 1:
            raise UsageError(f"customers must be at least 1, not {self.customers}.")
        if self.seed < 0:
            raise UsageError(f"seed must be zero or positive, not {self.seed}.")
        if not 0.0 <= self.malformed <= MAX_MALFORMED:
            raise UsageError(
                f"malformed must be a fraction between 0 and {MAX_MALFORMED}, "
                f"not {self.malformed}.")
        if not 1 <= self.history_years <= 20:
            raise UsageError(f"history_years must be 1 … 20, not {self.history_years}.")
        if not 2000 <= self.end_date.year <= 2080:
            raise UsageError(f"end_date must fall in 2000 … 2080, not {self.end_date}.")
        if not 1 <= self.chunk_customers <= MAX_CHUNK:
            raise UsageError(
                f"chunk_customers must be 1 … {MAX_CHUNK:,}, not {self.chunk_customers}.")
        if -(-self.customers // self.chunk_customers) > MAX_CHUNKS:
            raise UsageError(
                f"{self.customers:,} customers in chunks of {self.chunk_customers:,} make more "
                f"than {MAX_CHUNKS:,} chunks.", hint="Use larger chunks (chunk_customers).")

    @property
    def source_file(self) -> str:
        """What ``_source_file`` says for every generated row."""
        return f"synth:seed={self.seed}"


@dataclass(frozen=True)
class World:
    """Shared, read-mostly context of one generation run."""

    options: SynthOptions
    window: Window
    geography: Geography
    catalog: Catalog
    counterparties: Counterparties
    spending_days: DaySampler
    gift_days: DaySampler
    flat_days: DaySampler
    identities: IdentityBook

    @classmethod
    def build(cls, options: SynthOptions) -> World:
        options.check()
        window = Window.ending(options.end_date, options.history_years)
        return cls(
            options=options,
            window=window,
            geography=GEOGRAPHY,
            catalog=PRODUCT_CATALOG,
            counterparties=Counterparties.build(GEOGRAPHY.short_names()),
            spending_days=DaySampler(window, spending_weights(window)),
            gift_days=DaySampler(window, gift_weights(window)),
            flat_days=DaySampler(window, np.ones(window.days)),
            identities=IdentityBook(),
        )
