"""The tag-expression language: grammar, syntax tree and parser.

An expression selects customers by their tags, e.g.::

    generation in ('post_80s', 'post_90s') and gender = 'F'
      and liquid_assets_band >= 'high' and not holds('insurance')
      and days_since_last_activity <= 30

Text → :func:`parse` (a LALR parser built with ``lark``, positions kept) → :data:`Expr`
(frozen dataclasses, below) → checked against the catalog
(:mod:`portrait.audience.validate`) → SQL (:mod:`portrait.audience.sql`) or bitmaps
(:mod:`portrait.audience.bitmap`). Precedence: ``not`` binds tighter than ``and``,
which binds tighter than ``or``; keywords are case-insensitive.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from portrait.errors import UsageError

#: The set tag ``holds('x')`` looks in.
HOLDS_TAG = "product_categories_held"

GRAMMAR = r"""
?start: or_

?or_: and_ (_OR and_)*
?and_: not_ (_AND not_)*
?not_: _NOT not_                 -> negation
     | atom
?atom: "(" or_ ")"
     | predicate

predicate: tag COMPARATOR value                       -> compare
         | tag _IN "(" value ("," value)* ")"         -> in_
         | tag _NOT _IN "(" value ("," value)* ")"    -> not_in
         | tag _BETWEEN value _AND value              -> between
         | tag _NOT _BETWEEN value _AND value         -> not_between
         | tag _CONTAINS value                        -> contains
         | HOLDS "(" value ")"                        -> holds
         | tag _IS _NULL                              -> is_null
         | tag _IS _NOT _NULL                         -> is_not_null
         | tag                                        -> is_true

tag: NAME
value: STRING -> string
     | NUMBER -> number
     | TRUE   -> true
     | FALSE  -> false

