"""Param-card values of a benchmark: each parameter through its transform into its LHA entry."""

from __future__ import annotations

from dataclasses import dataclass

from goldmine.expressions import compile_arithmetic
from goldmine.setup import Setup

__all__ = ["LHAValue", "benchmark_card_values"]


@dataclass(frozen=True)
class LHAValue:
    """The value of the param-card entry ``block`` ``lha_id`` (block in lower case)."""

    block: str
    lha_id: int
    value: float


def benchmark_card_values(setup: Setup, benchmark: str) -> tuple[LHAValue, ...]:
    """The param-card entries that put the model at ``benchmark`` (in parameter order)."""
    values = setup.benchmarks[setup.benchmark_index(benchmark)].values
    entries = []
    for parameter, theta in zip(setup.parameters, values, strict=True):
        value = theta if parameter.transform is None else float(compile_arithmetic(parameter.transform, ["theta"])({"theta": theta}))
        entries.append(LHAValue(parameter.lha_block.lower(), int(parameter.lha_id), float(value)))
    return tuple(entries)
