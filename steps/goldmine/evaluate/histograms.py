"""Histograms whose contents morph: each cell holds component cross sections (C,) in pb, so
its cross section at any θ is f(θ)·cell (1907.10621 eq. 6, applied to sums of events).

Cells of a D-dimensional histogram are flattened; every axis has one extra slot for a
missing (NaN) value, so no event is lost and the cells' σ add up to the total σ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from goldmine.physics.morphing import component_values

__all__ = ["Histogram", "adaptive_edges", "cell_indices", "fill_cells", "weighted_quantiles"]


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """Quantiles of finite ``values`` (n,) under the non-negative part of ``weights`` (n,)."""
    keep = np.isfinite(values) & (weights > 0)
    order = np.argsort(values[keep], kind="stable")
    sorted_values, cumulative = values[keep][order], np.cumsum(weights[keep][order])
    if len(sorted_values) == 0:
        return np.zeros(len(quantiles))
    position = np.searchsorted(cumulative, np.asarray(quantiles) * cumulative[-1], side="left")
    return sorted_values[np.minimum(position, len(sorted_values) - 1)]


def adaptive_edges(values: np.ndarray, weights: np.ndarray, n_bins: int) -> np.ndarray:
    """n_bins + 1 edges with (about) equal weight per bin; the outer edges are the extreme
    values (for drawing; counting puts anything beyond them into the outer bins)."""
    inner = weighted_quantiles(values, weights, np.arange(1, n_bins) / n_bins)
    finite = values[np.isfinite(values)]
    low, high = (finite.min(), finite.max()) if len(finite) else (0.0, 1.0)
    edges = np.concatenate([[low], inner, [high]])
    return np.maximum.accumulate(edges)


def cell_indices(columns: Sequence[np.ndarray], edges: Sequence[np.ndarray]) -> tuple[np.ndarray, int]:
    """Flat cell index (n,) of every event and the number of cells, for one value column per
    axis. Values below the first inner edge go to the first bin, above the last to the last;
    NaN goes to the axis' missing slot."""
    shape, per_axis = [], []
    for values, axis_edges in zip(columns, edges):
        n_bins = len(axis_edges) - 1
        index = np.searchsorted(axis_edges[1:-1], values, side="right")
        per_axis.append(np.where(np.isnan(values), n_bins, index))
        shape.append(n_bins + 1)
    return np.ravel_multi_index(per_axis, shape), int(np.prod(shape))


def fill_cells(indices: np.ndarray, values: np.ndarray, n_cells: int) -> np.ndarray:
    """Σ of ``values`` (n, K) per cell → (n_cells, K)."""
    return np.stack([np.bincount(indices, weights=column, minlength=n_cells) for column in values.T], axis=1)


@dataclass(frozen=True, eq=False)
class Histogram:
    """``edges``: one array per axis; ``cells`` (n_cells, C) component cross sections in pb;
    with K shape nuisances, ``nuisance_cells``: Σ g a (n_cells, C, K) and Σ g (a aᵀ + 2 diag b)
    (n_cells, C, K, K) over each cell's events (goldmine.physics.nuisance)."""

    edges: tuple[np.ndarray, ...]
    cells: np.ndarray
    nuisance_cells: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def fill(cls, edges: tuple[np.ndarray, ...], indices: np.ndarray, n_cells: int, component_weights: np.ndarray,
             nuisance_a: np.ndarray | None = None, nuisance_b: np.ndarray | None = None) -> Histogram:
        """The histogram of events in cells ``indices`` (n,) with component weights (n, C) and,
        where given, the nuisance morphing's a, b (n, K)."""
        cells = fill_cells(indices, component_weights, n_cells)
        if nuisance_a is None or nuisance_a.shape[1] == 0:
            return cls(edges, cells)
        n, n_components = component_weights.shape
        k = nuisance_a.shape[1]
        second = np.einsum("nk,nl->nkl", nuisance_a, nuisance_a) + 2 * np.einsum("nk,kl->nkl", nuisance_b, np.eye(k))
        first_cells = fill_cells(indices, np.einsum("nc,nk->nck", component_weights, nuisance_a).reshape(n, -1),
                                 n_cells).reshape(n_cells, n_components, k)
        second_cells = fill_cells(indices, np.einsum("nc,nkl->nckl", component_weights, second).reshape(n, -1),
                                  n_cells).reshape(n_cells, n_components, k, k)
        return cls(edges, cells, (first_cells, second_cells))

    def nuisance_expansion(self, thetas: np.ndarray, components: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per θ (G, P) and cell, the first and second derivatives in ν at ν = 0 of
        log σ_cell(θ, ν): slopes (G, n_cells, K) and curvatures (G, n_cells, K, K), exact for
        the events' nuisance morphing; 0 in empty cells. (K = 0 without shape nuisances.)"""
        values = component_values(np.atleast_2d(thetas), components)  # (G, C)
        if self.nuisance_cells is None:
            return np.zeros((len(values), len(self.cells), 0)), np.zeros((len(values), len(self.cells), 0, 0))
        first_cells, second_cells = self.nuisance_cells
        sigma = values @ self.cells.T
        scale = np.where(sigma > 0, 1.0 / np.where(sigma > 0, sigma, 1.0), 0.0)
        slopes = np.einsum("gc,bck->gbk", values, first_cells) * scale[..., np.newaxis]
        second = np.einsum("gc,bckl->gbkl", values, second_cells) * scale[..., np.newaxis, np.newaxis]
        return slopes, second - np.einsum("gbk,gbl->gbkl", slopes, slopes)

    @property
    def shape(self) -> tuple[int, ...]:
        """Cells per axis, the missing slot included."""
        return tuple(len(e) for e in self.edges)

    def sigma(self, theta: np.ndarray, components: np.ndarray) -> np.ndarray:
        """σ per cell at θ (G, P) → (G, n_cells) in pb."""
        return component_values(np.atleast_2d(theta), components) @ self.cells.T
