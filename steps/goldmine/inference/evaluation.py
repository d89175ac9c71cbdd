"""Evaluating trained models in batches, alone or as an ensemble."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from goldmine.inference.methods import FAMILY_INPUTS, forward
from goldmine.inference.saving import LoadedModel

__all__ = ["ensemble_statistics", "evaluate"]


def evaluate(
    loaded: LoadedModel,
    x: np.ndarray,
    theta: np.ndarray | None = None,
    theta1: np.ndarray | None = None,
    *,
    score: bool = True,
    batch_size: int = 8192,
) -> dict[str, np.ndarray]:
    """Outputs of a model for x (n, O) and, as its family needs, θ (n, P) (θ0 for ratios)
    and θ1: ``t_hat`` (n, P), ``log_r_hat`` (n,), ``log_p_hat`` (n,), ``t_hat0``/``t_hat1``."""
    model = loaded.model
    device = next(model.parameters()).device
    names = FAMILY_INPUTS[loaded.family]
    columns = dict(zip(names, (x, theta, theta1)))
    chunks: dict[str, list[np.ndarray]] = {}
    for start in range(0, len(x), batch_size):
        batch = {name: torch.as_tensor(np.asarray(columns[name][start : start + batch_size], dtype=np.float32),
                                       device=device) for name in names}
        # Only the likelihood family takes its score by autograd; the others need no graph.
        with torch.set_grad_enabled(score and loaded.family == "likelihood"):
            outputs = forward(model, loaded.family, batch, score=score)
        for name, values in outputs.items():
            chunks.setdefault(name, []).append(values.detach().cpu().numpy())
    return {name: np.concatenate(values) for name, values in chunks.items()}


def ensemble_statistics(outputs: Sequence[dict[str, np.ndarray]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Mean and covariance over ensemble members of every output: for an output (n, P)
    the mean is (n, P) and the covariance (n, P, P); for (n,), mean (n,) and variance (n,)."""
    stats = {}
    for name in outputs[0]:
        stacked = np.stack([member[name] for member in outputs])  # (M, n, ...)
        mean = stacked.mean(axis=0)
        deviation = stacked - mean
        if stacked.ndim == 3:
            covariance = np.einsum("mni,mnj->nij", deviation, deviation) / max(len(outputs) - 1, 1)
        else:
            covariance = (deviation**2).sum(axis=0) / max(len(outputs) - 1, 1)
        stats[name] = (mean, covariance)
    return stats
