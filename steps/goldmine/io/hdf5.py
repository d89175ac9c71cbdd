"""Opening HDF5 inputs with an error that names the file."""

from __future__ import annotations

from pathlib import Path

import h5py

from goldmine.errors import InputFileError

__all__ = ["open_for_reading"]


def open_for_reading(path: str | Path) -> h5py.File:
    """``h5py.File(path, "r")``, raising InputFileError naming the file when it is
    missing or not HDF5."""
    try:
        return h5py.File(path, "r")
    except OSError as err:
        msg = f"{path}: cannot open as HDF5 ({err})"
        raise InputFileError(msg) from err
