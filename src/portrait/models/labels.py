"""Outcomes in the window (T, T+h]: what the models learn to predict.

Every label reads only rows dated after T and on or before T+h, for the customers of
the snapshot as of T; features never come from here (they are the snapshot itself).

* **Adoption** of a product category: the customer did not hold the category at T (no
  holding of it started on or before T and still open after T) and a holding of it
  starts in (T, T+h], or a campaign whose objective product is of the category recorded
  a ``converted`` response from them dated in (T, T+h] (a sale the bank's extract may not
  show as a holding yet; see ``docs/decisions.md``). Holders at T are not in the population.
* **Churn**: among customers with an account open at T, either every such account is
  closed by T+h, or the customer goes *dormant*: fewer than ``min_txns`` transactions
  they made themselves (not the bank's own ``system`` entries) in (T, T+h] **and**
  demand-account balances at T+h below ``min_balance``.
* **Value**: assets under management (the ``aum`` tag) as of T+h, read from the snapshot
  as of T+h; see ``docs/decisions.md`` for why assets rather than revenue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlglot import exp

from portrait.errors import UsageError
from portrait.store.engine import Engine

#: Account types whose balance counts as "demand" money for the dormancy rule.
DEMAND_TYPES = ("current", "savings")


@dataclass(frozen=True)
class ChurnRule:
    """Thresholds of the dormancy half of the churn definition (``[models.churn]``)."""

    min_txns: int = 1
    min_balance: float = 1000.0


def _table(name: str) -> str:
    return exp.to_table(name).sql("duckdb")


def data_end(engine: Engine, kind: str) -> dt.date | None:
    """The last day the data can say anything about ``kind`` outcomes.

    Adoption is read from holdings (their start dates may run past the last
    transaction, as in Berka), and is known up to the extract's end (the workspace's
    default as-of date) even when no holding happened to start on its last days;
    churn and value need transactions up to T+h.
    """
    sql = ("SELECT max(start_at) FROM holdings" if kind == "adoption"
           else "SELECT CAST(max(ts) AS DATE) FROM transactions")
    day = engine.query(sql)[0][0]
    end = day if isinstance(day, dt.date) else None
    extract = engine.get_meta("default_as_of")
    if kind == "adoption" and extract and end is not None:
        end = max(end, dt.date.fromisoformat(extract))
    return end


def undated_tables(engine: Engine) -> dict[str, int]:
    """Tables with rows that carry no date, and how many (holdings without ``start_at``)."""
    n = int(engine.query("SELECT count(*) FROM holdings WHERE start_at IS NULL")[0][0])
    return {"holdings": n} if n else {}


def check_window(engine: Engine, kind: str, as_of: dt.date, horizon_days: int) -> None:
    """Refuse a window the data does not cover: labels would be silently too few."""
    end = data_end(engine, kind)
    stop = as_of + dt.timedelta(days=horizon_days)
    if end is None or stop > end:
        raise UsageError(
            f"{kind} labels need data up to {stop} (as of {as_of} + {horizon_days} days), "
            f"but the data ends on {end}.",
            hint="Choose an earlier --as-of date or a shorter --horizon.")


#: The campaign layer's table of planned campaigns (its ``spec`` JSON names the objective).
CAMPAIGNS = "campaigns"


def adoption(engine: Engine, snapshot: str, as_of: dt.date, horizon_days: int) -> pd.DataFrame:
    """Per customer of the snapshot and product category: ``held`` at T, ``adopted`` in (T, T+h].

    A recorded campaign conversion (a ``converted`` response, dated by its own time or
    else its contact's, in (T, T+h]) adopts the category of the campaign's objective
    product even when no holding row appears.

    Returns:
        Columns customer_id, category, held (bool), adopted (bool), by_response (adopted
        only through a campaign conversion); one row per pair that has any holding or
        recorded conversion (other pairs are neither held nor adopted).
    """
    stop = as_of + dt.timedelta(days=horizon_days)
    people = f"(SELECT customer_id FROM {_table(snapshot)})"
    held = (
        "SELECT h.customer_id, p.category, "
        "bool_or((h.start_at IS NULL OR h.start_at <= ?) AND (h.end_at IS NULL OR h.end_at > ?)) "
        "AS held, bool_or(h.start_at > ? AND h.start_at <= ?) AS adopted "
        f"FROM holdings h JOIN products p USING (product_id) "
        f"WHERE h.customer_id IN {people} GROUP BY ALL")
    params: list[object] = [as_of, as_of, as_of, stop]
    if not engine.has_table(CAMPAIGNS):
        frame = engine.query_arrow(held, params).to_pandas()
        frame["by_response"] = False
        return frame
    converted = (
        "SELECT DISTINCT r.customer_id, p.category FROM responses r "
        f"JOIN contacts c USING (contact_id) JOIN {_table(CAMPAIGNS)} g USING (campaign_id) "
        "JOIN products p ON p.product_id = json_extract_string(g.spec, '$.objective.product') "
        "WHERE r.outcome = 'converted' AND CAST(coalesce(r.ts, c.ts) AS DATE) > ? "
        f"AND CAST(coalesce(r.ts, c.ts) AS DATE) <= ? AND r.customer_id IN {people}")
    sql = (f"WITH h AS ({held}), v AS ({converted}) "
           "SELECT customer_id, category, coalesce(h.held, false) AS held, "
           "coalesce(h.adopted, false) OR v.category IS NOT NULL AS adopted, "
           "NOT coalesce(h.adopted, false) AND v.category IS NOT NULL AS by_response "
           "FROM h FULL JOIN v USING (customer_id, category) ORDER BY customer_id, category")
    return engine.query_arrow(sql, [*params, as_of, stop]).to_pandas()


def churn(engine: Engine, snapshot: str, as_of: dt.date, horizon_days: int,
          rule: ChurnRule | None = None) -> pd.DataFrame:
    """Per customer with an account open at T: ``churned`` in (T, T+h] and why.

    Returns:
        Columns customer_id, closed (all accounts open at T closed by T+h), dormant,
        churned (either).
    """
    rule = rule or ChurnRule()
    stop = as_of + dt.timedelta(days=horizon_days)
    demand = ", ".join(exp.Literal.string(t).sql("duckdb") for t in DEMAND_TYPES)
    sql = (
        "WITH acc AS (SELECT * FROM accounts WHERE opened_at <= ? AND (closed_at IS NULL "
        f"OR closed_at > ?) AND customer_id IN (SELECT customer_id FROM {_table(snapshot)})), "
        "open AS (SELECT customer_id, bool_and(closed_at IS NOT NULL AND closed_at <= ?) AS closed "
        "FROM acc GROUP BY 1), "
        "txn AS (SELECT customer_id, count(*) AS n FROM transactions WHERE ts > ? AND "
        "CAST(ts AS DATE) <= ? AND channel <> 'system' GROUP BY 1), "
        "bal AS (SELECT customer_id, sum(balance_after) AS balance FROM (SELECT t.customer_id, "
        "arg_max(t.balance_after, t.ts) AS balance_after FROM transactions t JOIN acc a "
        f"USING (account_id) WHERE a.type IN ({demand}) AND CAST(t.ts AS DATE) <= ? "
        "GROUP BY t.customer_id, t.account_id) GROUP BY 1) "
        "SELECT o.customer_id, o.closed, coalesce(t.n, 0) < ? AND coalesce(b.balance, 0) < ? "
        "AS dormant FROM open o LEFT JOIN txn t USING (customer_id) "
        "LEFT JOIN bal b USING (customer_id)")
    after = dt.datetime.combine(as_of, dt.time.max)
    frame = engine.query_arrow(sql, [as_of, as_of, stop, after, stop, stop, rule.min_txns,
                                     rule.min_balance]).to_pandas()
    frame["churned"] = frame["closed"] | frame["dormant"]
    return frame


def value(engine: Engine, later_snapshot: str, column: str = "aum") -> pd.DataFrame:
    """Assets (``aum``) per customer as of T+h, from the snapshot built as of T+h."""
    sql = (f"SELECT customer_id, CAST({exp.column(column).sql('duckdb')} AS DOUBLE) AS value "
           f"FROM {_table(later_snapshot)}")
    return engine.query_arrow(sql).to_pandas()
