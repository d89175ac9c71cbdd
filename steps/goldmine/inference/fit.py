"""Train one estimator for one method on an augment directory: data, model, loop."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from goldmine.errors import GoldmineError
from goldmine.inference.data import load_columns, to_tensors
from goldmine.inference.estimators import ESTIMATORS, EstimatorSettings
from goldmine.inference.methods import METHODS, Method
from goldmine.inference.training import TrainResult, TrainSettings, train

__all__ = ["FitResult", "fit", "resolve_device"]

log = logging.getLogger(__name__)


def resolve_device(choice: Literal["auto", "cpu", "cuda"]) -> torch.device:
    if choice == "cuda" and not torch.cuda.is_available():
        msg = "--device cuda: no CUDA device is available to torch here"
        raise GoldmineError(msg)
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(choice)


@dataclass(frozen=True)
class FitResult:
    model: torch.nn.Module
    method: Method
    result: TrainResult
    n_train: int
    n_validation: int


def _theta_for_scaling(method: Method, data: dict[str, torch.Tensor]) -> torch.Tensor | None:
    if method.family == "score":
        return None
    if method.family == "likelihood":
        return data["theta"]
    if method.family == "doubly_parameterized_ratio":
        return torch.cat([data["theta0"], data["theta1"]])
    return data["theta0"]


def fit(
    method_name: str,
    data_directory: Path,
    architecture: EstimatorSettings,
    settings: TrainSettings,
    *,
    seed: int,
    device: torch.device,
    bootstrap: bool = False,
) -> FitResult:
    """Load the method's columns, hold out validation rows if the data has no validation
    partition, optionally bootstrap the training rows, build the estimator and train it."""
    method = METHODS[method_name]
    arrays = load_columns(data_directory, method, "train")
    assert arrays is not None
    validation_arrays = load_columns(data_directory, method, "validation")
    n_rows = len(arrays["x"])
    rows = np.arange(n_rows)
    if validation_arrays is None and settings.validation_split > 0:
        n_held_out = round(n_rows * settings.validation_split)
        validation_arrays = {k: np.asarray(v)[n_rows - n_held_out :] for k, v in arrays.items()}
        rows = rows[: n_rows - n_held_out]
    if bootstrap:
        rows = np.random.default_rng(seed).choice(rows, size=len(rows), replace=True)
    if len(rows) == 0:
        raise GoldmineError(f"{data_directory}: no training rows left")
    training = to_tensors(arrays, device, rows)
    validation = to_tensors(validation_arrays, device) if validation_arrays is not None else None

    torch.manual_seed(seed)
    model = ESTIMATORS[method.family](architecture)
    theta = _theta_for_scaling(method, training)
    model.fit_scaling(training["x"].cpu(), None if theta is None else theta.cpu())
    model.to(device)
    log.info("%s: %d training and %d validation rows on %s", method_name, len(rows),
             0 if validation is None else len(validation["x"]), device)
    result = train(model, method, training, validation, settings, seed=seed)
    return FitResult(model, method, result, len(rows), 0 if validation is None else len(validation["x"]))
