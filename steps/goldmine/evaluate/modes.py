"""The limit modes as log likelihood functions of θ (G, P) → (G,), for one data set.

    rate      Poisson count only
    histo     Poisson counts in the cells of a histogram of one or two observables
    sally     ... of the estimated score t̂(x) (P dimensions, equal-expectation bins)
    sallino   ... of the 1-D projection t̂(x)·(θ − θ_score), one histogram per θ
    ml        Σ_events log r̂(x|θ) (or log p̂) of a ratio or likelihood model + the rate

The expectations always come from the simulated events; the data set is either Asimov
data (every simulated event counted L·w(θ_true) times) or observed events (once each).
Normalisation systematics are profiled (`norm_nuisance_term`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from goldmine.evaluate.events import SimulatedEvents
from goldmine.evaluate.histograms import Histogram, adaptive_edges, cell_indices, fill_cells
from goldmine.evaluate.likelihood import norm_nuisance_term, poisson_deviance, poisson_log_likelihood

__all__ = ["DataSet", "LogLikelihood", "histogram_of", "histogram_mode", "ml_mode", "rate_mode", "sallino_mode"]

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


def _rate_term(data: DataSet, expected_total: np.ndarray, log_factors: np.ndarray) -> np.ndarray:
    return norm_nuisance_term(data.n_events, expected_total, log_factors)


def rate_mode(simulated: SimulatedEvents, data: DataSet, luminosity: float, log_factors: np.ndarray) -> LogLikelihood:
    def log_likelihood(thetas: np.ndarray) -> np.ndarray:
        expected = luminosity * simulated.sigma(thetas)
        return poisson_log_likelihood([data.n_events], expected[:, np.newaxis]) + _rate_term(data, expected, log_factors)

    return log_likelihood


def histogram_of(
    columns: Sequence[np.ndarray], weights: np.ndarray, component_weights: np.ndarray, bins: int | Sequence[Sequence[float]]
) -> Histogram:
    """A morphing histogram of simulated events: one value column per axis, adaptive edges
    (weighted by ``weights``) for an integer ``bins``, else the edges given."""
    if isinstance(bins, int):
        edges = tuple(adaptive_edges(values, weights, bins) for values in columns)
    else:
        edges = tuple(np.asarray(e, dtype=float) for e in bins)
    indices, n_cells = cell_indices(columns, edges)
    return Histogram(edges, fill_cells(indices, component_weights, n_cells))


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
        expected = luminosity * histogram.sigma(thetas, simulated.components)
        return poisson_log_likelihood(observed, expected) + _rate_term(data, expected.sum(axis=1), log_factors)

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
    """For each θ, the histogram of h(x) = t̂(x)·(θ − θ_score), binned with equal expected
    events under ``binning_weights`` (the weights at θ_true). Each θ has its own binning, so
    the Poisson term is taken against the saturated model (`poisson_deviance`)."""

    def one(theta: np.ndarray) -> float:
        # Only the direction matters for the counts; at θ_score itself any direction keeps the
        # same number of cells, so every θ's deviance carries the same fluctuation penalty.
        direction = theta - score_theta
        norm = np.linalg.norm(direction)
        direction = direction / norm if norm > 0 else np.eye(len(theta))[0]
        histogram = histogram_of([simulated_score @ direction], binning_weights, simulated.component_weights, n_bins)
        observed = _counts(histogram, [data_score @ direction], data.counts)
        expected = luminosity * histogram.sigma(theta, simulated.components)
        return float(poisson_deviance(observed, expected)[0] + _rate_term(data, expected.sum(axis=1), log_factors)[0])

    def log_likelihood(thetas: np.ndarray) -> np.ndarray:
        return np.array([one(theta) for theta in np.atleast_2d(thetas)])

    return log_likelihood


def ml_mode(
    kinematic: Callable[[np.ndarray], np.ndarray],
    simulated: SimulatedEvents,
    data: DataSet,
    luminosity: float,
    log_factors: np.ndarray,
) -> LogLikelihood:
    """``kinematic(θ)`` = Σ_events c_e log r̂(x_e|θ) (G,) on the data set, plus the rate term."""

    def log_likelihood(thetas: np.ndarray) -> np.ndarray:
        return kinematic(thetas) + rate_mode(simulated, data, luminosity, log_factors)(thetas)

    return log_likelihood
