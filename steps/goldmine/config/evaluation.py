"""The ``evaluation`` section: luminosity, the evaluation point, the θ grid, limit modes, binning."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from goldmine.errors import ConfigError
from goldmine.setup import Benchmark, Observable, Parameter

__all__ = ["Binning", "EvaluationConfig", "HistogramSpec", "build_evaluation"]

#: Grid points per parameter where the config names none.
DEFAULT_GRID_POINTS = 21
PB_PER_FB = 1000.0

#: ``n`` bins of equal expected events (an int) or explicit edges, one array per observable.
Binning = int | tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class HistogramSpec:
    observables: tuple[str, ...]
    bins: Binning

    @property
    def label(self) -> str:
        return "histo:" + ",".join(self.observables)


@dataclass(frozen=True)
class EvaluationConfig:
    """``luminosity`` in pb⁻¹ (the config gives fb⁻¹); ``theta_true`` (P,) is the point of the
    Asimov data and of the Fisher information; ``grid_axes`` one array of θ values per parameter."""

    luminosity: float
    theta_true: tuple[float, ...]
    theta_true_label: str
    reference: str
    grid_axes: tuple[tuple[float, ...], ...]
    modes: tuple[str, ...]
    histograms: tuple[HistogramSpec, ...]
    score_bins: int
    projected_score_bins: int
    information_observable: str
    information_bins: Binning
    batch_size: int
    validation_events: int
    calibrate_ratios: bool = False

    def grid(self) -> np.ndarray:
        """Every grid point, shape (G, P), the last parameter varying fastest."""
        mesh = np.meshgrid(*[np.asarray(axis) for axis in self.grid_axes], indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=-1)


def _binning(raw: int | Sequence[Sequence[float]], n_observables: int, key: str) -> Binning:
    if isinstance(raw, int):
        return raw
    if len(raw) != n_observables:
        raise ConfigError(key, f"give one list of edges per observable ({n_observables}), got {len(raw)}")
    for index, edges in enumerate(raw):
        if np.any(np.diff(edges) <= 0):
            raise ConfigError(f"{key}[{index}]", f"bin edges must increase strictly, got {list(edges)}")
    return tuple(tuple(float(e) for e in edges) for edges in raw)


def _observable(name: str, observables: Sequence[Observable], key: str) -> str:
    known = [o.name for o in observables]
    if name not in known:
        raise ConfigError(key, f"unknown observable {name!r}; known: {', '.join(known)}")
    return name


def build_evaluation(
    raw: Mapping[str, Any],
    parameters: Sequence[Parameter],
    benchmarks: Sequence[Benchmark],
    observables: Sequence[Observable],
) -> EvaluationConfig:
    names = [b.name for b in benchmarks]
    theta_true, label = raw["theta_true"], None
    if theta_true is None or isinstance(theta_true, str):
        label = names[0] if theta_true is None else theta_true
        if label not in names:
            raise ConfigError("evaluation.theta_true", f"unknown benchmark {label!r}; known: {', '.join(names)}")
        theta_true = benchmarks[names.index(label)].values
    elif len(theta_true) != len(parameters):
        raise ConfigError("evaluation.theta_true", f"expected {len(parameters)} values, got {len(theta_true)}")
    reference = raw["reference"] or names[0]
    if reference not in names:
        raise ConfigError("evaluation.reference", f"unknown benchmark {reference!r}; known: {', '.join(names)}")

    parameter_names = [p.name for p in parameters]
    for name in raw["grid"]:
        if name not in parameter_names:
            raise ConfigError(f"evaluation.grid.{name}", f"unknown parameter; known: {', '.join(parameter_names)}")
    axes = []
    for parameter in parameters:
        low, high, points = raw["grid"].get(parameter.name, (*parameter.range, DEFAULT_GRID_POINTS))
        if not (high > low and points >= 2 and float(points).is_integer()):
            raise ConfigError(f"evaluation.grid.{parameter.name}",
                              f"expected [low, high, points] with low < high and an integer points >= 2, "
                              f"got {[low, high, points]}")
        axes.append(tuple(np.linspace(low, high, int(points)).tolist()))

    raw_histograms = raw["histograms"]
    if raw_histograms is None:
        raw_histograms = [{"observables": [observables[0].name], "bins": 10}] if observables else []
    histograms = []
    for index, entry in enumerate(raw_histograms):
        key = f"evaluation.histograms[{index}]"
        chosen = tuple(_observable(n, observables, f"{key}.observables") for n in entry["observables"])
        histograms.append(HistogramSpec(chosen, _binning(entry.get("bins", 10), len(chosen), f"{key}.bins")))

    information_observable = raw["information_observable"] or (observables[0].name if observables else "")
    if observables:
        _observable(information_observable, observables, "evaluation.information_observable")
    return EvaluationConfig(
        luminosity=float(raw["luminosity_fb"]) * PB_PER_FB,
        theta_true=tuple(float(v) for v in theta_true),
        theta_true_label=label or ",".join(f"{v:g}" for v in theta_true),
        reference=reference,
        grid_axes=tuple(axes),
        modes=tuple(raw["modes"]),
        histograms=tuple(histograms),
        score_bins=int(raw["score_bins"]),
        projected_score_bins=int(raw["projected_score_bins"]),
        information_observable=information_observable,
        information_bins=_binning(raw["information_bins"], 1, "evaluation.information_bins"),
        batch_size=int(raw["batch_size"]),
        validation_events=int(raw["validation_events"]),
        calibrate_ratios=bool(raw["calibrate_ratios"]),
    )
