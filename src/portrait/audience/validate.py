"""Checking a parsed expression against the tag catalog of a snapshot.

The second stage of the language: :data:`~portrait.audience.expr.Expr` → :class:`Query`.
Every tag must exist in the snapshot, every operator must suit the tag's type
(ordering only on ordinal and numeric tags, ``contains`` only on set tags), every value
must have the tag's type, lie in a categorical tag's domain (when it is known) and be a
level of an ordinal tag. Errors point at the offending text with a caret.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from portrait.audience.expr import (
    And,
    Between,
    Compare,
    Contains,
    Expr,
    ExpressionError,
    In,
    IsNull,
    IsTrue,
    Lit,
    Not,
    Or,
    Ref,
    parse,
)
from portrait.tags.spec import TagSpec

ORDERED = ("ordinal", "numeric")
STRING_TYPES = ("categorical", "ordinal", "set")


@dataclass(frozen=True)
class TagInfo:
    """What the language needs to know about one tag of a snapshot.

    Attributes:
        name: The tag (a column of the snapshot table).
        type: ``boolean``, ``categorical``, ``ordinal``, ``numeric`` or ``set``.
        levels: An ordinal tag's values, lowest first.
        values: Declared values of a categorical tag or of a set tag's elements.
    """

    name: str
    type: str
    levels: tuple[str, ...] | None = None
    values: tuple[str, ...] | None = None


def tag_info(spec: TagSpec) -> TagInfo:
    """The language's view of a catalog tag."""
    levels = tuple(spec.levels) if spec.type == "ordinal" and spec.levels else None
    return TagInfo(spec.name, spec.type, levels, tuple(spec.values) if spec.values else None)


@dataclass
class Catalog:
    """The tags an expression may use: those of one snapshot, typed by the catalog.

    Attributes:
        tags: Tag name → its description.
        observed: Looks up the values a categorical or set tag takes in the snapshot
            (``None`` when they cannot be known); called only for tags an expression uses.
        absent: Tags the catalog defines that this snapshot lacks, with the reason.
    """

    tags: dict[str, TagInfo]
    observed: Callable[[str], frozenset[str] | None] = field(default=lambda _name: None)
    absent: dict[str, str] = field(default_factory=dict)

    def domain(self, name: str) -> frozenset[str] | None:
        """Declared plus observed values of a categorical or set tag; ``None`` = unknown."""
        info = self.tags[name]
        seen = self.observed(name) or frozenset()
        known = frozenset(info.values or ()) | seen
        return known or None


@dataclass(frozen=True)
class Query:
    """An expression that fits a snapshot: its text, tree and the tags it uses."""

    text: str
    expr: Expr
    tags: dict[str, TagInfo]


def compile_query(text: str, catalog: Catalog) -> Query:
    """Parse ``text`` and check it against ``catalog``.

    Raises:
        ExpressionError: A syntax error, an unknown tag, a value of the wrong type or
            outside the tag's domain; the message shows the position.
    """
    expr = parse(text)
    return validate(expr, text, catalog)


def validate(expr: Expr, text: str, catalog: Catalog) -> Query:
    """Check ``expr`` (parsed from ``text``) against ``catalog``."""
    checker = _Checker(text, catalog)
    for node in _predicates(expr):
        checker.check(node)
    return Query(text, expr, checker.used)


def _predicates(expr: Expr) -> Iterator[Expr]:
    if isinstance(expr, And | Or):
        for item in expr.items:
            yield from _predicates(item)
    elif isinstance(expr, Not):
        yield from _predicates(expr.item)
    else:
        yield expr


def literal_text(lit: Lit) -> str:
    """A literal as it would be written in an expression."""
    if isinstance(lit.value, bool):
        return "true" if lit.value else "false"
    if isinstance(lit.value, float):
        return str(int(lit.value)) if lit.value.is_integer() else repr(lit.value)
    return "'" + lit.value.replace("'", "''") + "'"


