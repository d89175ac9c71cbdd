"""The simulated events an evaluation predicts with, and the observed events it fits.

Simulated events are the test partition of the combined file (the events no model was
trained on), or all events for analyses without models, held as observations x (n, O)
and component weights g (n, C) in pb (partition-scaled, each sampling benchmark's events
weighed by its share as MadMiner reads them: goldmine.io.samples): an event's weight at θ
is f(θ)·g, the cross section σ(θ) = f(θ)·Σ g. With K shape nuisances, also the nuisance
morphing's a, b (n, K) (goldmine.physics.nuisance): w(θ, ν) = w(θ)·exp(a·ν + b·ν²).
Memory: n × (O + C + 2K) floats.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np

from goldmine.errors import GoldmineError, InputFileError
from goldmine.events.partitions import Partition, split_events
from goldmine.events.pool import EventPool
from goldmine.io.samples import background_processes, count_samples, iter_samples
from goldmine.io.setup_file import read_event_setup
from goldmine.physics.morphing import component_gradients, component_values
from goldmine.physics.nuisance import NuisanceColumns
from goldmine.setup import NuisanceParameter, Setup

__all__ = ["SimulatedEvents", "load_observed", "load_simulated"]


@dataclass(frozen=True, eq=False)
class SimulatedEvents:
    """x (n, O), component weights g (n, C) in pb, morphing components (C, P), each event's
    background process (n,): an index into ``process_names``, −1 for signal, and the
    nuisance morphing's a, b (n, K) of the shape nuisances ``nuisances`` (K,); where the file
    has them, the component weights of the true weights (n, C), the latent variables summed
    over (:meth:`with_true_weights`)."""

    path: Path
    partition: Partition
    observations: np.ndarray
    component_weights: np.ndarray
    components: np.ndarray
    background_processes: np.ndarray
    process_names: tuple[str, ...]
    nuisances: tuple[NuisanceParameter, ...]
    nuisance_a: np.ndarray
    nuisance_b: np.ndarray
    true_component_weights: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.observations)

    @cached_property
    def observation_groups(self) -> tuple[np.ndarray, int]:
        """Each event's group of identical observations (n,) and the number of groups: events
        that the observables cannot tell apart are one observation."""
        _, groups = np.unique(self.observations, axis=0, return_inverse=True)
        return groups.reshape(-1), int(groups.max(initial=-1)) + 1

    @property
    def background(self) -> np.ndarray:
        """Which events are background (n,) (sampling benchmark −1)."""
        return self.background_processes >= 0

    def per_process(self, weights: np.ndarray) -> np.ndarray:
        """``weights`` (n,) of the background events in their process's column (n, P), 0 elsewhere."""
        columns = np.arange(len(self.process_names))
        return np.where(self.background_processes[:, np.newaxis] == columns, weights[:, np.newaxis], 0.0)

    def weights(self, theta: np.ndarray) -> np.ndarray:
        """w_e(θ) (n,) in pb at one θ (P,)."""
        return self.component_weights @ component_values(np.atleast_2d(theta), self.components)[0]

    def weight_gradients(self, theta: np.ndarray) -> np.ndarray:
        """∂w_e/∂θ (n, P) at one θ (P,)."""
        return self.component_weights @ component_gradients(np.atleast_2d(theta), self.components)[0].T

    def nuisance_gradients(self, theta: np.ndarray) -> np.ndarray:
        """∂w_e/∂ν (n, K) at θ (P,) and ν = 0: w_e(θ)·a_e."""
        return self.weights(theta)[:, np.newaxis] * self.nuisance_a

    def sigma(self, thetas: np.ndarray) -> np.ndarray:
        """σ(θ) (G,) in pb for θ (G, P)."""
        return component_values(np.atleast_2d(thetas), self.components) @ self.component_weights.sum(axis=0)

    @property
    def has_truth(self) -> bool:
        """Whether the events carry true weights: their t(x|θ) and r(x|θ₀, θ₁) are known."""
        return self.true_component_weights is not None

    def with_true_weights(self) -> SimulatedEvents:
        """The same events weighted with their true weights: every weight-based quantity
        (joint terms, truth-level information) then is the true one of x."""
        if self.true_component_weights is None:
            raise GoldmineError(f"{self.path}: the events carry no true weights (samples/true_weights)")
        return dataclasses.replace(self, component_weights=self.true_component_weights)

    def without_nuisances(self) -> SimulatedEvents:
        """The same events with no shape nuisance."""
        empty = np.empty((len(self), 0))
        return dataclasses.replace(self, nuisances=(), nuisance_a=empty, nuisance_b=empty)

    def signal_only(self) -> SimulatedEvents:
        """The same events without the background's."""
        keep = ~self.background
        return dataclasses.replace(self, observations=self.observations[keep],
                                   component_weights=self.component_weights[keep],
                                   background_processes=self.background_processes[keep],
                                   nuisance_a=self.nuisance_a[keep], nuisance_b=self.nuisance_b[keep],
                                   true_component_weights=None if self.true_component_weights is None
                                   else self.true_component_weights[keep])


def load_simulated(
    path: Path,
    setup: Setup,
    setup_path: Path,
    *,
    events: Literal["test", "all"],
    validation_fraction: float,
    test_fraction: float,
    mixture: str = "shares",
) -> SimulatedEvents:
    """Read the test partition (as ``augment`` cut it, from the same fractions) or all events,
    the samples weighted together by ``mixture`` (goldmine.events.mixture)."""
    if setup.morpher is None:
        raise GoldmineError("evaluation needs a setup with morphing (the config's morphing section)")
    setup = read_event_setup(path, setup, setup_path)
    n_events = count_samples(path)
    if events == "all":
        partition = Partition("test", 0, n_events, 1.0)
    else:
        if test_fraction == 0:
            msg = (f"{path}: the config's augmentation.test_fraction is 0, so there is no test partition to "
                   "evaluate on; set a test fraction (and re-run augment and train) or pass --events all")
            raise GoldmineError(msg)
        partition = split_events(n_events, validation_fraction, test_fraction)["test"]
    if len(partition) == 0:
        raise GoldmineError(f"{path}: the {'file' if events == 'all' else 'test partition'} holds no events")
    pool = EventPool(path, partition, setup.morpher, len(setup.benchmarks), nuisances=NuisanceColumns.of(setup),
                     mixture=mixture)
    chunks = list(pool.chunks())
    has_truth = all(c.true_component_weights is not None for c in chunks)
    return SimulatedEvents(path, partition, np.concatenate([c.observations for c in chunks]),
                           np.concatenate([c.component_weights for c in chunks]), setup.morpher.components,
                           np.concatenate([c.background_processes for c in chunks]), background_processes(path),
                           setup.nuisance_parameters, np.concatenate([c.nuisance_a for c in chunks]),
                           np.concatenate([c.nuisance_b for c in chunks]),
                           np.concatenate([c.true_component_weights for c in chunks]) if has_truth else None)


def load_observed(path: Path, setup: Setup, setup_path: Path) -> np.ndarray:
    """Observed events: every row of an event file, unweighted; x (n, O)."""
    read_event_setup(path, setup, setup_path)
    rows = [chunk.observations for chunk in iter_samples(path)]
    observations = np.concatenate(rows) if rows else np.empty((0, len(setup.observables)))
    if len(observations) == 0:
        raise InputFileError(f"{path}: no observed events")
    return observations
