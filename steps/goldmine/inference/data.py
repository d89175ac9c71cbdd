"""Training data: the augment stage's ``{column}_{partition}.npy`` files, checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from goldmine.augment.run import SUMMARY_NAME
from goldmine.errors import InputFileError
from goldmine.inference.methods import Method

__all__ = ["augment_summary", "load_columns", "score_point", "to_tensors"]

#: Rows checked for finiteness at a time, so a memory-mapped file is never read whole.
CHECK_ROWS = 1_000_000


def load_columns(directory: Path, method: Method, partition: str) -> dict[str, np.ndarray] | None:
    """The columns ``method`` needs from one partition, memory-mapped; None when the
    partition is absent (no ``x_{partition}.npy``) and it is not ``train``."""
    if partition != "train" and not (directory / f"x_{partition}.npy").exists():
        return None
    arrays = {}
    for column in method.columns:
        path = directory / f"{column}_{partition}.npy"
        if not path.exists():
            msg = (
                f"{path}: missing; method {method.name} needs the column {column!r}. Make the data with "
                f"`goldmine augment --method {method.name}`"
            )
            raise InputFileError(msg)
        try:
            arrays[column] = np.load(path, mmap_mode="r")
        except ValueError as err:
            raise InputFileError(f"{path}: not a .npy array ({err})") from err
    lengths = {f"{column}_{partition}.npy": len(values) for column, values in arrays.items()}
    if len(set(lengths.values())) != 1:
        msg = f"{directory}: arrays of mismatched lengths: " + ", ".join(f"{k} has {v}" for k, v in lengths.items())
        raise InputFileError(msg)
    for column, values in arrays.items():
        for start in range(0, len(values), CHECK_ROWS):
            block = np.asarray(values[start : start + CHECK_ROWS])
            bad = ~np.isfinite(block)
            if bad.any():
                row = start + int(np.argwhere(bad)[0][0])
                raise InputFileError(f"{directory / f'{column}_{partition}.npy'}: row {row} is not finite ({values[row]})")
    return arrays


def to_tensors(arrays: dict[str, np.ndarray], device: torch.device, rows: np.ndarray | None = None) -> dict[str, torch.Tensor]:
    """float32 tensors on ``device``; ``rows`` selects (and may repeat) rows, for bootstrap."""
    out = {}
    for column, values in arrays.items():
        selected = np.asarray(values) if rows is None else np.asarray(values)[rows]
        out[column] = torch.as_tensor(np.ascontiguousarray(selected, dtype=np.float32), device=device)
    return out


def augment_summary(directory: Path) -> dict[str, Any]:
    """``augment.json`` of an augment directory (method, partitions, provenance with the seed)."""
    path = directory / SUMMARY_NAME
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise InputFileError(f"{path}: missing; --data must be a directory written by `goldmine augment`") from None
    except json.JSONDecodeError as err:
        raise InputFileError(f"{path}: not JSON ({err})") from None


def score_point(directory: Path) -> list[float] | None:
    """The one θ (P,) of a score method's training rows (``theta_train.npy``), where the
    learned score is t(x|θ); None when the rows hold several points or no θ."""
    path = directory / "theta_train.npy"
    if not path.exists():
        return None
    theta = np.load(path, mmap_mode="r")
    first = np.asarray(theta[0])
    for start in range(0, len(theta), CHECK_ROWS):
        if not np.all(np.asarray(theta[start : start + CHECK_ROWS]) == first):
            return None
    return first.tolist()
