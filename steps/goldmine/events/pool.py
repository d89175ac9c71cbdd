"""The events of one partition, streamed in chunks as component weights.

With morphing, an event's weight at any θ is dσ(z_i|θ) = Σ_c f_c(θ) g_ic, where
g_i = M · w_i[:C] are its component weights (pb) from its basis-benchmark weights w_i
and the morphing matrix M (1907.10621 eq. 6), times its mixture factor (the share of its
sampling benchmark, goldmine.io.samples, or the balance heuristic's factor:
goldmine.events.mixture), so that Σ_i g_i estimates σ over the whole file. Everything
the samplers need, per event, is its observations x_i, g_i and its sampling benchmark,
and with shape nuisances the log ratios a, b of its weight's nuisance morphing
(goldmine.physics.nuisance). A pool of the signal alone (``processes = "signal"``) gives
the background's events the factor 0: every sum then runs over the signal, σ(θ) is the
signal's, and no sampler draws a background event.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from goldmine.errors import InputFileError
from goldmine.events.mixture import MIXTURES, balance_factors
from goldmine.events.partitions import Partition
from goldmine.io.samples import check_finite_weights, iter_samples, mixture_factors, sampling_shares
from goldmine.physics.morphing import Morpher
from goldmine.physics.nuisance import NuisanceColumns, nuisance_log_ratios

__all__ = ["PROCESSES", "EventChunk", "EventPool", "PoolStatistics"]

#: Which events a pool holds: the signal and the backgrounds, or the signal alone.
PROCESSES = ("all", "signal")


@dataclass(frozen=True, eq=False)
class EventChunk:
    """Events [start, start + n) of the file: observations (n, O), component weights
    g (n, C) in pb (partition-scaled, mixture factors applied), sampling benchmark
    indices (n,), -1 for background, the mixture factors (n,) applied, each event's
    background process (n,), -1 for signal (goldmine.io.samples.background_processes), and
    the nuisance morphing's a and b (n, K) of K shape nuisances; where the file has true
    weights (goldmine.io.samples), their component weights (n, C) likewise."""

    start: int
    observations: np.ndarray
    component_weights: np.ndarray
    sampling_benchmarks: np.ndarray
    mixture_factors: np.ndarray
    background_processes: np.ndarray
    nuisance_a: np.ndarray
    nuisance_b: np.ndarray
    true_component_weights: np.ndarray | None = None

    @property
    def held(self) -> np.ndarray:
        """Which of the chunk's events (n,) the pool holds: those with a mixture factor (a pool
        of the signal alone gives the background's events none)."""
        return self.mixture_factors != 0


@dataclass(frozen=True, eq=False)
class PoolStatistics:
    """Sums over the partition: the events the pool holds, ``sigma_components`` Σ_i g_i (C,)
    in pb, so that σ(θ) = f(θ)·Σ_i g_i, the event count per sampling benchmark (B,), and with K shape
    nuisances ``nuisance_sigma_components`` Σ_i g_i a_i (C, K)."""

    n_events: int
    sigma_components: np.ndarray
    events_per_sampling_benchmark: np.ndarray
    nuisance_sigma_components: np.ndarray


