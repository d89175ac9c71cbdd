"""Trained models for evaluation: loaded, checked against the setup, grouped into ensembles,
and evaluated in batches (x chunks × θ batches).

Model directories of one method form an ensemble; its estimate is the members' mean.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from goldmine.errors import GoldmineError
from goldmine.setup import Setup

__all__ = ["ModelGroup", "kinematic_log_likelihood", "load_groups", "log_ratio_grid", "log_ratio_normalisation",
           "mean_theta_score", "member_scores"]


@dataclass(frozen=True)
class ModelGroup:
    """The members (``LoadedModel``) of one method, with their directories."""

    method: str
    directories: tuple[Path, ...]
    members: tuple[Any, ...]

    @property
    def label(self) -> str:
        return self.method

    @property
    def score_output(self) -> str | None:
        """The output that is the score t̂(x) at one θ (score estimators), else None."""
        return self.members[0].model.score_output

    @property
    def log_likelihood_output(self) -> str | None:
        """The output summed over events for the ML limits (log r̂ or log p̂), else None."""
        return self.members[0].model.log_likelihood_output

    @property
    def score_theta(self) -> list[float] | None:
        return self.members[0].settings.get("score_theta")

    def denominator(self, reference: np.ndarray) -> np.ndarray | None:
        """θ₁ (P,) of the ratio log r̂(x|θ, θ₁) this group's ML limits sum: ``reference`` for
        doubly parameterized ratios, the one θ₁ a parameterized ratio was trained against
        (None if its rows held several), None for likelihood models (log p̂)."""
        if self.log_likelihood_output != "log_r_hat":
            return None
        if self.members[0].settings.get("family") == "doubly_parameterized_ratio":
            return reference
        theta1 = self.members[0].settings.get("denominator_theta")
        return None if theta1 is None else np.asarray(theta1, dtype=float)

    @property
    def nuisances(self) -> list[str]:
        """The shape nuisances whose score components a score model learned after θ's."""
        return list(self.members[0].settings.get("nuisances") or [])

    @property
    def signal_only(self) -> bool:
        """Whether the members learned the signal alone (augmentation.processes: signal):
        its score or ratios p_S(x|θ), not the mixture's with the background."""
        return self.members[0].settings.get("processes", "all") == "signal"


def _check_against_setup(directory: Path, settings: dict[str, Any], setup: Setup) -> None:
    expected = {"parameters": setup.parameter_names, "observables": [o.name for o in setup.observables]}
    for key, names in expected.items():
        trained = settings.get(key)
        if trained is not None and list(trained) != list(names):
            msg = (f"{directory}: the model was trained on a different setup: its {key} are {list(trained)}, "
                   f"the setup's are {list(names)}")
            raise GoldmineError(msg)


def load_groups(directories: Sequence[Path], setup: Setup, device: str = "cpu") -> list[ModelGroup]:
    """Load every model directory, check its parameters and observables against the setup,
    and group them by method (in the order first seen)."""
    from goldmine.inference.saving import load_model

    grouped: dict[str, list[tuple[Path, Any]]] = {}
    for directory in directories:
        loaded = load_model(directory, device)
        _check_against_setup(Path(directory), loaded.settings, setup)
        grouped.setdefault(loaded.method.name, []).append((Path(directory), loaded))
    groups = []
    for method, entries in grouped.items():
        points = {tuple(e[1].settings.get("score_theta") or ()) for e in entries}
        if len(points) > 1:
            msg = f"{method}: ensemble members learned the score at different points {sorted(points)}"
            raise GoldmineError(msg)
        groups.append(ModelGroup(method, tuple(e[0] for e in entries), tuple(e[1] for e in entries)))
    return groups


def member_scores(group: ModelGroup, x: np.ndarray, batch_size: int) -> np.ndarray:
    """t̂(x) of every member of a score ensemble: (M, n, P + K) with the K nuisances it learned."""
    from goldmine.inference.evaluation import evaluate

    return np.stack([evaluate(m, m.model.input_columns(x, None, None), batch_size=batch_size)[group.score_output]
                     for m in group.members])


def mean_theta_score(scores: np.ndarray, n_parameters: int) -> np.ndarray:
    """The members' mean of the θ components of :func:`member_scores` (M, n, P + K) → (n, P),
    which histograms, limits and plots read (the nuisance components only enter the information)."""
    return scores.mean(axis=0)[:, :n_parameters]


