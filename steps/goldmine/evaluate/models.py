"""Trained models for evaluation: loaded, checked against the setup, grouped into ensembles,
and evaluated in batches (x chunks × θ batches).

Model directories of one method form an ensemble; its estimate is the members' mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from goldmine.errors import GoldmineError
from goldmine.setup import Setup

__all__ = ["ModelGroup", "kinematic_log_likelihood", "load_groups", "member_scores"]


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

    @property
    def nuisances(self) -> list[str]:
        """The shape nuisances whose score components a score model learned after θ's."""
        return list(self.members[0].settings.get("nuisances") or [])


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


def kinematic_log_likelihood(
    group: ModelGroup,
    x: np.ndarray,
    counts: np.ndarray,
    thetas: np.ndarray,
    reference: np.ndarray,
    batch_size: int,
) -> np.ndarray:
    """Σ_e c_e log r̂(x_e|θ) for each θ (G, P) → (G,), ensemble mean: log r̂ against the
    model's own denominator (parameterized ratios), against ``reference`` (doubly
    parameterized) or log p̂ (likelihood models). x (n, O), c (n,) (event counts: 1 for
    observed events, L·w(θ_true) for Asimov data)."""
    from goldmine.inference.evaluation import evaluate

    n_events = len(x)
    thetas_per_call = max(1, batch_size // max(n_events, 1))
    events_per_call = min(n_events, batch_size)
    output = group.log_likelihood_output
    totals = np.zeros(len(thetas))
    for member in group.members:
        for first in range(0, len(thetas), thetas_per_call):
            theta_batch = thetas[first : first + thetas_per_call]
            for start in range(0, n_events, events_per_call):
                x_chunk, c_chunk = x[start : start + events_per_call], counts[start : start + events_per_call]
                x_rows = np.tile(x_chunk, (len(theta_batch), 1))
                theta_rows = np.repeat(theta_batch, len(x_chunk), axis=0)
                columns = member.model.input_columns(x_rows, theta_rows, reference)
                values = evaluate(member, columns, score=False, batch_size=len(x_rows))[output]
                totals[first : first + len(theta_batch)] += values.reshape(len(theta_batch), -1) @ c_chunk
    return totals / len(group.members)
