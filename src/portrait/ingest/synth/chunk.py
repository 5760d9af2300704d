"""One chunk: a slice of customers with everything that hangs off them.

A chunk depends only on the options and its number: its random streams are keyed by
the seed and the chunk number, and its identifiers are numbered behind the chunk
number. Chunks can therefore be generated in any order, or in parallel, and still
give the same tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from portrait.ingest.synth import corruption
from portrait.ingest.synth.accounts import account_ids, accounts_table, open_books, parties_table
from portrait.ingest.synth.cashflows import (
    Flows,
    bank_flows,
    income_flows,
    investment_flows,
    obligation_flows,
    opening_and_closing,
)
from portrait.ingest.synth.consents import draw_consents
from portrait.ingest.synth.draws import (
    BOOKS,
    CONSENTS,
    CORRUPTION,
    EVENTS,
    FLOWS,
    IDENTITY,
    POPULATION,
    IntArray,
    stream,
)
from portrait.ingest.synth.events import draw_events
from portrait.ingest.synth.holdings import draw_holdings, holdings_table
from portrait.ingest.synth.ledger import post
from portrait.ingest.synth.population import customer_ids, customers_table, draw_population
from portrait.ingest.synth.spending import spending_flows, surplus_sweeps
from portrait.ingest.synth.world import World

#: Tables the generator fills, parents first.
TABLES = ("districts", "products", "customers", "accounts", "account_parties", "holdings",
          "transactions", "events", "consents")
#: Child tables whose rows may be corrupted anywhere: nothing refers to them.
LEAVES = ("account_parties", "holdings", "transactions", "events", "consents")


@dataclass
class Chunk:
    """A chunk's tables and what the run reports about them."""

    number: int
    tables: dict[str, pa.Table]
    malformed: dict[str, int] = field(default_factory=dict)
    first_day: int | None = None  # first and last transaction day
    last_day: int | None = None
    files: dict[str, str] = field(default_factory=dict)

    def to_files(self, folder: Path) -> Chunk:
        """The chunk with its tables written to Arrow IPC files in ``folder``: how a worker
        process hands a chunk over, much cheaper than pickling hundreds of megabytes."""
        files: dict[str, str] = {}
        for name, table in self.tables.items():
            path = folder / f"chunk{self.number}-{name}.arrow"
            with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as out:
                out.write_table(table)
            files[name] = str(path)
        return Chunk(self.number, {}, self.malformed, self.first_day, self.last_day, files)

    def from_files(self) -> Chunk:
        """The chunk with its tables memory-mapped back (no copy); the files are removed."""
        tables = {}
        for name, path in self.files.items():
            tables[name] = pa.ipc.open_file(pa.memory_map(path)).read_all()
            Path(path).unlink()  # the mapping keeps the data until the table is dropped
        return Chunk(self.number, tables, self.malformed, self.first_day, self.last_day)


def build_chunk(world: World, number: int, first: int, n: int) -> Chunk:
    """Generate customers ``first`` … ``first + n - 1`` (chunk ``number``) and their data;
    chunk 0 also carries the districts and products."""
    seed, fraction = world.options.seed, world.options.malformed
    spoil = stream(seed, CORRUPTION, number)
    bad: dict[str, IntArray] = {}
    tables: dict[str, pa.Table] = {}
    if number == 0:
        geo, catalog = world.geography, world.catalog
        tables["districts"] = geo.table()
        tables["products"] = catalog.table()
        bad["districts"] = corruption.pick(spoil, fraction, geo.unserved(), geo.size)
        bad["products"] = corruption.pick(spoil, fraction, catalog.upcoming(), catalog.size)

    pop = draw_population(stream(seed, POPULATION, number), world, first, n)
    bad["customers"] = corruption.pick(spoil, fraction, np.arange(n), n)
    pop.active[bad["customers"]] = False
    rng = stream(seed, BOOKS, number)
    books = open_books(rng, world, pop, draw_holdings(rng, world, pop))
    bad["accounts"] = corruption.pick(spoil, fraction, books.spare_savings(),
                                      books.accounts.size)
    books.hidden[bad["accounts"]] = True

    rng = stream(seed, FLOWS, number)
    flows = Flows()
    liquid = np.maximum(300.0, pop.assets * rng.uniform(0.1, 0.35, n))
    income_flows(rng, world, pop, books, flows)
    obligation_flows(rng, world, pop, books, flows)
    investment_flows(rng, world, pop, books, flows)
    bank_flows(rng, world, pop, books, flows, liquid)
    atm_cust, atm_ts = spending_flows(rng, world, pop, books, flows)
    surplus_sweeps(rng, world, pop, books, flows)
    is_open, is_close = opening_and_closing(world, pop, books, flows)
    cust_ids = customer_ids(pop.index)
    acct_ids = account_ids(number, books.accounts.size)
    ledger = post(rng, world, books, flows, is_open, is_close, liquid, number, cust_ids, acct_ids)
    h = books.holdings
    deposit = h.product == world.catalog.index("DEP_CURRENT")
    h.amount[deposit] = ledger.final_cents[h.account[deposit]] / 100.0

    tables["customers"] = customers_table(stream(seed, IDENTITY, number), world, pop)
    tables["accounts"] = accounts_table(world, pop, books, acct_ids, cust_ids)
    tables["account_parties"] = parties_table(books, acct_ids, cust_ids)
    tables["holdings"] = holdings_table(world, h, number, cust_ids, acct_ids)
    tables["transactions"] = ledger.table
    tables["events"] = draw_events(stream(seed, EVENTS, number), world, pop, books,
                                   atm_cust, atm_ts, number, cust_ids)
    tables["consents"] = draw_consents(stream(seed, CONSENTS, number), world, pop, cust_ids)

    for name in LEAVES:
        rows = tables[name].num_rows
        bad[name] = corruption.pick(spoil, fraction, np.arange(rows), rows)
    for name, rows in bad.items():
        tables[name] = corruption.corrupt(name, tables[name], rows)
    return Chunk(number, {name: tables[name] for name in TABLES if name in tables},
                 {name: len(rows) for name, rows in bad.items()},
                 ledger.first_day, ledger.last_day)
