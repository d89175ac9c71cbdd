"""Reading ``results.h5`` (written by goldmine.evaluate.results) for the plots."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from goldmine.errors import InputFileError
from goldmine.io.hdf5 import open_for_reading
from goldmine.io.setup_file import read_setup
from goldmine.setup import Setup

__all__ = ["BOUNDS", "SIGNAL_ONLY", "Results", "fisher_by_event_set", "read_results"]

#: evaluate's names: the prefix of the Fisher entries of the signal alone (beside those with the
#: background), and the bounds no estimate of the observed event exceeds: the exact likelihood's
#: information of the truth-level event (events with true weights) and the joint one above it.
SIGNAL_ONLY = "signal_only:"
BOUNDS = ("exact", "truth")


@dataclass(eq=False)
class Results:
    path: Path
    setup: Setup
    grid: np.ndarray
    axes: list[np.ndarray]
    theta_true: np.ndarray
    fisher: dict[str, dict[str, np.ndarray]]
    limits: dict[str, dict[str, dict[str, np.ndarray]]]
    information_distribution: dict[str, dict[str, np.ndarray]]
    distributions: dict[str, dict[str, np.ndarray]]
    validation: dict[str, dict[str, np.ndarray]]
    histories: dict[str, list[dict[str, Any]]]
    #: the background processes, in the order of ``distributions/<observable>/backgrounds``
    background_processes: tuple[str, ...] = ()
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def parameter_names(self) -> list[str]:
        return self.setup.parameter_names


def fisher_by_event_set(fisher: dict[str, dict]) -> tuple[dict[str, dict], dict[str, dict]]:
    """The Fisher entries with the background (or of a file without one) and those of the
    signal alone, each by its name without the ``signal_only:`` prefix."""
    together = {name: entry for name, entry in fisher.items() if not name.startswith(SIGNAL_ONLY)}
    alone = {name.removeprefix(SIGNAL_ONLY): entry for name, entry in fisher.items() if name.startswith(SIGNAL_ONLY)}
    return together, alone


def _arrays(group: h5py.Group) -> dict[str, Any]:
    """The group's datasets, and its ``nuisances`` attribute (a JSON list) where it has one."""
    arrays: dict[str, Any] = {key: group[key][()] for key in group if isinstance(group[key], h5py.Dataset)}
    if "nuisances" in group.attrs:
        arrays["nuisances"] = json.loads(group.attrs["nuisances"])
    return arrays


def _nested(file: h5py.File, name: str, depth: int) -> dict[str, Any]:
    if name not in file:
        return {}
    group = file[name]
    if depth == 1:
        return {key: _arrays(group[key]) for key in group}
    return {key: _nested(group, key, depth - 1) for key in group}


def read_results(path: str | Path) -> Results:
    path = Path(path)
    setup = read_setup(path)
    with open_for_reading(path) as file:
        if "grid/theta" not in file:
            raise InputFileError(f"{path}: not a goldmine results file (no grid/theta); make one with `goldmine evaluate`")
        n_parameters = file["grid/theta"].shape[1]
        histories = {}
        if "histories" in file:
            for method in file["histories"]:
                for member in file[f"histories/{method}"]:
                    histories[f"{method}/{member}"] = json.loads(file[f"histories/{method}/{member}"][()])
        results = Results(
            path=path,
            setup=setup,
            grid=file["grid/theta"][()],
            axes=[file[f"grid/axis_{i}"][()] for i in range(n_parameters)],
            theta_true=file["grid/theta_true"][()],
            fisher=_nested(file, "fisher", 1),
            limits=_nested(file, "limits", 2),
            information_distribution=_nested(file, "information_distribution", 1),
            distributions=_nested(file, "distributions", 1),
            validation=_nested(file, "validation", 1),
            histories=histories,
            background_processes=tuple(json.loads(file.attrs.get("background_processes", "[]"))),
        )
    summary = path.with_suffix(".json")
    if summary.exists():
        results.summary = json.loads(summary.read_text())
    return results
