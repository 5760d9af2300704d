"""Resolving a catalog into a build plan: references checked, dependencies ordered,
aggregates over the same table and window fused into one grouped pass.
"""

from __future__ import annotations

import difflib
import graphlib
from dataclasses import dataclass, field
from pathlib import Path

import sqlglot
from sqlglot import exp

from portrait import schema
from portrait.errors import DefinitionError, NotFoundError
from portrait.schema import Table
from portrait.store.layout import physical_columns
from portrait.tags.loader import LoadedTag
from portrait.tags.spec import TagSpec

AS_OF = "as_of"
BASE_TABLE = "customers"
#: Column that places a table's rows in time, for as-of cut-offs and windows.
TIME_COLUMNS: dict[str, str] = {
    "transactions": "ts", "events": "ts", "consents": "ts", "contacts": "ts", "responses": "ts",
    "holdings": "start_at", "accounts": "opened_at",
}
_FORBIDDEN = (exp.Query, exp.Subquery, exp.Command, exp.Insert, exp.Delete, exp.Update,
              exp.Create, exp.Drop, exp.Window)
NUMERIC = "numeric"


def fk_aliases(table: Table) -> dict[str, Table]:
    """Tables reachable from ``table`` by one reference, under an alias (``product_id`` → ``product``)."""
    return {fk.column.removesuffix("_id"): schema.table(fk.table) for fk in table.references
            if fk.table != BASE_TABLE}


def _columns(table: Table) -> set[str]:
    return {name for name, _ in physical_columns(table)} - {c.name for c in table.pii_columns}


@dataclass(frozen=True)
class GroupKey:
    """Aggregates sharing a key are computed in one grouped pass over their table."""

    table: str
    window: str | None
    time_column: str | None


@dataclass
class ResolvedTag:
    spec: TagSpec
    source: Path
    deps: tuple[str, ...] = ()
    tables: frozenset[str] = frozenset()
    columns: frozenset[str] = frozenset()
    group: GroupKey | None = None
    parsed: dict[str, exp.Expr] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass
class Plan:
    """Tags in dependency order and the fused aggregate passes."""

    tags: dict[str, ResolvedTag]
    groups: dict[GroupKey, list[str]]
    levels: list[list[str]]

    def closure(self, names: list[str]) -> list[str]:
        """``names`` and every tag they depend on, in dependency order."""
        wanted: set[str] = set()
        stack = list(names)
        while stack:
            name = stack.pop()
            if name not in wanted:
                wanted.add(name)
                stack.extend(self.tags[name].deps)
        return [n for level in self.levels for n in level if n in wanted]


