"""Parameter-point specifications: which θ a sampler draws events at.

A specification is one of: a benchmark, several benchmarks, a point, several points,
``n`` random points from per-parameter priors (flat or gaussian), or a grid. It is
resolved to an array of shape (K, P) once, with the stage's random generator.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from goldmine.setup import Parameter

__all__ = ["Prior", "ThetaSpec", "check_in_range", "resolve_thetas"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prior:
    """``flat``: uniform in [a, b]; ``gaussian``: normal with mean a and standard deviation b."""

    kind: Literal["flat", "gaussian"]
    a: float
    b: float

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        if self.kind == "flat":
            return rng.uniform(self.a, self.b, size=n)
        return rng.normal(self.a, self.b, size=n)


@dataclass(frozen=True)
class ThetaSpec:
    """``points`` (K, P) for benchmark(s) and point(s), with ``names`` for benchmarks;
    ``n`` and ``priors`` (one per parameter) for random; ``grid`` (low, high, n) per
    parameter for grid."""

    kind: Literal["benchmark", "benchmarks", "point", "points", "random", "grid"]
    points: tuple[tuple[float, ...], ...] = ()
    names: tuple[str, ...] = ()
    n: int = 0
    priors: tuple[Prior, ...] = ()
    grid: tuple[tuple[float, float, int], ...] = ()

    @property
    def is_random(self) -> bool:
        return self.kind == "random"

    def describe(self) -> str:
        if self.names:
            return f"{self.kind} {', '.join(self.names)}"
        if self.kind == "random":
            priors = ", ".join(f"{p.kind}({p.a:g}, {p.b:g})" for p in self.priors)
            return f"{self.n} random points from {priors}"
        if self.kind == "grid":
            return "grid " + " x ".join(f"[{lo:g}, {hi:g}]/{n}" for lo, hi, n in self.grid)
        return f"{self.kind} {list(self.points)}"


def resolve_thetas(spec: ThetaSpec, rng: np.random.Generator) -> np.ndarray:
    """The parameter points of ``spec``, shape (K, P)."""
    if spec.kind == "random":
        return np.stack([prior.draw(spec.n, rng) for prior in spec.priors], axis=1)
    if spec.kind == "grid":
        axes = [np.linspace(low, high, n) for low, high, n in spec.grid]
        return np.stack([axis.ravel() for axis in np.meshgrid(*axes, indexing="ij")], axis=1)
    return np.array(spec.points, dtype=float)


def check_in_range(thetas: np.ndarray, parameters: Sequence[Parameter], label: str) -> None:
    """Warn, with the distance, when points lie outside the parameter ranges, where
    the morphing basis was not chosen for and weights may be large."""
    for index, parameter in enumerate(parameters):
        low, high = parameter.range
        values = thetas[:, index]
        below, above = low - values.min(), values.max() - high
        if below > 0 or above > 0:
            side, distance, value = ("below", below, values.min()) if below >= above else ("above", above, values.max())
            log.warning(
                "%s: %d of %d points have %s outside its range [%g, %g]; the farthest, %s = %g, is %g %s it",
                label,
                int(np.sum((values < low) | (values > high))),
                len(values),
                parameter.name,
                low,
                high,
                parameter.name,
                value,
                distance,
                side,
            )
