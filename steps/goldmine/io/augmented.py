"""The augmented-data directory that ``augment`` writes and ``train`` reads.

    {column}_{partition}.npy   one float64 array per column and partition, MadMiner's
                               names: x_train.npy (n, O), theta0_validation.npy (n, P),
                               y_train.npy and r_xz_train.npy (n,), t_xz0_train.npy (n, P);
                               weighted rows (goldmine.augment.weighted): weight_train.npy (n,)
    augment.json               method, sampler, columns, partitions, provenance (seed)

Rows are written at shuffled positions, so consecutive rows come from different θ and
different events. The reader memory-maps and checks every value for finiteness.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from goldmine.errors import InputFileError
from goldmine.io.atomic import reserve

__all__ = ["SUMMARY_NAME", "ArraySet", "column_shapes", "has_column", "load_columns", "read_summary", "single_point"]

SUMMARY_NAME = "augment.json"

#: Rows checked for finiteness at a time, so a memory-mapped file is never read whole.
CHECK_ROWS = 1_000_000


def column_path(directory: Path, column: str, partition: str) -> Path:
    return directory / f"{column}_{partition}.npy"


def column_shapes(columns: tuple[str, ...], n_observables: int, n_parameters: int,
                  n_score: int | None = None) -> dict[str, tuple[int, ...]]:
    """The per-row shape of each column: x (O,), theta*/t_xz* (P,), y, r_xz and weight (); t_xz
    (``n_score``,) where given (the local sampler's score with its nuisance components)."""
    shapes = {"x": (n_observables,), "y": (), "r_xz": (), "weight": (), "t_xz": (n_score or n_parameters,)}
    return {name: shapes.get(name, (n_parameters,)) for name in columns}


class ArraySet:
    """float64 ``.npy`` files in ``directory`` for n rows; ``write`` fills given rows."""

    def __init__(self, directory: Path, partition: str, n_rows: int, shapes: Mapping[str, tuple[int, ...]]) -> None:
        self.paths = {name: column_path(directory, name, partition) for name in shapes}
        self.arrays = {}
        for name, shape in shapes.items():
            array = np.lib.format.open_memmap(self.paths[name], mode="w+", dtype=np.float64, shape=(n_rows, *shape))
            reserve(self.paths[name], array.offset + array.nbytes)
            self.arrays[name] = array

    def write(self, positions: np.ndarray, columns: Mapping[str, np.ndarray]) -> None:
        for name, array in self.arrays.items():
            array[positions] = columns[name]

    def close(self) -> dict[str, list[int]]:
        """Flush to disk; returns each file name with its shape."""
        shapes = {}
        for name, array in self.arrays.items():
            array.flush()
            shapes[self.paths[name].name] = list(array.shape)
        self.arrays = {}
        return shapes


def has_column(directory: Path, column: str, partition: str = "train") -> bool:
    return column_path(directory, column, partition).exists()


def load_columns(directory: Path, method: str, columns: tuple[str, ...], partition: str) -> dict[str, np.ndarray] | None:
    """``columns`` of one partition, memory-mapped and checked; None when the partition
    is absent (no ``x_{partition}.npy``) and it is not ``train``. ``method`` names what
    needs them, for the error message."""
    if partition != "train" and not column_path(directory, "x", partition).exists():
        return None
    arrays = {}
    for column in columns:
        path = column_path(directory, column, partition)
        if not path.exists():
            msg = (
                f"{path}: missing; method {method} needs the column {column!r}. Make the data with "
                f"`goldmine augment --method {method}`"
            )
            raise InputFileError(msg)
        try:
            arrays[column] = np.load(path, mmap_mode="r")
        except ValueError as err:
            raise InputFileError(f"{path}: not a .npy array ({err})") from err
    lengths = {column_path(directory, column, partition).name: len(values) for column, values in arrays.items()}
    if len(set(lengths.values())) != 1:
        msg = f"{directory}: arrays of mismatched lengths: " + ", ".join(f"{k} has {v}" for k, v in lengths.items())
        raise InputFileError(msg)
    for column, values in arrays.items():
        for start in range(0, len(values), CHECK_ROWS):
            bad = ~np.isfinite(np.asarray(values[start : start + CHECK_ROWS]))
            if bad.any():
                row = start + int(np.argwhere(bad)[0][0])
                raise InputFileError(f"{column_path(directory, column, partition)}: row {row} is not finite "
                                     f"({values[row]})")
    return arrays


def read_summary(directory: Path) -> dict[str, Any]:
    """``augment.json`` of an augment directory (method, partitions, provenance with the seed)."""
    path = directory / SUMMARY_NAME
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise InputFileError(f"{path}: missing; --data must be a directory written by `goldmine augment`") from None
    except json.JSONDecodeError as err:
        raise InputFileError(f"{path}: not JSON ({err})") from None


def single_point(directory: Path, column: str = "theta") -> list[float] | None:
    """The one θ (P,) of a θ ``column`` of the training rows (``theta_train.npy``: where a
    score method learned t(x|θ); ``theta1_train.npy``: a parameterized ratio's denominator);
    None when the rows hold several points or no such column."""
    path = column_path(directory, column, "train")
    if not path.exists():
        return None
    theta = np.load(path, mmap_mode="r")
    first = np.asarray(theta[0])
    for start in range(0, len(theta), CHECK_ROWS):
        if not np.all(np.asarray(theta[start : start + CHECK_ROWS]) == first):
            return None
    return first.tolist()