class _Resolver:
    def __init__(self, loaded: list[LoadedTag]) -> None:
        self.loaded = {t.spec.name: t for t in loaded}
        self.base = schema.table(BASE_TABLE)

    def fail(self, tag: LoadedTag, where: str, message: str, hint: str | None = None) -> None:
        raise DefinitionError(f"{tag.source}: tag {tag.spec.name!r}: {where}: {message}", hint=hint)

    def parse(self, tag: LoadedTag, where: str, text: str) -> exp.Expr:
        try:
            node = sqlglot.parse_one(text, dialect="duckdb")
        except sqlglot.errors.ParseError as exc:
            self.fail(tag, where, f"not a valid SQL expression ({exc.errors[0]['description']})")
            raise AssertionError from exc
        bad = next((n for n in node.walk() if isinstance(n, _FORBIDDEN)), None)
        if bad is not None:
            self.fail(tag, where, f"only scalar expressions are allowed, found {bad.key.upper()}")
        return node

    def suggest(self, name: str, options: set[str]) -> str | None:
        close = difflib.get_close_matches(name, sorted(options), n=3)
        return f"Did you mean {', '.join(repr(c) for c in close)}?" if close else None

    def check_refs(self, tag: LoadedTag, where: str, node: exp.Expr, table: Table,
                   *, tags_allowed: bool) -> tuple[set[str], set[str], set[str]]:
        """Check the columns an expression reads; return (tags, columns, tables) it uses."""
        deps: set[str] = set()
        cols: set[str] = set()
        tables: set[str] = {table.name}
        own = _columns(table)
        aliases = fk_aliases(table)
        if table.name == BASE_TABLE:
            aliases["customer"] = table
        for col in node.find_all(exp.Column):
            name, qualifier = col.name, col.table
            if qualifier:
                if qualifier not in aliases:
                    self.fail(tag, where, f"unknown table alias {qualifier!r}",
                              self.suggest(qualifier, set(aliases)))
                if name in {c.name for c in aliases[qualifier].pii_columns}:
                    self.fail(tag, where, f"PII column {name!r} cannot be read by a tag",
                              f"Use {name}_token to test whether it is present.")
                if name not in _columns(aliases[qualifier]):
                    self.fail(tag, where, f"unknown column {qualifier}.{name}",
                              self.suggest(name, _columns(aliases[qualifier])))
                cols.add(name if qualifier == "customer" else f"{qualifier}.{name}")
                tables.add(aliases[qualifier].name)
            elif name == AS_OF:
                continue
            elif tags_allowed and name in self.loaded:
                deps.add(name)
            elif name in own:
                cols.add(name)
            elif name in {c.name for c in table.pii_columns}:
                self.fail(tag, where, f"PII column {name!r} cannot be read by a tag",
                          f"Use {name}_token to test whether it is present.")
            else:
                options = own | (set(self.loaded) if tags_allowed else set())
                self.fail(tag, where, f"unknown column{' or tag' if tags_allowed else ''} {name!r}",
                          self.suggest(name, options))
        return deps, cols, tables

    def numeric_dep(self, tag: LoadedTag, where: str, name: str) -> str:
        if name not in self.loaded:
            self.fail(tag, where, f"unknown tag {name!r}", self.suggest(name, set(self.loaded)))
        if self.loaded[name].spec.type != NUMERIC:
            self.fail(tag, where, f"tag {name!r} is {self.loaded[name].spec.type}, not numeric")
        return name

    def resolve(self, tag: LoadedTag) -> ResolvedTag:
        spec = tag.spec
        out = ResolvedTag(spec, tag.source)
        deps: set[str] = set()
        cols: set[str] = set()
        tables: set[str] = set()
        if spec.aggregate is not None:
            agg = spec.aggregate
            try:
                table = schema.table(agg.table)
            except NotFoundError as exc:
                self.fail(tag, "aggregate.table", exc.message, exc.hint)
                raise
            if "customer_id" not in table.column_names:
                self.fail(tag, "aggregate.table", f"table {agg.table!r} has no customer_id")
            time_column = agg.time_column or TIME_COLUMNS.get(table.name)
            if time_column and time_column not in table.column_names:
                self.fail(tag, "aggregate.time_column", f"unknown column {time_column!r}")
            if agg.window and not time_column:
                self.fail(tag, "aggregate.window", f"table {agg.table!r} has no time column")
            for where in ("column", "filter"):
                text = getattr(agg, where)
                if text is not None:
                    node = self.parse(tag, f"aggregate.{where}", text)
                    _, c, t = self.check_refs(tag, f"aggregate.{where}", node, table,
                                              tags_allowed=False)
                    cols |= c
                    tables |= t
                    out.parsed[where] = node
            tables.add(table.name)
            out.group = GroupKey(table.name, agg.window, time_column)
        elif spec.expr is not None:
            node = self.parse(tag, "expr", spec.expr)
            deps, cols, tables = self.check_refs(tag, "expr", node, self.base, tags_allowed=True)
            out.parsed["expr"] = node
        elif spec.bins is not None:
            deps = {self.numeric_dep(tag, "bins.tag", spec.bins.tag)}
        elif spec.rank is not None:
            deps = {self.numeric_dep(tag, "rank.tag", spec.rank.tag)}
        elif spec.rfm is not None:
            deps = {self.numeric_dep(tag, f"rfm.{k}", getattr(spec.rfm, k))
                    for k in ("recency", "frequency", "monetary")}
        out.deps = tuple(sorted(deps))
        out.columns = frozenset(cols)
        out.tables = frozenset(tables)
        return out


def build_plan(loaded: list[LoadedTag]) -> Plan:
    """Resolve every tag, order them by dependency and group fusable aggregates.

    Raises:
        DefinitionError: A reference is unknown, a kind does not fit the tag it reads,
            or tags depend on each other in a cycle.
    """
    resolver = _Resolver(loaded)
    resolved = {t.spec.name: resolver.resolve(t) for t in loaded}
    sorter = graphlib.TopologicalSorter({n: set(t.deps) for n, t in resolved.items()})
    levels: list[list[str]] = []
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        cycle = " → ".join(exc.args[1])
        first = resolved[exc.args[1][0]]
        raise DefinitionError(f"{first.source}: tags depend on each other in a cycle: {cycle}") from None
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        levels.append(ready)
        sorter.done(*ready)
    groups: dict[GroupKey, list[str]] = {}
    for name in (n for level in levels for n in level):
        group = resolved[name].group
        if group is not None:
            groups.setdefault(group, []).append(name)
    order = [n for level in levels for n in level]
    return Plan({n: resolved[n] for n in order}, groups, levels)
