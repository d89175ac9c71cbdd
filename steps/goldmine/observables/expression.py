"""Observable, cut and efficiency expressions: a whitelisted, typed tree over event objects.

A config string such as ``(l[0] + met).mt`` or ``a[0].pt > 40 and len(l) >= 1`` is
parsed with :mod:`ast` and translated node by node into the small tree below; any
Python construct, name, attribute or function outside the tables is rejected with its
position in the string. Nothing is ever passed to ``eval``/``exec``.

The tree is typed. Each node has a ``kind``:

- ``collection``: a pT-ordered list of momenta per event (``e mu l a j b p_truth``);
- ``momentum``: one four-momentum per event, possibly missing (``met``, ``visible``,
  ``j[0]``, ``l[0] + met``);
- ``number`` and ``boolean``: one value per event, possibly missing.

so that ``j.pt`` or ``met[0]`` fail when the config is read, not on the first event.
Evaluation runs on whole awkward arrays (see :mod:`goldmine.observables.evaluate`);
an index past an event's multiplicity gives a missing value that propagates.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from goldmine.errors import ConfigError, GoldmineError
from goldmine.expressions import MAX_LENGTH

__all__ = [
    "ATTRIBUTES",
    "COLLECTIONS",
    "FUNCTIONS",
    "METHODS",
    "MOMENTA",
    "ExpressionError",
    "Node",
    "parse_checked",
    "parse_expression",
]

Kind = Literal["collection", "momentum", "number", "boolean"]

#: Object names: lists of momenta per event, and single momenta per event.
COLLECTIONS = frozenset({"e", "mu", "l", "a", "j", "b", "p_truth"})
MOMENTA = frozenset({"met", "visible"})
CONSTANTS = {"pi": math.pi}

#: Attributes of a momentum, all numbers (vector's Momentum4D names; ``charge`` is ours).
ATTRIBUTES = frozenset({
    "pt", "eta", "phi", "m", "mass", "e", "energy", "px", "py", "pz", "p", "mt", "mt2", "et",
    "rapidity", "theta", "costheta", "beta", "gamma", "charge",
})
#: Methods of a momentum taking one momentum, with the kind they return.
METHODS: dict[str, Kind] = {
    "deltaR": "number",
    "deltaR2": "number",
    "deltaphi": "number",
    "deltaeta": "number",
    "deltaRapidityPhi": "number",
    "deltaangle": "number",
    "dot": "number",
    "boost_p4": "momentum",
    "boostCM_of_p4": "momentum",
}
#: Functions: name -> (argument kinds, result kind).
FUNCTIONS: dict[str, tuple[tuple[Kind, ...], Kind]] = {
    **{name: (("number",), "number") for name in (
        "abs", "sqrt", "exp", "log", "log10", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
        "sinh", "cosh", "tanh")},
    "arctan2": (("number", "number"), "number"),
    "min": (("number", "number"), "number"),
    "max": (("number", "number"), "number"),
    "len": (("collection",), "number"),
    "ht": (("collection",), "number"),
    "sum": (("collection",), "momentum"),
}

_ARITHMETIC = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.Mod: "%"}
_COMPARISON = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


class ExpressionError(GoldmineError, ValueError):
    """An expression is not allowed; the message shows the string with a caret under
    the offending position."""

    def __init__(self, text: str, column: int, message: str) -> None:
        self.text, self.column = text, column
        super().__init__(f"{message} at position {column} of {text!r}\n    {text}\n    {' ' * column}^")


@dataclass(frozen=True)
class Node:
    """One node of an expression. ``op`` names what it does (see ``_translate``);
    ``value`` holds the number, object, attribute, method or function name, or index."""

    op: str
    kind: Kind
    value: object = None
    children: tuple[Node, ...] = ()

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


def parse_expression(text: str) -> Node:
    """Parse ``text`` into a typed tree, or raise :class:`ExpressionError`."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(str(text), 0, "empty expression")
    stripped = text.strip()
    if len(stripped) > MAX_LENGTH:
        raise ExpressionError(stripped[:40] + "...", 0, f"longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(stripped, mode="eval")
        return _Translator(stripped).translate(tree.body)
    except SyntaxError as err:
        column = err.offset - 1 if err.offset else len(stripped)  # offset 0: the text ended too early
        detail = "" if err.msg == "invalid syntax" else f": {err.msg}"
        raise ExpressionError(stripped, column, f"invalid syntax{detail}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(stripped[:40] + "...", 0, "nested too deeply") from None


class _Translator:
    def __init__(self, text: str) -> None:
        self.text = text

    def fail(self, node: ast.AST, message: str) -> ExpressionError:
        return ExpressionError(self.text, getattr(node, "col_offset", 0), message)

    def translate(self, node: ast.AST) -> Node:
        handler = getattr(self, f"_{type(node).__name__}", None)
        if handler is None:
            raise self.fail(node, f"{type(node).__name__.lower()} is not allowed")
        return handler(node)

    def expect(self, node: ast.AST, kinds: tuple[Kind, ...], what: str) -> Node:
        result = self.translate(node)
        if result.kind not in kinds:
            raise self.fail(node, f"{what} must be a {' or '.join(kinds)}, not a {result.kind}")
        return result

    def _Constant(self, node: ast.Constant) -> Node:
        if type(node.value) not in (int, float):
            raise self.fail(node, f"constant {node.value!r} is not allowed (numbers only)")
        return Node("number", "number", float(node.value))

    def _Name(self, node: ast.Name) -> Node:
        if node.id in COLLECTIONS:
            return Node("object", "collection", node.id)
        if node.id in MOMENTA:
            return Node("object", "momentum", node.id)
        if node.id in CONSTANTS:
            return Node("number", "number", CONSTANTS[node.id])
        known = sorted(COLLECTIONS | MOMENTA | set(CONSTANTS))
        raise self.fail(node, f"unknown name {node.id!r} (known: {', '.join(known)})")

    def _Subscript(self, node: ast.Subscript) -> Node:
        collection = self.expect(node.value, ("collection",), "an indexed object")
        index = node.slice
        if not (isinstance(index, ast.Constant) and type(index.value) is int and index.value >= 0):
            raise self.fail(index, "an index must be a non-negative integer")
        return Node("item", "momentum", index.value, (collection,))

    def _Attribute(self, node: ast.Attribute) -> Node:
        target = self.expect(node.value, ("momentum",), f"the object of .{node.attr}")
        if node.attr not in ATTRIBUTES:
            raise self.fail(node, f"unknown attribute {node.attr!r} (known: {', '.join(sorted(ATTRIBUTES))})")
        return Node("attribute", "number", node.attr, (target,))

    def _Call(self, node: ast.Call) -> Node:
        if node.keywords:
            raise self.fail(node, "keyword arguments are not allowed")
        if isinstance(node.func, ast.Attribute):
            return self._method(node, node.func)
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else type(node.func).__name__.lower()
            raise self.fail(node, f"unknown function {name!r} (known: {', '.join(sorted(FUNCTIONS))})")
        kinds, result = FUNCTIONS[node.func.id]
        if len(node.args) != len(kinds):
            raise self.fail(node, f"{node.func.id}() takes {len(kinds)} argument(s), got {len(node.args)}")
        numeric = ("number", "boolean")
        arguments = tuple(
            self.expect(arg, numeric if kind == "number" else (kind,), f"the argument of {node.func.id}()")
            for arg, kind in zip(node.args, kinds)
        )
        return Node("function", result, node.func.id, arguments)

    def _method(self, node: ast.Call, func: ast.Attribute) -> Node:
        if func.attr not in METHODS:
            raise self.fail(func, f"unknown method {func.attr!r} (known: {', '.join(sorted(METHODS))})")
        target = self.expect(func.value, ("momentum",), f"the object of .{func.attr}()")
        if len(node.args) != 1:
            raise self.fail(node, f".{func.attr}() takes one momentum, got {len(node.args)} arguments")
        other = self.expect(node.args[0], ("momentum",), f"the argument of .{func.attr}()")
        return Node("method", METHODS[func.attr], func.attr, (target, other))

    def _BinOp(self, node: ast.BinOp) -> Node:
        symbol = _ARITHMETIC.get(type(node.op))
        if symbol is None:
            raise self.fail(node, f"operator {type(node.op).__name__} is not allowed")
        left, right = self.translate(node.left), self.translate(node.right)
        if left.kind == right.kind == "momentum" and symbol in "+-":
            return Node("arithmetic", "momentum", symbol, (left, right))
        numeric = ("number", "boolean")
        if left.kind in numeric and right.kind in numeric:
            return Node("arithmetic", "number", symbol, (left, right))
        raise self.fail(node, f"cannot apply {symbol} to a {left.kind} and a {right.kind}")

    def _UnaryOp(self, node: ast.UnaryOp) -> Node:
        if isinstance(node.op, ast.Not):
            return Node("not", "boolean", None, (self.expect(node.operand, ("boolean",), "the operand of not"),))
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.expect(node.operand, ("number", "boolean"), "a signed value")
            return Node("negate", "number", None, (operand,)) if isinstance(node.op, ast.USub) else operand
        raise self.fail(node, f"operator {type(node.op).__name__} is not allowed")

    def _Compare(self, node: ast.Compare) -> Node:
        symbols = []
        for op in node.ops:
            if type(op) not in _COMPARISON:
                raise self.fail(node, f"comparison {type(op).__name__} is not allowed")
            symbols.append(_COMPARISON[type(op)])
        operands = tuple(
            self.expect(item, ("number", "boolean"), "a compared value") for item in (node.left, *node.comparators)
        )
        return Node("compare", "boolean", tuple(symbols), operands)

    def _BoolOp(self, node: ast.BoolOp) -> Node:
        word = "and" if isinstance(node.op, ast.And) else "or"
        operands = tuple(self.expect(item, ("boolean",), f"an operand of {word}") for item in node.values)
        return Node(word, "boolean", None, operands)


def parse_checked(text: str, key: str, kinds: tuple[Kind, ...]) -> Node:
    """Parse ``text`` for the config entry ``key``; its value per event must be one of ``kinds``."""
    try:
        node = parse_expression(text)
    except ExpressionError as err:
        raise ConfigError(key, str(err)) from None
    if node.kind not in kinds:
        raise ConfigError(key, f"{text!r} gives a {node.kind} per event; expected a {' or '.join(kinds)}")
    return node
