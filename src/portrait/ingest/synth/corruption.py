"""Deliberately malformed rows, to prove that validation catches every kind of error.

With ``malformed > 0`` the generator corrupts a known number of rows per table: a
value outside its enumeration, a required value missing, a reference to a parent that
does not exist, a value out of range. Each corrupted row must land in quarantine and
nothing else may: a rejected parent row would take its children with it, so parents
are only corrupted where they have no children. Corrupted customers get no accounts,
events or consents; corrupted accounts are spare savings accounts nothing refers to;
corrupted districts are cities without customers; corrupted products are not on sale.
"""

from __future__ import annotations

import datetime
import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from portrait.ingest.synth.draws import IntArray

#: Per table, the corruptions applied in turn to its chosen rows: (column, bad value).
CORRUPTIONS: dict[str, tuple[tuple[str, object], ...]] = {
    "districts": (("city_tier", 9), ("name", None)),
    "products": (("risk_grade", "R9"), ("min_amount", -100.0), ("category", None)),
    "customers": (("gender", "X"), ("birth_date", datetime.date(1850, 1, 1)),
                  ("dependents", 45), ("district_id", "999999")),
    "accounts": (("type", "brokerage"), ("status", None),
                 ("opened_at", datetime.date(1899, 12, 31)), ("customer_id", "C-UNKNOWN")),
    "account_parties": (("role", "guarantor"), ("customer_id", "C-UNKNOWN"),
                        ("account_id", None)),
    "holdings": (("status", "frozen"), ("product_id", "NO_SUCH_PRODUCT"),
                 ("start_at", datetime.date(1800, 1, 1)), ("customer_id", None)),
    "transactions": (("channel", "wechat"), ("kind", None),
                     ("ts", datetime.datetime(2200, 1, 1)), ("account_id", "A-UNKNOWN")),
    "events": (("type", "swipe"), ("duration_s", -5), ("product_id", "NO_SUCH_PRODUCT"),
               ("ts", None)),
    "consents": (("purpose", "marketing_wechat"), ("granted", None),
                 ("ts", datetime.datetime(1850, 1, 1))),
}


def how_many(fraction: float, rows: int) -> int:
    """Rows to corrupt: the fraction rounded up, so any fraction above zero corrupts at
    least one row of every non-empty table."""
    return min(rows, math.ceil(fraction * rows)) if fraction > 0 else 0


def pick(rng: np.random.Generator, fraction: float, candidates: IntArray, rows: int) -> IntArray:
    """Choose the rows to corrupt among ``candidates`` (at most all of them)."""
    count = min(how_many(fraction, rows), len(candidates))
    out: IntArray = np.sort(rng.choice(candidates, size=count, replace=False))
    return out


def corrupt(table_name: str, table: pa.Table, rows: IntArray) -> pa.Table:
    """Apply the table's corruptions to ``rows``, cycling through them."""
    modes = CORRUPTIONS[table_name]
    for i, (column, bad) in enumerate(modes):
        chosen = rows[i :: len(modes)]
        if not len(chosen):
            continue
        mask = np.zeros(table.num_rows, dtype=bool)
        mask[chosen] = True
        position = table.schema.get_field_index(column)
        values = table.column(position)
        replaced = pc.if_else(pa.array(mask), pa.scalar(bad, type=values.type), values)
        table = table.set_column(position, table.schema.field(position), replaced)
    return table
