"""Evaluating trained models in batches, alone or as an ensemble."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch

from goldmine.inference.saving import LoadedModel

__all__ = ["ensemble_statistics", "evaluate"]


def evaluate(
    loaded: LoadedModel, columns: Mapping[str, np.ndarray], *, score: bool = True, batch_size: int = 8192
) -> dict[str, np.ndarray]:
    """Outputs of a model by name (see :mod:`goldmine.inference.estimators`) for its input
    columns (``model.inputs``: x (n, O) and θ columns (n, P))."""
    model = loaded.model
    device = next(model.parameters()).device
    n_rows = len(columns["x"])
    chunks: dict[str, list[np.ndarray]] = {}
    for start in range(0, n_rows, batch_size):
        batch = {name: torch.as_tensor(np.asarray(columns[name][start : start + batch_size], dtype=np.float32),
                                       device=device) for name in model.inputs}
        with torch.no_grad():
            outputs = model(batch, score=score)
        for name, values in outputs.items():
            chunks.setdefault(name, []).append(values.cpu().numpy())
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
