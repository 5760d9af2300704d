"""A seeded synthetic Chinese retail bank: every canonical table, realistic and reproducible.

The modules read as the generation pipeline:
``world`` (options, period, places, products) → ``population`` (customers) →
``holdings`` and ``accounts`` (what they hold, where it is booked) → ``cashflows`` and
``spending`` (money movements) → ``ledger`` (balances, transactions) → ``events`` and
``consents`` → ``corruption`` (optional malformed rows) → ``chunk`` (all of it for a
slice of customers) → ``generator`` (chunks in order, in parallel) → ``adapter``
(staging for the ingest pipeline).
"""

from __future__ import annotations

from portrait.ingest.synth.adapter import SynthAdapter
from portrait.ingest.synth.chunk import TABLES
from portrait.ingest.synth.generator import BankGenerator, generate
from portrait.ingest.synth.world import SynthOptions

__all__ = ["TABLES", "BankGenerator", "SynthAdapter", "SynthOptions", "generate"]
