"""SQL expressions written in mapping files: parsed with sqlglot and checked to be safe.

A mapping may compute a value (``expr:``) or filter rows (``where:``) with a SQL
expression in the DuckDB dialect. It must be one *scalar* expression over the current
source row: no statements, subqueries, aggregates, window functions, parameters,
qualified names, or functions that reach outside the row (files, settings, sequences)
or change between runs (random numbers, the current time). The checks walk the parsed
tree, so quoting or comments cannot smuggle anything past them; the adapter then
rebuilds the expression into its own syntax tree, never pasting the text into SQL.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

DIALECT = "duckdb"

#: Nodes that are parts of scalar expressions without being conditions themselves.
_HELPERS = (exp.Identifier, exp.DataType, exp.DataTypeParam, exp.Var, exp.Interval, exp.Lambda)
#: Functions that read files, settings or sequences, or vary between runs.
_FORBIDDEN_PREFIXES = ("read_", "parquet_", "duckdb_", "pragma_", "pg_", "glob", "query",
                       "sniff_", "iceberg_", "delta_", "json_execute")
_FORBIDDEN_NAMES = frozenset({
    "getenv", "current_setting", "nextval", "currval", "setseed", "random", "rand", "uuid",
    "gen_random_uuid", "now", "current_timestamp", "current_date", "current_time",
    "get_current_time", "get_current_timestamp", "transaction_timestamp", "current_localtime",
    "current_localtimestamp", "current_database", "current_schema", "current_schemas",
    "current_user", "session_user", "user", "version", "txid_current", "load", "install",
    "checkpoint", "force_checkpoint", "export_database", "import_database",
})
_NONDETERMINISTIC = (exp.Rand, exp.Uuid, exp.CurrentTimestamp, exp.CurrentDate,
                     exp.CurrentTime)


def function_name(node: exp.Func) -> str:
    """The SQL name of a function call, lower case."""
    return (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()


def _problem(node: exp.Expr) -> str | None:
    """Why ``node`` may not appear in a mapping expression, or None if it may."""
    if isinstance(node, exp.Query | exp.Subquery):
        return "a subquery"
    if isinstance(node, exp.AggFunc):
        return f"the aggregate {function_name(node).upper()} (expressions see one row)"
    if isinstance(node, exp.Window):
        return "a window function (expressions see one row)"
    if isinstance(node, exp.Placeholder | exp.Parameter):
        return "a parameter placeholder"
    if isinstance(node, exp.Column) and node.table:
        return f"the qualified name {node.sql(DIALECT)} (name source columns alone)"
    if isinstance(node, _NONDETERMINISTIC):
        return f"{node.sql(DIALECT)} (it changes between runs)"
    if isinstance(node, exp.Func):
        name = function_name(node)
        if name in _FORBIDDEN_NAMES or name.startswith(_FORBIDDEN_PREFIXES):
            return f"the function {name.upper()}"
    if isinstance(node, exp.Alias):
        return "an alias (AS …)"
    if isinstance(node, exp.Star):
        return "*"
    if not isinstance(node, (exp.Condition, *_HELPERS)):
        return f"{node.key.upper()} (only scalar expressions are allowed)"
    return None


def parse_scalar(text: str) -> exp.Expr:
    """Parse a mapping expression and check it is a safe scalar over one row.

    Args:
        text: SQL in the DuckDB dialect, e.g. ``round(EstimatedSalary / 12, 2)``.

    Returns:
        The parsed tree (column references unqualified, as written).

    Raises:
        ValueError: It does not parse, holds more than one statement, or uses
            something not allowed (the message says what).
    """
    if not text.strip():
        raise ValueError("the expression is empty")
    try:
        trees = [t for t in sqlglot.parse(text, read=DIALECT) if t is not None]
    except SqlglotError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "syntax error"
        raise ValueError(f"not valid SQL ({first}): {text!r}") from None
    if len(trees) != 1:
        raise ValueError(f"must be one expression, without ';': {text!r}")
    tree = trees[0]
    for node in tree.walk():
        problem = _problem(node)
        if problem is not None:
            raise ValueError(f"{problem} is not allowed in a mapping expression: {text!r}")
    return tree


def column_names(tree: exp.Expr) -> list[str]:
    """Names of the columns an expression reads, in order of first use."""
    return list(dict.fromkeys(c.name for c in tree.find_all(exp.Column)))
