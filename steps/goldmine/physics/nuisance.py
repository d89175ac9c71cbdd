"""Nuisance morphing: how an event's weight moves with shape nuisances ν (arXiv:1907.10621
sec. IV.C.1, madminer 0.9.6's ``NuisanceMorpher``).

Each nuisance ν_k has the event's weight at ν_k = +1 (and optionally −1) beside its
nominal weight w₀, all at the reference θ. Between and beyond them

    w(ν) / w₀ = exp(Σ_k a_k ν_k + b_k ν_k²)

    with both variations:  a = ½ log(w₊ / w₋),  b = ½ log(w₊ w₋ / w₀²)
    with w₊ alone:         a = log(w₊ / w₀),    b = 0

so ∂ log w / ∂ν_k = a_k at ν = 0. The ratio is taken to hold at every θ (a scale or PDF
variation changes the initial state's flux, not the matrix element's θ dependence).
As madminer does, a log ratio that is not finite (a zero weight on either side) counts as no
variation (0), and a and b are clipped to [−10, 10].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from goldmine.setup import Setup

__all__ = ["NuisanceColumns", "nuisance_factors", "nuisance_log_ratios"]

#: madminer's bound on |a| and |b| (``sanitize_array(min_value=-10, max_value=10)``)
LOG_RATIO_BOUND = 10.0


@dataclass(frozen=True)
class NuisanceColumns:
    """Weight columns of K shape nuisances: nominal (the reference benchmark), ν = +1 (K,)
    and ν = −1 (K,; −1 where there is none), and the nuisances' names (K,)."""

    names: tuple[str, ...]
    reference: int
    positive: np.ndarray
    negative: np.ndarray

    @classmethod
    def of(cls, setup: Setup) -> NuisanceColumns:
        nuisances = setup.nuisance_parameters
        return cls(tuple(n.name for n in nuisances), setup.reference_index,
                   np.array([setup.benchmark_index(n.positive) for n in nuisances], dtype=int),
                   np.array([-1 if n.negative is None else setup.benchmark_index(n.negative) for n in nuisances],
                            dtype=int))

    def __len__(self) -> int:
        return len(self.names)


def nuisance_log_ratios(weights: np.ndarray, columns: NuisanceColumns) -> tuple[np.ndarray, np.ndarray]:
    """a and b (n, K) of events with benchmark weights (n, B)."""
    nominal = weights[:, [columns.reference]]
    positive = weights[:, columns.positive]
    negative = np.where(columns.negative >= 0, weights[:, np.maximum(columns.negative, 0)], np.nan)
    two_sided = columns.negative >= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(two_sided, 0.5 * np.log(positive / negative), np.log(positive / nominal))
        b = np.where(two_sided, 0.5 * np.log(positive * negative / nominal**2), 0.0)
    return _bounded(a), _bounded(b)


def nuisance_factors(a: np.ndarray, b: np.ndarray, nu: Sequence[float] | np.ndarray) -> np.ndarray:
    """w(ν) / w₀ (n,) at one ν (K,) for a, b (n, K)."""
    nu = np.asarray(nu, dtype=float)
    return np.exp(a @ nu + b @ nu**2)


def _bounded(log_ratios: np.ndarray) -> np.ndarray:
    return np.clip(np.nan_to_num(log_ratios, nan=0.0, posinf=0.0, neginf=0.0), -LOG_RATIO_BOUND, LOG_RATIO_BOUND)
