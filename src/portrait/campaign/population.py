"""What the contact policy and the assignment need to know about each audience customer.

Read from the warehouse in a few passes keyed by the audience (a scratch table of its
ids): contact details present (tokens only, nothing decrypted), relationship manager and
branch, questionnaire risk level, the latest consent per purpose as of the send time,
marketing contacts in the frequency window across all campaigns, and from the tag
snapshot the open-complaint flag, the stratum and the balance tags.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from sqlglot import exp

from portrait.store.engine import Engine

SCRATCH = "_campaign_audience"
ObjArray = npt.NDArray[np.object_]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass
class Population:
    """Facts per audience customer, as parallel arrays in audience order."""

    customer_id: ObjArray
    has_phone: BoolArray
    has_email: BoolArray
    rm_id: ObjArray
    branch_id: ObjArray
    risk_level: ObjArray
    consent: dict[str, BoolArray]
    recent_contacts: IntArray
    open_complaint: BoolArray | None
    stratum: ObjArray
    balance: dict[str, FloatArray] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.customer_id.size)


def _scratch(engine: Engine, ids: list[str]) -> None:
    engine.write_arrow(SCRATCH, pa.table({"customer_id": pa.array(ids, pa.string()),
                                          "pos": pa.array(range(len(ids)), pa.int64())}))


def _positions(engine: Engine, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    return engine.query(sql, params)


def load(engine: Engine, ids: list[str], *, snapshot: str, send_at: dt.datetime,
         frequency_days: int, stratum_tag: str | None, balance_tags: list[str]) -> Population:
    """Read the facts of ``ids`` (customers missing from ``customers`` are dropped)."""
    _scratch(engine, ids)
    try:
        rows = _positions(engine, f"""
            SELECT a.pos, c.phone_token IS NOT NULL, c.email_token IS NOT NULL, c.rm_id,
                   c.branch_id, c.risk_level
            FROM {SCRATCH} a JOIN customers c USING (customer_id) ORDER BY a.pos""")
        pos = np.array([r[0] for r in rows], dtype=np.int64)
        index = {int(p): i for i, p in enumerate(pos)}
        n = len(rows)
        pop = Population(
            customer_id=np.array([ids[p] for p in pos], dtype=object),
            has_phone=np.array([bool(r[1]) for r in rows], dtype=bool),
            has_email=np.array([bool(r[2]) for r in rows], dtype=bool),
            rm_id=np.array([r[3] for r in rows], dtype=object),
            branch_id=np.array([r[4] for r in rows], dtype=object),
            risk_level=np.array([r[5] for r in rows], dtype=object),
            consent={}, recent_contacts=np.zeros(n, dtype=np.int64), open_complaint=None,
            stratum=np.full(n, "all", dtype=object))
        for p, purpose, granted in _positions(engine, f"""
                SELECT a.pos, k.purpose, arg_max(k.granted, k.ts)
                FROM {SCRATCH} a JOIN consents k USING (customer_id)
                WHERE k.ts <= ? GROUP BY ALL""", [send_at]):
            pop.consent.setdefault(str(purpose), np.zeros(n, dtype=bool))[index[int(p)]] = bool(granted)
        since = send_at - dt.timedelta(days=frequency_days)
        for p, count in _positions(engine, f"""
                SELECT a.pos, count(*) FROM {SCRATCH} a JOIN contacts t USING (customer_id)
                WHERE t.arm = 'treatment' AND t.ts >= ? AND t.ts <= ? GROUP BY ALL""",
                                   [since, send_at]):
            pop.recent_contacts[index[int(p)]] = int(count)
        _snapshot_facts(engine, pop, index, snapshot, stratum_tag, balance_tags)
        return pop
    finally:
        engine.execute(f"DROP TABLE IF EXISTS {SCRATCH}")


def _snapshot_facts(engine: Engine, pop: Population, index: dict[int, int], snapshot: str,
                    stratum_tag: str | None, balance_tags: list[str]) -> None:
    columns = engine.columns(snapshot)
    wanted: list[exp.Expr] = [exp.column("pos", table="a")]
    names: list[str] = []
    if "has_open_complaint" in columns:
        names.append("has_open_complaint")
    if stratum_tag is not None:
        names.append(stratum_tag)
    names += balance_tags
    for name in names:
        wanted.append(exp.column(name, table="s"))
    select = (exp.select(*wanted).from_(exp.alias_(exp.to_table(SCRATCH), "a"))
              .join(exp.alias_(exp.to_table(snapshot), "s"), using=["customer_id"]))
    data = engine.query_arrow(select)
    pos = np.array([index[int(p)] for p in data.column("pos").to_pylist()], dtype=np.int64)
    n = len(pop)
    if "has_open_complaint" in columns:
        flags = np.zeros(n, dtype=bool)
        flags[pos] = np.array([bool(v) for v in data.column("has_open_complaint").to_pylist()])
        pop.open_complaint = flags
    if stratum_tag is not None:
        strata = np.full(n, "(none)", dtype=object)
        strata[pos] = np.array(["(none)" if v is None else str(v)
                                for v in data.column(stratum_tag).to_pylist()], dtype=object)
        pop.stratum = strata
    for tag in balance_tags:
        values = np.full(n, np.nan)
        values[pos] = np.array([np.nan if v is None else float(v)
                                for v in data.column(tag).to_pylist()], dtype=np.float64)
        pop.balance[tag] = values
