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
    "poisson_log_likelihood",
    "profiled_poisson_log_likelihood",
    "profile_along",
    "refine_best_fit",
    "saturated_log_likelihood",
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
    return poisson_log_likelihood(observed, expected) - saturated_log_likelihood(observed)


def saturated_log_likelihood(observed: np.ndarray) -> float:
    """Σ_cells [n log n − n]: the Poisson log likelihood of the saturated model (ν = n)."""
    observed = np.asarray(observed, dtype=float)
    return float(np.where(observed > 0, observed * np.log(np.where(observed > 0, observed, 1.0)) - observed, 0.0).sum())


def profiled_poisson_log_likelihood(observed: np.ndarray, expected: np.ndarray, slopes: np.ndarray,
                                    curvatures: np.ndarray) -> np.ndarray:
    """max over K unit-Gaussian nuisances ν of Σ_c [n_c log μ_c(ν) − μ_c(ν)] − |ν|²/2 (G,),
    where log μ_c(ν) = log μ_c + s_c·ν + ½ νᵀ C_c ν: counts n (cells,), expectations μ (G,
    cells) at ν = 0, slopes s (G, cells, K) and curvatures C (G, cells, K, K) of log μ_c.

    A normalisation nuisance has s = log f in every cell and C = 0; a shape nuisance's s and C
    are the exact derivatives of its per-event morphing (Histogram.nuisance_expansion). Solved
    per θ by Newton's method on the concave problem (Fisher scoring where the Hessian is not
    negative definite), with step halving; without nuisances it is the plain Poisson term."""
    observed = np.asarray(observed, dtype=float)
    expected = np.atleast_2d(expected)
    n_grid, n_nuisances = len(expected), slopes.shape[-1]
    if n_nuisances == 0:
        return poisson_log_likelihood(observed, expected)
    nu = np.zeros((n_grid, n_nuisances))

    def at(nu: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        derivative = slopes + np.einsum("gckl,gl->gck", curvatures, nu)  # ∂ log μ_c / ∂ν
        exponent = np.einsum("gck,gk->gc", slopes, nu) + 0.5 * np.einsum("gk,gckl,gl->gc", nu, curvatures, nu)
        mu = expected * np.exp(exponent)
        return mu, derivative, poisson_log_likelihood(observed, mu) - 0.5 * np.sum(nu**2, axis=1)

    mu, derivative, value = at(nu)
    for _ in range(100):
        residual = observed - mu
        gradient = np.einsum("gc,gck->gk", residual, derivative) - nu
        fisher = np.einsum("gc,gck,gcl->gkl", mu, derivative, derivative) + np.eye(n_nuisances)
        hessian = fisher - np.einsum("gc,gckl->gkl", residual, curvatures)  # minus the Hessian
        definite = np.all(np.linalg.eigvalsh(hessian) > 0, axis=1)
        step = np.linalg.solve(np.where(definite[:, None, None], hessian, fisher), gradient[..., np.newaxis])[..., 0]
        length = np.ones(n_grid)
        for _ in range(40):
            trial = at(nu + length[:, None] * step)
            worse = ~(trial[2] >= value - 1e-12 * np.abs(value))
            if not worse.any():
                break
            length = np.where(worse, length / 2, length)
        nu = nu + length[:, None] * step
        mu, derivative, value = at(nu)
        if np.all(np.abs(length[:, None] * step) < 1e-10 * (1 + np.abs(nu))):
            break
    return value


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
