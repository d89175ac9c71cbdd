"""Whitelisted arithmetic: what is allowed evaluates on arrays, anything else is refused."""

from __future__ import annotations

import numpy as np
import pytest

from goldmine.expressions import ExpressionError, compile_arithmetic


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("theta", [1.0, 4.0]),
        ("0.5*theta", [0.5, 2.0]),
        ("-theta**2 + 1", [0.0, -15.0]),
        ("sqrt(theta)/1000", [0.001, 0.002]),
        ("abs(-theta) * 2e-3", [0.002, 0.008]),
    ],
)
def test_allowed_expressions_evaluate_on_arrays(text, expected) -> None:
    np.testing.assert_allclose(compile_arithmetic(text, ["theta"])({"theta": np.array([1.0, 4.0])}), expected)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("__import__('os').system('true')", "__import__('os').system('true')"),
        ("theta.real", "theta.real"),
        ("lambda: 1", "lambda: 1"),
        ("phi * 2", "phi"),
        ("'a' * 3", "'a'"),
        ("sqrt(theta, 2)", "sqrt(theta, 2)"),
        ("theta if theta else 1", "theta if theta else 1"),
    ],
)
def test_anything_else_is_refused_with_its_fragment(text, fragment) -> None:
    with pytest.raises(ExpressionError, match="is not allowed") as info:
        compile_arithmetic(text, ["theta"])
    assert repr(fragment) in str(info.value)


def test_syntax_errors_give_the_column() -> None:
    with pytest.raises(ExpressionError, match=r"not a valid expression: 'theta \+' \(invalid syntax at column"):
        compile_arithmetic("theta +", ["theta"])
