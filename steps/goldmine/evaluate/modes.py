"""The limit modes as log likelihood functions of θ (G, P) → (G,), for one data set.

    rate         Poisson count only
    histo        Poisson counts in the cells of a histogram of one or two observables
    sally        ... of the estimated score t̂(x) (P dimensions, equal-expectation bins)
    sallino      ... of the 1-D projection t̂(x)·(θ − θ_score), one histogram per θ
    ratio_histo  ... of a ratio model's log r̂(x|θ, θ₁), one histogram per θ (carl's
                 histogram calibration, 1506.02169)
    ml           Σ_events log r̂(x|θ) (or log p̂) of a ratio or likelihood model + the rate

The expectations always come from the simulated events; the data set is either Asimov
data (every simulated event counted L·w(θ_true) times) or observed events (once each).
Counting modes (rate, histo, sally, sallino, ratio_histo) profile every nuisance: the shape nuisances of
the events (each cell's expectation expanded to second order in ν, exactly for the events'
morphing) and the normalisation systematics; the ml mode's kinematic term knows no ν, so
its rate term profiles the normalisation systematics only (`profiled_poisson_log_likelihood`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from goldmine.evaluate.events import SimulatedEvents
from goldmine.evaluate.histograms import Histogram, adaptive_edges, cell_indices
from goldmine.evaluate.likelihood import profiled_poisson_log_likelihood, saturated_log_likelihood

__all__ = ["DataSet", "LogLikelihood", "Summary", "histogram_of", "histogram_mode", "ml_mode", "per_theta_histogram_mode",
           "rate_mode", "sallino_mode"]

LogLikelihood = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True, eq=False)
class DataSet:
    """Events x (n, O) with counts (n,): L·w(θ_true) for Asimov data, 1 for observed events;
    ``features`` holds derived columns of the same events (e.g. the estimated score)."""

    kind: str
    observations: np.ndarray
    counts: np.ndarray
    features: dict[str, np.ndarray]

    @property
    def n_events(self) -> float:
        return float(self.counts.sum())


def _profiled(observed: np.ndarray, histogram: Histogram, thetas: np.ndarray, components: np.ndarray,
              luminosity: float, log_factors: np.ndarray) -> np.ndarray:
    """The Poisson log likelihood of the histogram's cells at θ (G,), the histogram's shape
    nuisances and the normalisation ones (log f, K) profiled."""
    thetas = np.atleast_2d(thetas)
    expected = luminosity * histogram.sigma(thetas, components)
    slopes, curvatures = histogram.nuisance_expansion(thetas, components)
    n_norm = len(log_factors)
    slopes = np.concatenate([slopes, np.broadcast_to(log_factors, (*expected.shape, n_norm))], axis=-1)
    curvatures = np.pad(curvatures, [(0, 0), (0, 0), (0, n_norm), (0, n_norm)])
    return profiled_poisson_log_likelihood(observed, expected, slopes, curvatures)


def rate_mode(simulated: SimulatedEvents, data: DataSet, luminosity: float, log_factors: np.ndarray, *,
              shape_nuisances: bool = True) -> LogLikelihood:
    """The count alone: all events in one cell, with or without their shape nuisances."""
    nuisances = (simulated.nuisance_a, simulated.nuisance_b) if shape_nuisances else (None, None)
    total = Histogram.fill((), np.zeros(len(simulated), dtype=np.intp), 1, simulated.component_weights, *nuisances)

    def log_likelihood(thetas: np.ndarray) -> np.ndarray:
        return _profiled(np.array([data.n_events]), total, thetas, simulated.components, luminosity, log_factors)

    return log_likelihood


def histogram_of(
    columns: Sequence[np.ndarray], weights: np.ndarray, simulated: SimulatedEvents,
    bins: int | Sequence[Sequence[float]], component_weights: np.ndarray | None = None,
) -> Histogram:
    """A morphing histogram of simulated events (with their shape nuisances): one value
    column per axis, adaptive edges (weighted by ``weights``) for an integer ``bins``, else
    the edges given; ``component_weights`` (n, C) in place of the events' own."""
    if isinstance(bins, int):
        edges = tuple(adaptive_edges(values, weights, bins) for values in columns)
    else:
        edges = tuple(np.asarray(e, dtype=float) for e in bins)
    indices, n_cells = cell_indices(columns, edges)
    if component_weights is not None:
        return Histogram.fill(edges, indices, n_cells, component_weights)
    return Histogram.fill(edges, indices, n_cells, simulated.component_weights, simulated.nuisance_a,
                          simulated.nuisance_b)


