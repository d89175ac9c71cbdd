"""A trained model as a directory: settings, weights, scaling, history, provenance.

    settings.json     method, family, architecture, training settings, result, provenance,
                      and the SHA-256 of state_dict.pt (checked when the model is loaded)
    state_dict.pt     the weights, the scaling buffers included
    x_scaling.npy     (2, O): mean and std of x;  theta_scaling.npy (2, P) likewise
    history.json      one record per epoch
"""

from __future__ import annotations

import io
import json
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from goldmine import __version__
from goldmine.errors import InputFileError
from goldmine.inference.estimators import FAMILIES, Estimator, EstimatorSettings
from goldmine.io.provenance import file_sha256
from goldmine.methods import METHODS, Method

__all__ = ["LoadedModel", "load_model", "save_model"]

SETTINGS, STATE, HISTORY = "settings.json", "state_dict.pt", "history.json"
STATE_CHECKSUM = "state_dict_sha256"


def save_model(directory: Path, model: Estimator, method: Method, info: dict[str, Any]) -> None:
    """Write ``model`` into an existing, empty ``directory``."""
    settings = {"goldmine_version": __version__, "method": method.name, "family": model.family,
                "estimator": model.settings.to_dict(), **info}
    history = settings.pop("history", [])
    # through bytes, so that a full disk is Python's OSError, not torch's iostream error
    state = io.BytesIO()
    torch.save(model.state_dict(), state)
    (directory / STATE).write_bytes(state.getvalue())
    settings[STATE_CHECKSUM] = file_sha256(directory / STATE)
    (directory / SETTINGS).write_text(json.dumps(settings, indent=2) + "\n")
    (directory / HISTORY).write_text(json.dumps(history, indent=1) + "\n")
    for name in ("x_scaling", "theta_scaling"):
        scaling = getattr(model, name)
        np.save(directory / f"{name}.npy", torch.stack([scaling.mean, scaling.std]).cpu().numpy())


@dataclass(frozen=True)
class LoadedModel:
    model: Estimator
    method: Method
    settings: dict[str, Any]


def load_model(directory: str | Path, device: str | torch.device = "cpu") -> LoadedModel:
    """Restore a model of any family from its directory."""
    directory = Path(directory)
    try:
        settings = json.loads((directory / SETTINGS).read_text())
        checksum = file_sha256(directory / STATE)
    except (OSError, json.JSONDecodeError) as err:
        raise InputFileError(f"{directory}: not a goldmine model directory ({err})") from err
    if settings.get(STATE_CHECKSUM, checksum) != checksum:
        raise InputFileError(f"{directory / STATE}: not the weights this model was saved with (its SHA-256 differs "
                             f"from the one in {SETTINGS}): corrupt or replaced; train the model again")
    estimator = dict(settings["estimator"])
    estimator["hidden"] = tuple(estimator["hidden"])
    if estimator.get("reference") is not None:
        estimator["reference"] = tuple(estimator["reference"])
    model = FAMILIES[settings["family"]](EstimatorSettings(**estimator))
    try:
        model.load_state_dict(torch.load(directory / STATE, map_location=device, weights_only=True))
    except (RuntimeError, EOFError, pickle.UnpicklingError) as err:  # cut, foreign or of another architecture
        raise InputFileError(f"{directory / STATE}: not the weights of this {settings['family']} estimator: "
                             f"{str(err).splitlines()[0]}") from None
    return LoadedModel(model.to(device).eval(), METHODS[settings["method"]], settings)