@dataclass(frozen=True)
class EventPool:
    """A partition of an event file, read through a morpher (and the weight columns of its
    shape nuisances), its samples weighted together by ``mixture`` (goldmine.events.mixture)."""

    path: Path
    partition: Partition
    morpher: Morpher
    n_benchmarks: int
    chunk_size: int = 50_000
    nuisances: NuisanceColumns | None = None
    mixture: str = "shares"
    processes: str = "all"

    def __post_init__(self) -> None:
        if self.mixture not in MIXTURES:
            raise ValueError(f"mixture must be one of {MIXTURES}, got {self.mixture!r}")
        if self.processes not in PROCESSES:
            raise ValueError(f"processes must be one of {PROCESSES}, got {self.processes!r}")

    @cached_property
    def sampling_shares(self) -> np.ndarray:
        """n_b / N_signal (B,) of the whole file."""
        return sampling_shares(self.path, self.n_benchmarks)

    @cached_property
    def benchmark_cross_sections(self) -> np.ndarray:
        """σ(θ_b) (B,) in pb of the whole file's signal events, weighted by their shares: the
        normalisations of the balance heuristic's densities."""
        sigma = np.zeros(self.n_benchmarks)
        for chunk in iter_samples(self.path, chunk_size=max(self.chunk_size, 100_000), read_observations=False):
            check_finite_weights(chunk.weights, chunk.start, self.path)
            signal = chunk.sampling_benchmarks >= 0
            factors = self._mixture_factors(chunk.start, chunk.sampling_benchmarks)
            sigma += factors[signal] @ chunk.weights[signal, : self.n_benchmarks]
        return sigma

    def chunks(self, *, observations: bool = True) -> Iterator[EventChunk]:
        """The partition chunk by chunk; without ``observations`` they are not read."""
        n_basis = self.morpher.matrix.shape[1]
        to_components = self.morpher.matrix.T * self.partition.weight_scale  # (B_basis, C)
        for chunk in iter_samples(
            self.path,
            chunk_size=self.chunk_size,
            start=self.partition.start,
            stop=self.partition.stop,
            read_observations=observations,
        ):
            check_finite_weights(chunk.weights, chunk.start, self.path)
            factors = self._factors(chunk.start, chunk.weights, chunk.sampling_benchmarks)
            component_weights = chunk.weights[:, :n_basis] @ to_components
            component_weights *= factors[:, np.newaxis]
            true_component_weights = None
            if chunk.true_weights is not None:
                check_finite_weights(chunk.true_weights, chunk.start, self.path)
                # the balance heuristic of the true weights uses their own densities, functions of x
                # alone: the joint ones' factors, depending on z, would bias the sums of true weights
                true_factors = self._factors(chunk.start, chunk.true_weights, chunk.sampling_benchmarks)
                true_component_weights = (chunk.true_weights[:, :n_basis] @ to_components) * true_factors[:, np.newaxis]
            if self.nuisances is None:
                a = b = np.empty((len(component_weights), 0))
            else:
                a, b = nuisance_log_ratios(chunk.weights, self.nuisances)
            yield EventChunk(chunk.start, chunk.observations, component_weights, chunk.sampling_benchmarks, factors,
                             chunk.background_processes, a, b, true_component_weights)

    def _factors(self, start: int, weights: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Each event's mixture factor (n,) from its weights (n, ≥B) by ``mixture``; 0 for
        the background's events in a pool of the signal alone."""
        factors = self._mixture_factors(start, ids)
        if self.mixture == "balance":
            factors = balance_factors(weights, ids, self.sampling_shares, self.benchmark_cross_sections)
        return np.where(ids < 0, 0.0, factors) if self.processes == "signal" else factors

    def _mixture_factors(self, start: int, ids: np.ndarray) -> np.ndarray:
        shares = self.sampling_shares
        unknown = (ids >= len(shares)) | ((ids >= 0) & (shares[np.clip(ids, 0, len(shares) - 1)] == 0))
        if unknown.any():
            row = int(np.argmax(unknown))
            msg = (f"{self.path}: event {start + row} was sampled at benchmark {ids[row]}, where "
                   f"sample_summary/signal_events counts no events ({self.sampling_shares.tolist()} as shares)")
            raise InputFileError(msg)
        return mixture_factors(ids, shares)

    def statistics(self) -> PoolStatistics:
        """One pass over the partition."""
        sigma = np.zeros(self.morpher.n_components)
        nuisance_sigma = np.zeros((self.morpher.n_components, len(self.nuisances or ())))
        per_benchmark = np.zeros(self.n_benchmarks, dtype=np.int64)
        n_events = 0
        for chunk in self.chunks(observations=False):
            n_events += int(np.count_nonzero(chunk.held))
            sigma += chunk.component_weights.sum(axis=0)
            nuisance_sigma += chunk.component_weights.T @ chunk.nuisance_a
            signal = chunk.sampling_benchmarks >= 0
            per_benchmark += np.bincount(chunk.sampling_benchmarks[signal], minlength=self.n_benchmarks)
        return PoolStatistics(n_events, sigma, per_benchmark, nuisance_sigma)