def _counts(histogram: Histogram, columns: Sequence[np.ndarray], counts: np.ndarray) -> np.ndarray:
    indices, n_cells = cell_indices(columns, histogram.edges)
    return np.bincount(indices, weights=counts, minlength=n_cells)


def histogram_mode(
    histogram: Histogram,
    simulated: SimulatedEvents,
    data: DataSet,
    data_columns: Sequence[np.ndarray],
    luminosity: float,
    log_factors: np.ndarray,
) -> LogLikelihood:
    observed = _counts(histogram, data_columns, data.counts)

    def log_likelihood(thetas: np.ndarray) -> np.ndarray:
        return _profiled(observed, histogram, thetas, simulated.components, luminosity, log_factors)

    return log_likelihood


#: The values of a per-θ summary: θ (P,) → its value on the simulated events (n,) and on
#: the data set's events (m,).
Summary = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def per_theta_histogram_mode(
    simulated: SimulatedEvents,
    summary: Summary,
    data: DataSet,
    binning_weights: np.ndarray,
    n_bins: int,
    luminosity: float,
    log_factors: np.ndarray,
) -> LogLikelihood:
    """For each θ, the histogram of a 1-D summary h_θ(x), binned with equal expected events
    under ``binning_weights`` (the weights at θ_true). Each θ has its own binning, so the
    Poisson term is taken against the saturated model (as a deviance: binnings with n = μ
    compare equal whatever their number of cells). The expectations come from the simulated
    events whatever h is, so the likelihood is that of the summary: exact (calibrated) however
    well or badly h was learned."""

    def one(theta: np.ndarray) -> float:
        simulated_values, data_values = summary(theta)
        histogram = histogram_of([simulated_values], binning_weights, simulated, n_bins)
        observed = _counts(histogram, [data_values], data.counts)
        profiled = _profiled(observed, histogram, theta, simulated.components, luminosity, log_factors)
        return float(profiled[0] - saturated_log_likelihood(observed))

    def log_likelihood(thetas: np.ndarray) -> np.ndarray:
        return np.array([one(theta) for theta in np.atleast_2d(thetas)])

    return log_likelihood


def sallino_mode(
    simulated: SimulatedEvents,
    simulated_score: np.ndarray,
    data: DataSet,
    data_score: np.ndarray,
    score_theta: np.ndarray,
    binning_weights: np.ndarray,
    n_bins: int,
    luminosity: float,
    log_factors: np.ndarray,
) -> LogLikelihood:
    """The per-θ histograms of h(x) = t̂(x)·(θ − θ_score) (:func:`per_theta_histogram_mode`)."""

    def projected(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Only the direction matters for the counts; at θ_score itself any direction keeps the
        # same number of cells, so every θ's deviance carries the same fluctuation penalty.
        direction = theta - score_theta
        norm = np.linalg.norm(direction)
        direction = direction / norm if norm > 0 else np.eye(len(theta))[0]
        return simulated_score @ direction, data_score @ direction

    return per_theta_histogram_mode(simulated, projected, data, binning_weights, n_bins, luminosity, log_factors)


def ml_mode(
    kinematic: Callable[[np.ndarray], np.ndarray],
    simulated: SimulatedEvents,
    data: DataSet,
    luminosity: float,
    log_factors: np.ndarray,
) -> LogLikelihood:
    """``kinematic(θ)`` = Σ_events c_e log r̂(x_e|θ) (G,) on the data set, plus the rate term
    with the normalisation nuisances profiled (the model learned no shape nuisance)."""
    rate = rate_mode(simulated, data, luminosity, log_factors, shape_nuisances=False)

    def log_likelihood(thetas: np.ndarray) -> np.ndarray:
        return kinematic(thetas) + rate(thetas)

    return log_likelihood
