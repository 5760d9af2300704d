"""A checked expression compiled to a SQL condition over a tag snapshot.

The condition is a sqlglot syntax tree, rendered for DuckDB or Spark at the end.
SQL's three-valued logic is the reference semantics of the language: a comparison
with a NULL tag is unknown, ``not`` keeps it unknown, and ``WHERE`` keeps only true
rows. Ordinal comparisons become ``IN`` lists of the levels in range, so they follow
the tag's level order, never string order.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from portrait.audience.expr import (
    And,
    Between,
    Compare,
    Contains,
    Expr,
    In,
    IsNull,
    IsTrue,
    Lit,
    Not,
    Or,
)
from portrait.audience.validate import Query, TagInfo

DIALECTS = ("duckdb", "spark")
_OPS: dict[str, type[exp.Binary]] = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE,
                                     ">": exp.GT, ">=": exp.GTE}


def condition(query: Query) -> exp.Expr:
    """The ``WHERE`` condition of ``query``."""
    return _node(query.expr, query)


def select_ids(query: Query, table: str) -> exp.Select:
    """``SELECT customer_id FROM table WHERE …``."""
    return exp.select(exp.column("customer_id")).from_(exp.to_table(table)).where(condition(query))


def count(query: Query, table: str) -> exp.Select:
    """``SELECT count(*) FROM table WHERE …``."""
    return (exp.select(exp.func("count", exp.Star())).from_(exp.to_table(table))
            .where(condition(query)))


def literal(lit: Lit) -> exp.Expr:
    value = lit.value
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, float):
        return exp.Literal.number(int(value) if value.is_integer() else repr(value))
    return exp.Literal.string(value)


def _node(node: Expr, query: Query) -> exp.Expr:
    if isinstance(node, And):
        return exp.and_(*(_wrapped(i, query, Or) for i in node.items), copy=False)
    if isinstance(node, Or):
        return exp.or_(*(_node(i, query) for i in node.items), copy=False)
    if isinstance(node, Not):
        return exp.Not(this=_wrapped(node.item, query, And | Or))
    info = query.tags[node.tag.name]
    col = exp.column(info.name, quoted=True)
    if isinstance(node, IsNull):
        test = exp.Is(this=col, expression=exp.null())
        return exp.Not(this=test) if node.negated else test
    if isinstance(node, IsTrue):
        return col
    if isinstance(node, Contains):
        return exp.ArrayContains(this=col, expression=literal(node.value))
    if isinstance(node, In):
        return exp.In(this=col, expressions=[literal(v) for v in node.values])
    if isinstance(node, Between):
        if info.type == "ordinal":
            return _levels(col, info, _level(info, node.low), _level(info, node.high))
        return exp.Between(this=col, low=literal(node.low), high=literal(node.high))
    assert isinstance(node, Compare)
    if info.type == "ordinal" and node.op not in ("=", "!="):
        i, top = _level(info, node.value), len(info.levels or ()) - 1
        low, high = {"<": (0, i - 1), "<=": (0, i), ">": (i + 1, top), ">=": (i, top)}[node.op]
        return _levels(col, info, low, high)
    return _OPS[node.op](this=col, expression=literal(node.value))


def _wrapped(node: Expr, query: Query, kinds: Any) -> exp.Expr:
    """The node's SQL, in parentheses when it is one of ``kinds`` (lower precedence)."""
    built = _node(node, query)
    return exp.paren(built, copy=False) if isinstance(node, kinds) else built


def _level(info: TagInfo, lit: Lit) -> int:
    return (info.levels or ()).index(str(lit.value))


def _levels(col: exp.Expr, info: TagInfo, low: int, high: int) -> exp.Expr:
    """``col IN (levels low … high)``; unknown (NULL) for a NULL tag even when no level fits."""
    chosen = (info.levels or ())[max(low, 0): high + 1]
    if not chosen:
        # no level is in range: false for every value, still unknown for NULL
        return exp.Case().when(exp.Is(this=col, expression=exp.null()), exp.null()).else_(exp.false())
    return exp.In(this=col, expressions=[exp.Literal.string(v) for v in chosen])