COMPARATOR: "<=" | ">=" | "!=" | "<>" | "=" | "<" | ">"
HOLDS.3: /holds(?=\s*\()/i
_OR.2: /\bor\b/i
_AND.2: /\band\b/i
_NOT.2: /\bnot\b/i
_IN.2: /\bin\b/i
_BETWEEN.2: /\bbetween\b/i
_CONTAINS.2: /\bcontains\b/i
_IS.2: /\bis\b/i
_NULL.2: /\bnull\b/i
TRUE.2: /\btrue\b/i
FALSE.2: /\bfalse\b/i
NAME: /[A-Za-z_][A-Za-z0-9_]*/
STRING: /'(?:[^']|'')*'/
NUMBER: /[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/

%import common.WS
%ignore WS
"""

class ExpressionError(UsageError):
    """An audience expression cannot be parsed or does not fit the catalog.

    Attributes:
        line: 1-based line of the offending text.
        column: 1-based column of the offending text.
    """

    def __init__(self, message: str, *, text: str, line: int, column: int, width: int = 1,
                 hint: str | None = None) -> None:
        self.line, self.column = line, column
        excerpt = caret(text, line, column, width)
        super().__init__(f"{message} (line {line}, column {column})\n{excerpt}", hint=hint)


def caret(text: str, line: int, column: int, width: int = 1) -> str:
    """The offending line of ``text`` with ``^`` under columns ``column`` … ``column+width-1``."""
    lines = text.splitlines() or [""]
    shown = lines[min(max(line, 1), len(lines)) - 1]
    return f"  {shown}\n  {' ' * (column - 1)}{'^' * max(width, 1)}"


@dataclass(frozen=True)
class Pos:
    """Where a piece of the expression is: 1-based line and column, and its width."""

    line: int
    column: int
    width: int


@dataclass(frozen=True)
class Ref:
    """A tag named in the expression."""

    name: str
    pos: Pos


@dataclass(frozen=True)
class Lit:
    """A literal: a string, a number or a boolean."""

    value: str | float | bool
    pos: Pos


@dataclass(frozen=True)
class Compare:
    """``tag op value`` with op one of ``= != < <= > >=``."""

    tag: Ref
    op: str
    value: Lit


@dataclass(frozen=True)
class In:
    """``tag in (v1, v2, …)``."""

    tag: Ref
    values: tuple[Lit, ...]


@dataclass(frozen=True)
class Between:
    """``tag between low and high`` (both ends included)."""

    tag: Ref
    low: Lit
    high: Lit


@dataclass(frozen=True)
class Contains:
    """``tag contains 'x'``: the set tag holds ``x`` (``holds('x')`` is this on ``HOLDS_TAG``)."""

    tag: Ref
    value: Lit


@dataclass(frozen=True)
class IsNull:
    """``tag is null`` (``negated``: ``is not null``); never unknown."""

    tag: Ref
    negated: bool


@dataclass(frozen=True)
class IsTrue:
    """A boolean tag named alone: ``holds_loan``."""

    tag: Ref


@dataclass(frozen=True)
class Not:
    item: Expr


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]


Predicate = Compare | In | Between | Contains | IsNull | IsTrue
Expr = Predicate | Not | And | Or


def _pos(token: Token) -> Pos:
    return Pos(int(token.line or 1), int(token.column or 1), len(str(token)))


@v_args(inline=True)
class _Build(Transformer[Token, Expr]):
    """Parse tree → :data:`Expr`."""

    def tag(self, name: Token) -> Ref:
        return Ref(str(name), _pos(name))

    def string(self, token: Token) -> Lit:
        return Lit(str(token)[1:-1].replace("''", "'"), _pos(token))

    def number(self, token: Token) -> Lit:
        return Lit(float(str(token)), _pos(token))

    def true(self, token: Token) -> Lit:
        return Lit(True, _pos(token))

    def false(self, token: Token) -> Lit:
        return Lit(False, _pos(token))

    def compare(self, tag: Ref, op: Token, value: Lit) -> Compare:
        return Compare(tag, "!=" if str(op) == "<>" else str(op), value)

    def in_(self, tag: Ref, *values: Lit) -> In:
        return In(tag, tuple(values))

    def not_in(self, tag: Ref, *values: Lit) -> Not:
        return Not(In(tag, tuple(values)))

    def between(self, tag: Ref, low: Lit, high: Lit) -> Between:
        return Between(tag, low, high)

    def not_between(self, tag: Ref, low: Lit, high: Lit) -> Not:
        return Not(Between(tag, low, high))

    def contains(self, tag: Ref, value: Lit) -> Contains:
        return Contains(tag, value)

    def holds(self, word: Token, value: Lit) -> Contains:
        return Contains(Ref(HOLDS_TAG, _pos(word)), value)

    def is_null(self, tag: Ref) -> IsNull:
        return IsNull(tag, negated=False)

    def is_not_null(self, tag: Ref) -> IsNull:
        return IsNull(tag, negated=True)

    def is_true(self, tag: Ref) -> IsTrue:
        return IsTrue(tag)

    def negation(self, item: Expr) -> Not:
        return Not(item)

    def and_(self, *items: Expr) -> And:
        return And(tuple(items))

    def or_(self, *items: Expr) -> Or:
        return Or(tuple(items))


@lru_cache(maxsize=1)
def _parser() -> Lark:
    # cache=True keeps the built LALR tables in the temp folder: 10 ms instead of 100 ms
    # the basic lexer: a keyword is never read as a tag name, whatever the context
    return Lark(GRAMMAR, parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=False,
                cache=True)


def parse(text: str) -> Expr:
    """Parse an expression.

    Raises:
        ExpressionError: The text is not an expression; the message shows where.
    """
    if not text.strip():
        raise ExpressionError("The expression is empty.", text=text, line=1, column=1,
                              hint="Write a condition such as gender = 'F' and age >= 30.")
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    result: Expr = _Build().transform(tree)
    return result


def _syntax_error(text: str, exc: UnexpectedInput) -> ExpressionError:
    line, column = int(exc.line or 1), int(exc.column or 1)
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
        return ExpressionError("The expression ends too early.", text=text, line=line,
                               column=column, hint=_expected_hint(exc))
    if isinstance(exc, UnexpectedCharacters):
        at = int(exc.pos_in_stream or 0)
        char = text[at] if at < len(text) else ""
        hint = ("Quote text values with single quotes: 'F'." if char == '"'
                else "Tags are snake_case names; text values go in single quotes.")
        return ExpressionError(f"Unexpected character {char!r}.", text=text, line=line,
                               column=column, hint=hint)
    token = exc.token if isinstance(exc, UnexpectedToken) else None
    shown = str(token) if token is not None else ""
    return ExpressionError(f"Unexpected {shown!r}.", text=text, line=line, column=column,
                           width=len(shown) or 1, hint=_expected_hint(exc))


_READABLE = {"COMPARATOR": "a comparison (= != < <= > >=)", "NAME": "a tag name",
             "STRING": "a quoted value", "NUMBER": "a number", "LPAR": "'('", "RPAR": "')'",
             "COMMA": "','", "_AND": "'and'", "_OR": "'or'", "_NOT": "'not'", "_IN": "'in'",
             "_IS": "'is'", "_NULL": "'null'", "_BETWEEN": "'between'", "_CONTAINS": "'contains'",
             "TRUE": "true", "FALSE": "false", "HOLDS": "holds(...)"}


def _expected_hint(exc: UnexpectedInput) -> str | None:
    expected = sorted({_READABLE.get(t, t) for t in getattr(exc, "expected", set()) or set()
                       if t != "$END"})
    return f"Expected {', '.join(expected)}." if expected else None