def _ensemble_log_ratios(group: ModelGroup, x: np.ndarray, thetas: np.ndarray, reference: np.ndarray,
                         batch_size: int) -> Iterator[tuple[slice, slice, np.ndarray]]:
    """Blocks ``(θ rows, event rows, values)`` covering thetas (G, P) × events x (n, O): the
    ensemble mean of log r̂ (or log p̂) of those events at those θ, (g, e)."""
    from goldmine.inference.evaluation import evaluate

    n_events = len(x)
    thetas_per_call = max(1, batch_size // max(n_events, 1))
    events_per_call = max(1, min(n_events, batch_size))
    output = group.log_likelihood_output
    for first in range(0, len(thetas), thetas_per_call):
        theta_rows = slice(first, first + thetas_per_call)
        theta_batch = thetas[theta_rows]
        for start in range(0, n_events, events_per_call):
            event_rows = slice(start, start + events_per_call)
            x_chunk = x[event_rows]
            x_rows = np.tile(x_chunk, (len(theta_batch), 1))
            theta_columns = np.repeat(theta_batch, len(x_chunk), axis=0)
            values = np.mean([evaluate(member, member.model.input_columns(x_rows, theta_columns, reference),
                                       score=False, batch_size=len(x_rows))[output] for member in group.members], axis=0)
            yield theta_rows, event_rows, values.reshape(len(theta_batch), len(x_chunk))


class _LogWeightedMean:
    """log(Σ_e w_e exp(v_e) / Σ_e w_e) per θ, accumulated over blocks of θ × events: a running
    log-sum-exp (Σ_e w_e exp(v_e) = scaled · exp(largest)) that never overflows."""

    def __init__(self, weights: np.ndarray, n_thetas: int) -> None:
        self.weights = weights
        self.largest = np.full(n_thetas, -np.inf)
        self.scaled = np.zeros(n_thetas)

    def add(self, theta_rows: slice, event_rows: slice, values: np.ndarray) -> None:
        new_largest = np.maximum(self.largest[theta_rows], values.max(axis=1))
        block_sum = np.exp(values - new_largest[:, None]) @ self.weights[event_rows]
        self.scaled[theta_rows] = self.scaled[theta_rows] * np.exp(self.largest[theta_rows] - new_largest) + block_sum
        self.largest[theta_rows] = new_largest

    def value(self) -> np.ndarray:
        if np.any(self.scaled <= 0) or self.weights.sum() <= 0:
            raise GoldmineError("ratio calibration: the events weighted at the reference sum to zero or less; "
                                "calibrate on events with positive weights there")
        return np.log(self.scaled) + self.largest - np.log(self.weights.sum())


def kinematic_log_likelihood(
    group: ModelGroup,
    x: np.ndarray,
    counts: np.ndarray,
    thetas: np.ndarray,
    reference: np.ndarray,
    batch_size: int,
    *,
    calibration_weights: np.ndarray | None = None,
) -> np.ndarray:
    """Σ_e c_e log r̂(x_e|θ) for each θ (G, P) → (G,), ensemble mean: log r̂ against the
    model's own denominator (parameterized ratios), against ``reference`` (doubly
    parameterized) or log p̂ (likelihood models). x (n, O), c (n,) (event counts: 1 for
    observed events, L·w(θ_true) for Asimov data). With ``calibration_weights`` (n,), the
    same events weighted at the ratio's denominator (Asimov data), each r̂ is divided by its
    mean under them (:func:`log_ratio_normalisation`) in the same pass over the events."""
    totals = np.zeros(len(thetas))
    mean = None if calibration_weights is None else _LogWeightedMean(calibration_weights, len(thetas))
    for theta_rows, event_rows, values in _ensemble_log_ratios(group, x, thetas, reference, batch_size):
        totals[theta_rows] += values @ counts[event_rows]
        if mean is not None:
            mean.add(theta_rows, event_rows, values)
    return totals if mean is None else totals - counts.sum() * mean.value()


def log_ratio_grid(group: ModelGroup, x: np.ndarray, thetas: np.ndarray, reference: np.ndarray,
                   batch_size: int) -> np.ndarray:
    """The ensemble mean of log r̂(x|θ) (or log p̂) (G, n) of events x (n, O) at thetas (G, P)."""
    values = np.empty((len(thetas), len(x)))
    for theta_rows, event_rows, block in _ensemble_log_ratios(group, x, thetas, reference, batch_size):
        values[theta_rows, event_rows] = block
    return values


def log_ratio_normalisation(
    group: ModelGroup,
    x: np.ndarray,
    weights: np.ndarray,
    thetas: np.ndarray,
    reference: np.ndarray,
    batch_size: int,
) -> np.ndarray:
    """log c(θ) (G,), c(θ) = Σ_e w_e r̂(x_e|θ) / Σ_e w_e over events x (n, O) weighted by
    ``weights`` (n,) at the ratio's denominator: the mean of r̂ under the denominator, which
    is 1 for the true ratio. Dividing r̂ by it calibrates its normalisation in θ."""
    mean = _LogWeightedMean(weights, len(thetas))
    for theta_rows, event_rows, values in _ensemble_log_ratios(group, x, thetas, reference, batch_size):
        mean.add(theta_rows, event_rows, values)
    return mean.value()
