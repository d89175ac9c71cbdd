"""Asymptotic limits: Poisson log likelihoods, Wilks' theorem, best fits, intervals.

log L(θ) = Σ_events log p(x|θ) + log Pois(n | L σ(θ)) up to θ-independent constants;
q(θ) = −2 [log L(θ) − log L(θ̂)] follows χ² with P degrees of freedom (Wilks), so
p(θ) = χ²_P.sf(q). Expected limits use Asimov data (the expectation at θ_true in place
of the counts), observed limits the events given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

__all__ = [
    "Limit",
    "poisson_deviance",
    "confidence_interval",
    "norm_nuisance_term",
    "poisson_log_likelihood",
    "profile_along",
    "refine_best_fit",
    "wilks",
]

#: Confidence levels of the reported regions.
LEVELS = {"68": 0.6827, "95": 0.95}


def poisson_log_likelihood(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Σ_cells [n log ν − ν] for counts n (cells,) (non-integer for Asimov data) and
    expectations ν (G, cells) → (G,). A cell with ν ≤ 0 and n > 0 gives −inf; n = 0 cells
    contribute −ν."""
    observed = np.asarray(observed, dtype=float)
    expected = np.atleast_2d(expected)
    positive = expected > 0
    log_expected = np.log(np.where(positive, expected, 1.0))
    terms = np.where(observed > 0, observed * log_expected, 0.0) - expected
    impossible = (~positive & (observed > 0)).any(axis=1)
    return np.where(impossible, -np.inf, terms.sum(axis=1))


