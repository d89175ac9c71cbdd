"""Options every stage shares, declared once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["ManyValuesOption", "seed_option"]

F = TypeVar("F", bound=Callable[..., Any])


def seed_option(help_text: str) -> Callable[[F], F]:
    """``--seed N``: the stage's random seed (a non-negative integer)."""
    return click.option("--seed", type=click.IntRange(min=0), default=None, help=help_text)


class ManyValuesOption(click.Option):
    """An option that takes every following word up to the next option, so that
    ``--models a b c`` and ``--models a --models b`` both give (a, b, c)."""

    def add_to_parser(self, parser: Any, ctx: click.Context) -> None:
        super().add_to_parser(parser, ctx)
        for name in self.opts:
            option = parser._long_opt.get(name) or parser._short_opt.get(name)
            if option is None:
                continue
            original = option.process

            def process(value: Any, state: Any, original: Any = original) -> None:
                values = [value]
                while state.rargs and not state.rargs[0].startswith("-"):
                    values.append(state.rargs.pop(0))
                for item in values:
                    original(item, state)

            option.process = process