class _Checker:
    def __init__(self, text: str, catalog: Catalog) -> None:
        self.text = text
        self.catalog = catalog
        self.used: dict[str, TagInfo] = {}

    def fail(self, message: str, at: Ref | Lit, hint: str | None = None) -> ExpressionError:
        return ExpressionError(message, text=self.text, line=at.pos.line, column=at.pos.column,
                               width=at.pos.width, hint=hint)

    def tag(self, ref: Ref) -> TagInfo:
        info = self.catalog.tags.get(ref.name)
        if info is None:
            if ref.name in self.catalog.absent:
                raise self.fail(f"Tag {ref.name!r} is not in this snapshot "
                                f"({self.catalog.absent[ref.name]}).", ref,
                                hint="Rebuild the tags (`portrait tags build`) or pick another "
                                     "snapshot with --as-of.")
            close = difflib.get_close_matches(ref.name, list(self.catalog.tags), n=3, cutoff=0.6)
            hint = (f"Did you mean {', '.join(close)}?" if close
                    else "See `portrait tags list` for the tags.")
            raise self.fail(f"Unknown tag {ref.name!r}.", ref, hint=hint)
        self.used[info.name] = info
        return info

    def check(self, node: Expr) -> None:
        if isinstance(node, IsNull):
            self.tag(node.tag)
        elif isinstance(node, IsTrue):
            info = self.tag(node.tag)
            if info.type != "boolean":
                raise self.fail(
                    f"Tag {info.name!r} is {info.type}; a tag named alone is a test of a "
                    "boolean tag.", node.tag, hint=_example(info))
        elif isinstance(node, Compare):
            info = self.tag(node.tag)
            self.not_set(info, node.tag)
            if node.op not in ("=", "!=") and info.type not in ORDERED:
                raise self.fail(f"Tag {info.name!r} is {info.type}: it has no order, so "
                                f"{node.op!r} does not apply.", node.tag, hint=_example(info))
            self.value(info, node.tag, node.value)
        elif isinstance(node, In):
            info = self.tag(node.tag)
            self.not_set(info, node.tag)
            for lit in node.values:
                self.value(info, node.tag, lit)
        elif isinstance(node, Between):
            info = self.tag(node.tag)
            if info.type not in ORDERED:
                raise self.fail(f"Tag {info.name!r} is {info.type}: 'between' needs an ordinal "
                                "or numeric tag.", node.tag, hint=_example(info))
            self.value(info, node.tag, node.low)
            self.value(info, node.tag, node.high)
            if _rank(info, node.low) > _rank(info, node.high):
                raise self.fail(f"The range of {info.name!r} is empty: {literal_text(node.low)} "
                                f"comes after {literal_text(node.high)}.", node.low,
                                hint="Write the lower bound first.")
        elif isinstance(node, Contains):
            info = self.tag(node.tag)
            if info.type != "set":
                raise self.fail(f"Tag {info.name!r} is {info.type}: 'contains' needs a set tag.",
                                node.tag, hint=_example(info))
            self.value(info, node.tag, node.value)

    def not_set(self, info: TagInfo, ref: Ref) -> None:
        if info.type == "set":
            raise self.fail(f"Tag {info.name!r} is a set: test its elements with 'contains'.",
                            ref, hint=_example(info))

    def value(self, info: TagInfo, ref: Ref, lit: Lit) -> None:
        kind = info.type
        if kind == "boolean":
            if not isinstance(lit.value, bool):
                raise self.fail(f"Tag {info.name!r} is boolean: compare it with true or false, "
                                f"not {literal_text(lit)}.", lit, hint=f"{info.name} = true")
            return
        if kind == "numeric":
            if isinstance(lit.value, bool) or not isinstance(lit.value, float):
                raise self.fail(f"Tag {info.name!r} is numeric: compare it with a number, not "
                                f"{literal_text(lit)}.", lit, hint=_example(info))
            if not math.isfinite(lit.value):
                raise self.fail(f"{literal_text(lit)} is not a finite number.", lit)
            return
        if kind == "set" and not isinstance(lit.value, str):
            raise self.fail(f"Tag {info.name!r} is a set of text values: write the element in "
                            f"quotes, not {literal_text(lit)}.", lit, hint=_example(info))
        if not isinstance(lit.value, str):
            raise self.fail(f"Tag {info.name!r} is {kind}: its values are text in quotes, not "
                            f"{literal_text(lit)}.", lit, hint=_example(info))
        if kind == "ordinal":
            levels = info.levels or ()
            if lit.value not in levels:
                close = difflib.get_close_matches(lit.value, levels, n=1, cutoff=0.5)
                raise self.fail(
                    f"{literal_text(lit)} is not a level of {info.name!r}.", lit,
                    hint=(f"Did you mean {close[0]!r}? " if close else "")
                    + "Levels, lowest first: " + " < ".join(levels) + ".")
            return
        domain = self.catalog.domain(info.name)
        if domain is not None and lit.value not in domain:
            listed = sorted(domain)
            close = difflib.get_close_matches(lit.value, listed, n=1, cutoff=0.5)
            shown = ", ".join(listed[:20]) + (f", … ({len(listed)} in all)" if len(listed) > 20 else "")
            what = "an element of" if kind == "set" else "a value of"
            raise self.fail(f"{literal_text(lit)} is not {what} {info.name!r}.", lit,
                            hint=(f"Did you mean {close[0]!r}? " if close else "")
                            + f"Known values: {shown}.")


def _rank(info: TagInfo, lit: Lit) -> float:
    if info.type == "ordinal":
        return float((info.levels or ()).index(str(lit.value)))
    return float(lit.value)


def _example(info: TagInfo) -> str:
    """A correct use of the tag, for hints."""
    name = info.name
    if info.type == "boolean":
        return f"Write `{name}`, `not {name}` or `{name} = false`."
    if info.type == "numeric":
        return f"For example: {name} >= 10, or {name} between 1 and 5."
    if info.type == "ordinal" and info.levels:
        return f"For example: {name} >= '{info.levels[-1]}' (levels: {', '.join(info.levels)})."
    if info.type == "set":
        return f"For example: {name} contains 'x'."
    return f"For example: {name} = 'x', or {name} in ('x', 'y')."