def poisson_deviance(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Σ_cells [n log(ν/n) − ν + n] (G,): the Poisson log likelihood against the saturated
    model (ν = n), zero at a perfect fit. Unlike the plain log likelihood it does not
    depend on how finely the counts are binned when ν = n, so histograms with different
    binnings (one per θ, as in the sallino mode) can be compared."""
    observed = np.asarray(observed, dtype=float)
    saturated = np.where(observed > 0, observed * np.log(np.where(observed > 0, observed, 1.0)) - observed, 0.0)
    return poisson_log_likelihood(observed, expected) - saturated.sum()


def norm_nuisance_term(n_observed: float, expected_total: np.ndarray, log_factors: np.ndarray) -> np.ndarray:
    """max over normalisation nuisances ν of [n s − (eˢ − 1) ν_tot − |ν|²/2], s = Σ_k ν_k log f_k:
    what profiling K unit-Gaussian normalisation uncertainties adds to a Poisson log
    likelihood with n events expected as ν_tot(θ) (G,). For given s the smallest |ν|² is
    s²/λ with λ = Σ log² f_k, so one concave equation n − ν_tot eˢ − s/λ = 0 per θ remains,
    solved by Newton's method."""
    lam = float(np.sum(np.square(log_factors)))
    expected_total = np.asarray(expected_total, dtype=float)
    if lam == 0:
        return np.zeros_like(expected_total)
    s = np.zeros_like(expected_total)
    for _ in range(100):
        derivative = n_observed - expected_total * np.exp(s) - s / lam
        curvature = -expected_total * np.exp(s) - 1.0 / lam
        step = derivative / curvature
        s -= step
        if np.all(np.abs(step) < 1e-12 * (1 + np.abs(s))):
            break
    return n_observed * s - (np.exp(s) - 1.0) * expected_total - s**2 / (2 * lam)


def wilks(log_likelihood: np.ndarray, n_parameters: int) -> tuple[np.ndarray, np.ndarray]:
    """q = −2 Δlog L against the grid maximum and p = χ²_P.sf(q), both (G,)."""
    q = -2.0 * (log_likelihood - np.max(log_likelihood))
    return q, stats.chi2.sf(q, df=n_parameters)


def profile_along(q: np.ndarray, grid_shape: Sequence[int], axis: int) -> np.ndarray:
    """min of q (G,) over every grid axis but ``axis`` → (n_axis,)."""
    others = tuple(i for i in range(len(grid_shape)) if i != axis)
    return np.asarray(q).reshape(grid_shape).min(axis=others) if others else np.asarray(q)


def confidence_interval(values: np.ndarray, q_profile: np.ndarray, level: float) -> tuple[float, float]:
    """The outermost crossings of the profiled q (one dof) with χ²_1.ppf(level), found by
    interpolating √q linearly between grid points (exact where q is quadratic, as it is
    near the best fit); ±inf where the region reaches the grid's edge."""
    threshold = stats.chi2.ppf(level, df=1)
    inside = np.flatnonzero(q_profile <= threshold)
    if len(inside) == 0:
        return float("nan"), float("nan")
    first, last = inside[0], inside[-1]

    root = np.sqrt(np.maximum(q_profile, 0.0))

    def crossing(a: int, b: int) -> float:
        ra, rb = root[a], root[b]
        return float(values[a] + (np.sqrt(threshold) - ra) * (values[b] - values[a]) / (rb - ra))

    low = -np.inf if first == 0 else crossing(first - 1, first)
    high = np.inf if last == len(values) - 1 else crossing(last, last + 1)
    return low, high


def refine_best_fit(
    log_likelihood: Callable[[np.ndarray], np.ndarray], start: np.ndarray, bounds: Sequence[tuple[float, float]]
) -> tuple[np.ndarray, float]:
    """Maximise log L(θ) (a function of θ (G, P) → (G,)) from the grid's best point, within
    the grid's box (Nelder-Mead: the histogram modes are piecewise smooth in θ)."""
    lows, highs = np.array(bounds).T

    def negative(theta: np.ndarray) -> float:
        if np.any(theta < lows) or np.any(theta > highs):
            return np.inf
        return -float(log_likelihood(theta[np.newaxis, :])[0])

    scale = 0.05 * (highs - lows)
    simplex = np.vstack([start, start + np.diag(scale)])
    simplex = np.clip(simplex, lows, highs)
    result = optimize.minimize(negative, start, method="Nelder-Mead",
                               options={"initial_simplex": simplex, "xatol": 1e-4 * float(scale.max()),
                                        "fatol": 1e-6, "maxiter": 400})
    if result.fun <= negative(np.asarray(start, dtype=float)):
        return np.asarray(result.x), -float(result.fun)
    return np.asarray(start, dtype=float), -negative(np.asarray(start, dtype=float))


@dataclass(frozen=True, eq=False)
class Limit:
    """One mode's limit on the grid: log L, q and p-values (G,), the best fit (P,) by grid and
    by minimisation with its log L, and per parameter the profiled q (n_axis,) and the 68%/95%
    intervals."""

    mode: str
    kind: str  # "expected" or "observed"
    log_likelihood: np.ndarray
    q: np.ndarray
    p_values: np.ndarray
    best_fit_grid: np.ndarray
    best_fit: np.ndarray
    max_log_likelihood: float
    profiles: tuple[np.ndarray, ...]
    intervals: dict[str, list[tuple[float, float]]]
    unresolved: tuple[str, ...] = ()  # parameters whose 68% region holds no grid point


    @classmethod
    def from_grid(
        cls,
        mode: str,
        kind: str,
        log_likelihood: np.ndarray,
        grid: np.ndarray,
        axes: Sequence[np.ndarray],
        refine: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> Limit:
        n_parameters = grid.shape[1]
        shape = tuple(len(a) for a in axes)
        if not np.isfinite(np.max(log_likelihood)):
            msg = f"{mode} ({kind}): the log likelihood is -inf on the whole grid (an observed event where none is expected)"
            raise ValueError(msg)
        best_grid = grid[int(np.argmax(log_likelihood))]
        best, maximum = best_grid, float(np.max(log_likelihood))
        if refine is not None:
            bounds = [(float(a[0]), float(a[-1])) for a in axes]
            best, maximum = refine_best_fit(refine, best_grid, bounds)
        # q against the refined maximum (≥ the grid's), so a coarse grid does not shift the intervals
        q, p_values = wilks(np.append(log_likelihood, maximum), n_parameters)
        q, p_values = q[:-1], p_values[:-1]
        profiles = tuple(profile_along(q, shape, axis) for axis in range(n_parameters))
        # the best fit is a point of every profile, with q = 0
        with_best = []
        for i in range(n_parameters):
            values = np.append(axes[i], best[i])
            order = np.argsort(values, kind="stable")
            with_best.append((values[order], np.append(profiles[i], 0.0)[order]))
        intervals = {
            name: [confidence_interval(values, profile, level) for values, profile in with_best]
            for name, level in LEVELS.items()
        }
        threshold = stats.chi2.ppf(LEVELS["68"], df=1)
        unresolved = tuple(str(i) for i, profile in enumerate(profiles) if not np.any(profile <= threshold))
        return cls(mode, kind, log_likelihood, q, p_values, best_grid, np.asarray(best), maximum, profiles, intervals,
                   unresolved)
