"""Options every stage shares, declared once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["seed_option"]

F = TypeVar("F", bound=Callable[..., Any])


def seed_option(help_text: str) -> Callable[[F], F]:
    """``--seed N``: the stage's random seed (a non-negative integer)."""
    return click.option("--seed", type=click.IntRange(min=0), default=None, help=help_text)
