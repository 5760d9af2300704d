"""The parser: precedence, every operator, positions and syntax errors."""

from __future__ import annotations

import pytest

from portrait.audience.expr import (
    HOLDS_TAG,
    And,
    Between,
    Compare,
    Contains,
    ExpressionError,
    In,
    IsNull,
    IsTrue,
    Lit,
    Not,
    Or,
    Pos,
    Ref,
    parse,
)
from portrait.errors import UsageError


def shape(node: object) -> object:
    """The tree without positions, for compact assertions."""
    if isinstance(node, And | Or):
        return (type(node).__name__.lower(), *(shape(i) for i in node.items))
    if isinstance(node, Not):
        return ("not", shape(node.item))
    if isinstance(node, IsTrue):
        return node.tag.name
    if isinstance(node, Compare):
        return (node.tag.name, node.op, node.value.value)
    if isinstance(node, In):
        return (node.tag.name, "in", tuple(v.value for v in node.values))
    if isinstance(node, Between):
        return (node.tag.name, "between", node.low.value, node.high.value)
    if isinstance(node, Contains):
        return (node.tag.name, "contains", node.value.value)
    if isinstance(node, IsNull):
        return (node.tag.name, "is not null" if node.negated else "is null")
    raise AssertionError(node)


@pytest.mark.parametrize(("text", "tree"), [
    ("a or b and c", ("or", "a", ("and", "b", "c"))),
    ("a and b or c", ("or", ("and", "a", "b"), "c")),
    ("not a and b", ("and", ("not", "a"), "b")),
    ("not a or not b and c", ("or", ("not", "a"), ("and", ("not", "b"), "c"))),
    ("(a or b) and c", ("and", ("or", "a", "b"), "c")),
    ("not (a or b)", ("not", ("or", "a", "b"))),
    ("not not a", ("not", ("not", "a"))),
    ("a or b or c", ("or", "a", "b", "c")),
    ("A AND b Or NOT c", ("or", ("and", "A", "b"), ("not", "c"))),
    ("android or order_count > 1", ("or", "android", ("order_count", ">", 1.0))),
])
def test_precedence_not_and_or(text: str, tree: object) -> None:
    assert shape(parse(text)) == tree


@pytest.mark.parametrize(("text", "tree"), [
    ("x = 'F'", ("x", "=", "F")),
    ("x != 1", ("x", "!=", 1.0)),
    ("x <> 1", ("x", "!=", 1.0)),
    ("x < -1.5", ("x", "<", -1.5)),
    ("x <= 2e3", ("x", "<=", 2000.0)),
    ("x > .5", ("x", ">", 0.5)),
    ("x >= 'high'", ("x", ">=", "high")),
    ("x = TRUE", ("x", "=", True)),
    ("x = false", ("x", "=", False)),
    ("x in ('a', 'b')", ("x", "in", ("a", "b"))),
    ("x not in (1, 2)", ("not", ("x", "in", (1.0, 2.0)))),
    ("x between 1 and 5", ("x", "between", 1.0, 5.0)),
    ("x not between 'low' and 'mid'", ("not", ("x", "between", "low", "mid"))),
    ("x between 1 and 5 and y", ("and", ("x", "between", 1.0, 5.0), "y")),
    ("s contains 'fund'", ("s", "contains", "fund")),
    ("holds('insurance')", (HOLDS_TAG, "contains", "insurance")),
    ("HOLDS ( 'loan' )", (HOLDS_TAG, "contains", "loan")),
    ("x is null", ("x", "is null")),
    ("x IS NOT NULL", ("x", "is not null")),
    ("holds_loan", "holds_loan"),
    ("x = 'it''s'", ("x", "=", "it's")),
    ("city = '北京'", ("city", "=", "北京")),
])
def test_every_operator(text: str, tree: object) -> None:
    assert shape(parse(text)) == tree


def test_positions_are_kept() -> None:
    node = parse("a = 1 and\n  holds('fund')")
    assert isinstance(node, And)
    first, second = node.items
    assert first == Compare(Ref("a", Pos(1, 1, 1)), "=", Lit(1.0, Pos(1, 5, 1)))
    assert isinstance(second, Contains)
    assert second.tag.pos == Pos(2, 3, 5)
    assert second.value == Lit("fund", Pos(2, 9, 6))


def test_the_issue_example_parses() -> None:
    text = ("generation in ('post_80s','post_90s') and gender = 'F' and liquid_assets_band >= "
            "'high' and not holds('insurance') and days_since_last_activity <= 30")
    assert shape(parse(text)) == ("and", ("generation", "in", ("post_80s", "post_90s")),
                                  ("gender", "=", "F"), ("liquid_assets_band", ">=", "high"),
                                  ("not", (HOLDS_TAG, "contains", "insurance")),
                                  ("days_since_last_activity", "<=", 30.0))


@pytest.mark.parametrize(("text", "message", "line", "column", "hint"), [
    ("", "The expression is empty", 1, 1, "gender = 'F'"),
    ("a = ", "ends too early", 1, 5, "a quoted value"),
    ("a == 1", "Unexpected '='", 1, 4, "a number"),
    ('a = "F"', "Unexpected character '\"'", 1, 5, "single quotes"),
    ("(a or b", "ends too early", 1, 8, "')'"),
    ("a and or b", "Unexpected 'or'", 1, 7, "a tag name"),
    ("a = 1\n  and b = $", "Unexpected character '$'", 2, 11, None),
    ("a in ()", "Unexpected ')'", 1, 7, None),
    ("a b", "Unexpected 'b'", 1, 3, None),
])
def test_syntax_errors_point_at_the_position(text: str, message: str, line: int, column: int,
                                             hint: str | None) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    err = info.value
    assert isinstance(err, UsageError) and err.exit_code == 2
    assert message in err.message
    assert (err.line, err.column) == (line, column)
    assert f"(line {line}, column {column})" in err.message
    caret_line = err.message.splitlines()[-1]
    assert caret_line.index("^") == column + 1  # two spaces of indent, 1-based column
    if hint:
        assert err.hint and hint in err.hint
