"""Train one estimator for one method on an augment directory: data, model, loop."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from goldmine.errors import GoldmineError
from goldmine.inference.estimators import FAMILIES, Estimator, EstimatorSettings
from goldmine.inference.losses import Objective
from goldmine.inference.networks import Standardize
from goldmine.inference.training import TrainResult, TrainSettings, train
from goldmine.io.augmented import has_column, load_columns
from goldmine.methods import METHODS, Method

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
    model: Estimator
    method: Method
    result: TrainResult
    n_train: int
    n_validation: int


def to_tensors(arrays: dict[str, np.ndarray], device: torch.device, rows: np.ndarray | None = None) -> dict[str, torch.Tensor]:
    """float32 tensors on ``device``; ``rows`` selects (and may repeat) rows, for bootstrap."""
    out = {}
    for column, values in arrays.items():
        selected = np.asarray(values) if rows is None else np.asarray(values)[rows]
        out[column] = torch.as_tensor(np.ascontiguousarray(selected, dtype=np.float32), device=device)
    return out


def prepared(model: Estimator, columns: dict[str, torch.Tensor], truth: tuple[str, ...]) -> dict[str, torch.Tensor]:
    """The model's prepared inputs and the ``truth`` columns the loss compares with,
    computed once for all epochs."""
    with torch.no_grad():
        return {**model.prepare({name: columns[name] for name in model.inputs}), **{name: columns[name] for name in truth}}


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
    partition, optionally bootstrap the training rows, build the estimator and train it;
    on weighted rows (a ``weight`` column: goldmine.augment.weighted) with the weighted loss."""
    method = METHODS[method_name]
    family = FAMILIES[method.family]
    objective = Objective.of(method.terms, settings.alpha, weighted=has_column(data_directory, "weight"))
    columns = tuple(dict.fromkeys(family.inputs + objective.columns))
    arrays = load_columns(data_directory, method.name, columns, "train")
    assert arrays is not None
    validation_arrays = load_columns(data_directory, method.name, columns, "validation")
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
    row_weights = np.asarray(arrays["weight"])[rows] if "weight" in arrays else None
    target_scaling = _score_scaling(arrays["t_xz"][rows], row_weights) if family.family == "score" else None
    if target_scaling is not None:
        arrays, validation_arrays = (_standardised(a, target_scaling) for a in (arrays, validation_arrays))
    training = to_tensors(arrays, device, rows)
    validation = to_tensors(validation_arrays, device) if validation_arrays is not None else None

    torch.manual_seed(seed)
    model = family(architecture)
    model.fit_scaling({name: training[name].cpu() for name in family.inputs})
    model.to(device)
    n_validation = 0 if validation is None else len(validation["x"])
    log.info("%s: %d training and %d validation rows on %s", method_name, len(rows), n_validation, device)
    training = prepared(model, training, objective.columns)
    validation = prepared(model, validation, objective.columns) if validation is not None else None
    result = train(model, objective, training, validation, settings, seed=seed)
    if target_scaling is not None:
        model.absorb_target_scaling(target_scaling.mean, target_scaling.std)
    return FitResult(model, method, result, len(rows), n_validation)


def _score_scaling(joint_score: np.ndarray, weights: np.ndarray | None) -> Standardize:
    """The standardisation of the training rows' joint scores (P + K,), weighted rows with
    their weights (n,). A score regression trains on them standardised: its loss then
    weighs every component alike, where in the score's own units a component with 4× the
    variance of another (CWL2 beside the CP-odd CPWL2 in W h) would take the network's
    capacity; each component's minimiser, E[t|x], is the same either way."""
    scaling = Standardize(joint_score.shape[1])
    as_tensor = torch.as_tensor
    return scaling.fit(as_tensor(joint_score, dtype=torch.float64),
                       None if weights is None else as_tensor(weights, dtype=torch.float64))


def _standardised(arrays: dict[str, np.ndarray] | None, scaling: Standardize) -> dict[str, np.ndarray] | None:
    if arrays is None:
        return None
    return {**arrays, "t_xz": (np.asarray(arrays["t_xz"]) - scaling.mean.numpy()) / scaling.std.numpy()}
