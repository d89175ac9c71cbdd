"""The observable expression language: what it accepts, what it refuses, where it says so."""

from __future__ import annotations

import ast
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goldmine.expressions import (
    ATTRIBUTES,
    COLLECTIONS,
    CONSTANTS,
    FUNCTIONS,
    MOMENTA,
    MOMENTUM_METHODS,
    ExpressionError,
    Node,
    parse_expression,
)

ALLOWED_OPS = {"number", "object", "item", "attribute", "method", "function", "arithmetic", "negate", "not",
               "compare", "and", "or"}


@pytest.mark.parametrize(("text", "kind"), [
    ("j[0].pt", "number"),
    ("(l[0] + met).mt", "number"),
    ("abs(j[0].eta - j[1].eta)", "number"),
    ("len(j)", "number"),
    ("a[0].pt > 40 and len(l) >= 1", "boolean"),
    ("a[0].deltaphi(a[1])", "number"),
    ("l[0].deltaR(j[0]) < 0.4 or not len(b) >= 2", "boolean"),
    ("10 < j[0].pt <= 50", "boolean"),
    ("sum(j)", "momentum"),
    ("ht(j) / 1000", "number"),
    ("j[0]", "momentum"),
    ("-pi", "number"),
    ("b", "collection"),
])
def test_valid_expressions_have_a_kind(text: str, kind: str) -> None:
    assert parse_expression(text).kind == kind


@pytest.mark.parametrize(("text", "position", "message"), [
    ("j[0].foo", 0, "unknown attribute 'foo'"),
    ("tau[0].pt", 0, "unknown name 'tau'"),
    ("j[0].pt +", 9, "invalid syntax"),
    ("j.pt", 0, "the object of .pt must be a momentum, not a collection"),
    ("met[0].pt", 0, "an indexed object must be a collection, not a momentum"),
    ("j[-1].pt", 2, "an index must be a non-negative integer"),
    ("j[0:2]", 2, "an index must be a non-negative integer"),
    ("len(j) + j[0]", 0, "cannot apply + to a number and a momentum"),
    ("sqrt(j[0])", 5, "the argument of sqrt() must be a number or boolean, not a momentum"),
    ("j[0].pt and 1", 0, "an operand of and must be a boolean, not a number"),
    ("open('x')", 0, "unknown function 'open'"),
    ("j[0].pt.__class__", 0, "the object of .__class__ must be a momentum, not a number"),
    ("j[0].__class__", 0, "unknown attribute '__class__'"),
    ("'text'", 0, "constant 'text' is not allowed"),
    ("[x for x in j]", 0, "listcomp is not allowed"),
    ("lambda: 1", 0, "lambda is not allowed"),
    ("j[0].deltaR(j[1], j[2])", 0, ".deltaR() takes one momentum"),
    ("max(j[0].pt)", 0, "max() takes 2 argument(s), got 1"),
    ("abs(x=1)", 0, "keyword arguments are not allowed"),
    ("j[0].pt // 2", 0, "operator FloorDiv is not allowed"),
    ("j[0].pt if 1 else 2", 0, "ifexp is not allowed"),
    ("", 0, "empty expression"),
])
def test_refused_expressions_point_at_the_problem(text: str, position: int, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    assert message in str(caught.value)
    assert caught.value.column == position
    assert str(caught.value).splitlines()[-1] == "    " + " " * position + "^"


def _is_whitelisted(node: Node) -> bool:
    if node.op not in ALLOWED_OPS:
        return False
    match node.op:
        case "number":
            return isinstance(node.value, float)
        case "object":
            return node.value in COLLECTIONS | MOMENTA
        case "attribute":
            return node.value in ATTRIBUTES
        case "method":
            return node.value in MOMENTUM_METHODS
        case "function":
            return node.value in FUNCTIONS
        case "item":
            return type(node.value) is int and node.value >= 0
    return True


_WORDS = sorted(COLLECTIONS | MOMENTA | set(CONSTANTS) | ATTRIBUTES | set(MOMENTUM_METHODS) | set(FUNCTIONS)) + [
    "__import__", "__class__", "__subclasses__", "__globals__", "__builtins__", "os", "sys", "eval", "exec",
    "open", "getattr", "lambda", "import", "for", "in", "if", "else", "not", "and", "or", "is", "x", "_",
]
_PUNCTUATION = ["(", ")", "[", "]", ".", ",", "+", "-", "*", "/", "**", "%", "<", ">", "==", "!=", ">=", "<=",
                ":", "=", "'", '"', "@", "~", "&", "|", "^", "{", "}", " "]
_TOKENS = st.one_of(
    st.sampled_from(_WORDS),
    st.sampled_from(_PUNCTUATION),
    st.integers(min_value=-3, max_value=12).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
)


def _check(text: str) -> None:
    try:
        tree = parse_expression(text)
    except ExpressionError:
        return
    nodes = list(tree.walk())
    assert all(_is_whitelisted(node) for node in nodes), text
    # whatever was accepted is also plain, harmless Python syntax: no call reaches a
    # name outside the tables
    for node in ast.walk(ast.parse(text.strip(), mode="eval")):
        if isinstance(node, ast.Name):
            assert node.id in COLLECTIONS | MOMENTA | set(CONSTANTS) | set(FUNCTIONS), text
        if isinstance(node, ast.Attribute):
            assert node.attr in ATTRIBUTES | set(MOMENTUM_METHODS), text


@settings(max_examples=1500, deadline=None)
@given(st.lists(_TOKENS, min_size=1, max_size=14).map("".join))
def test_fuzz_token_soup_never_leaves_the_whitelist(text: str) -> None:
    _check(text)


@settings(max_examples=800, deadline=None)
@given(st.text(alphabet=string.printable, max_size=40))
def test_fuzz_arbitrary_text_never_leaves_the_whitelist(text: str) -> None:
    _check(text)
