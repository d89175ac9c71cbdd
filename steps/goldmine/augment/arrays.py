"""Output arrays: one memory-mappable ``.npy`` per column, filled chunk by chunk.

File names follow MadMiner: ``{column}_{partition}.npy``, e.g. ``x_train.npy``,
``theta0_validation.npy``, ``r_xz_train.npy``. Rows are written at shuffled positions,
so consecutive rows come from different θ and different events.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from goldmine.io.atomic import reserve

__all__ = ["ArraySet", "column_shapes"]


def column_shapes(columns: tuple[str, ...], n_observables: int, n_parameters: int) -> dict[str, tuple[int, ...]]:
    """The per-row shape of each column: x (O,), theta*/t_xz* (P,), y and r_xz ()."""
    shapes = {"x": (n_observables,), "y": (), "r_xz": ()}
    return {name: shapes.get(name, (n_parameters,)) for name in columns}


class ArraySet:
    """float64 ``.npy`` files in ``directory`` for n rows; ``write`` fills given rows."""

    def __init__(self, directory: Path, partition: str, n_rows: int, shapes: Mapping[str, tuple[int, ...]]) -> None:
        self.paths = {name: directory / f"{name}_{partition}.npy" for name in shapes}
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
