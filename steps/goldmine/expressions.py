"""Whitelisted arithmetic expressions, parsed once and evaluated on arrays without ``eval``.

Used for param-card transforms such as ``0.5*theta`` or ``sqrt(theta)/1000``: the
text is parsed with :mod:`ast` and compiled into a tree of closures that accepts
only numbers, the given variable names, ``+ - * / **``, unary signs and the
functions in :data:`FUNCTIONS`. Anything else is rejected with its position.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

__all__ = ["FUNCTIONS", "ExpressionError", "compile_arithmetic"]

Evaluator = Callable[[Mapping[str, Any]], Any]

FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": np.abs,
    "sqrt": np.sqrt,
    "exp": np.exp,
    "log": np.log,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "tanh": np.tanh,
}
_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
#: Longest expression accepted (characters), here and in observable definitions; a
#: physicist's longest is a few hundred.
MAX_LENGTH = 10_000


class ExpressionError(ValueError):
    """The text is not an allowed arithmetic expression."""


def compile_arithmetic(text: str, variables: Iterable[str]) -> Evaluator:
    """Parse ``text`` into an evaluator ``f(values)`` over the names in ``variables``."""
    allowed = frozenset(variables)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"longer than {MAX_LENGTH} characters: {text[:40]!r}...")
    try:
        tree = ast.parse(text.strip(), mode="eval")
        return _compile(tree.body, text, allowed)
    except SyntaxError as err:
        msg = f"not a valid expression: {text!r} ({err.msg} at column {err.offset})"
        raise ExpressionError(msg) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f"nested too deeply: {text[:40]!r}...") from None


def _compile(node: ast.AST, text: str, allowed: frozenset[str]) -> Evaluator:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        # floats: 9**9**9 overflows at once instead of computing a 370-million-digit integer
        value = float(node.value)
        return lambda values: value
    if isinstance(node, ast.Name) and node.id in allowed:
        name = node.id
        return lambda values: values[name]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        op, left, right = _BINARY[type(node.op)], _compile(node.left, text, allowed), _compile(node.right, text, allowed)
        return lambda values: op(left(values), right(values))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        unary, operand = _UNARY[type(node.op)], _compile(node.operand, text, allowed)
        return lambda values: unary(operand(values))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in FUNCTIONS
        and not node.keywords
        and len(node.args) == 1
    ):
        function, argument = FUNCTIONS[node.func.id], _compile(node.args[0], text, allowed)
        return lambda values: function(argument(values))
    fragment = ast.get_source_segment(text.strip(), node) or type(node).__name__
    names = ", ".join(sorted(allowed))
    msg = (
        f"{fragment!r} is not allowed in {text!r}: use numbers, {names}, + - * / **, "
        f"and the functions {', '.join(FUNCTIONS)}"
    )
    raise ExpressionError(msg)
