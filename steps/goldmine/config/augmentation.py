"""The ``augmentation`` section: partitions, sizes and the parameter points per sampler."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from goldmine.errors import ConfigError
from goldmine.setup import Benchmark, Parameter
from goldmine.thetas import Prior, ThetaSpec

__all__ = ["AugmentationConfig", "build_augmentation"]

#: The default number of random points where a sampler needs a θ distribution.
DEFAULT_RANDOM_POINTS = 1000


@dataclass(frozen=True)
class AugmentationConfig:
    """Sizes, event-index partitions and the θ specifications of every sampler
    (``thetas[sampler][name]``, e.g. ``thetas["ratio"]["theta0"]``)."""

    n_samples: int
    n_validation_samples: int | None
    n_test_samples: int
    validation_fraction: float
    test_fraction: float
    sample_only_from_closest_benchmark: bool
    #: how the samples of several sampling benchmarks weigh together (goldmine.events.mixture)
    mixture_weights: str
    #: the local sampler's rows: "drawn" by weight, or "weighted" (every event once, with its weight)
    score_rows: str
    #: which events the estimators learn from: "all" (the mixture) or "signal" (the signal alone)
    processes: str
    max_weight_ratio: float | None
    min_effective_events: float
    thetas: Mapping[str, Mapping[str, ThetaSpec]]


def _spec(
    raw: Mapping[str, Any] | None,
    default: str,
    parameters: Sequence[Parameter],
    benchmarks: Sequence[Benchmark],
    key: str,
) -> ThetaSpec:
    """A ThetaSpec from its config form; ``default`` is ``benchmark`` (the first
    benchmark) or ``random`` (flat over every range) for a null specification."""
    names = [b.name for b in benchmarks]
    n_parameters = len(parameters)
    if raw is None:
        if default == "benchmark":
            return ThetaSpec("benchmark", (benchmarks[0].values,), (benchmarks[0].name,))
        flat = tuple(Prior("flat", *p.range) for p in parameters)
        return ThetaSpec("random", n=DEFAULT_RANDOM_POINTS, priors=flat)
    kind, value = next(iter(raw.items()))
    if kind in ("benchmark", "benchmarks"):
        chosen = [value] if kind == "benchmark" else list(value)
        for index, name in enumerate(chosen):
            if name not in names:
                where = f"{key}.{kind}" + ("" if kind == "benchmark" else f"[{index}]")
                raise ConfigError(where, f"unknown benchmark {name!r}; known: {', '.join(names)}")
        return ThetaSpec(kind, tuple(benchmarks[names.index(n)].values for n in chosen), tuple(chosen))
    if kind in ("point", "points"):
        points = [value] if kind == "point" else list(value)
        for index, point in enumerate(points):
            if len(point) != n_parameters:
                where = f"{key}.{kind}" + ("" if kind == "point" else f"[{index}]")
                raise ConfigError(where, f"expected {n_parameters} values (one per parameter), got {len(point)}")
        return ThetaSpec(kind, tuple(tuple(float(v) for v in p) for p in points))
    parameter_names = [p.name for p in parameters]
    for name in value.get("prior", {}) if kind == "random" else value:
        if name not in parameter_names:
            raise ConfigError(f"{key}.{kind}.{name}", f"unknown parameter {name!r}; known: {', '.join(parameter_names)}")
    if kind == "random":
        priors = []
        for parameter in parameters:
            prior_kind, (a, b) = next(iter(value["prior"].get(parameter.name, {"flat": parameter.range}).items()))
            if (prior_kind == "flat" and not a < b) or (prior_kind == "gaussian" and not b > 0):
                need = "low < high" if prior_kind == "flat" else "a positive standard deviation"
                raise ConfigError(f"{key}.random.prior.{parameter.name}", f"{prior_kind} prior needs {need}, got [{a}, {b}]")
            priors.append(Prior(prior_kind, float(a), float(b)))
        return ThetaSpec("random", n=value["n"], priors=tuple(priors))
    missing = [name for name in parameter_names if name not in value]
    if missing:
        raise ConfigError(f"{key}.grid", f"no axis for parameter {', '.join(missing)}")
    return ThetaSpec("grid", grid=tuple((float(value[n][0]), float(value[n][1]), int(value[n][2])) for n in parameter_names))


_SAMPLER_DEFAULTS = {
    "local": {"theta": "benchmark"},
    "ratio": {"theta0": "random", "theta1": "benchmark"},
    "more_ratios": {"theta0": "random", "theta1": "random"},
    "density": {"theta": "random"},
    "test": {"theta": "benchmark"},
    "plain": {"theta": "benchmark"},
}


def build_augmentation(
    raw: Mapping[str, Any], parameters: Sequence[Parameter], benchmarks: Sequence[Benchmark]
) -> AugmentationConfig:
    if raw["validation_fraction"] + raw["test_fraction"] >= 1.0:
        msg = (
            f"validation_fraction + test_fraction must leave events for training, got "
            f"{raw['validation_fraction']} + {raw['test_fraction']}"
        )
        raise ConfigError("augmentation.test_fraction", msg)
    thetas = {
        sampler: {
            name: _spec(raw[sampler][name], default, parameters, benchmarks, f"augmentation.{sampler}.{name}")
            for name, default in defaults.items()
        }
        for sampler, defaults in _SAMPLER_DEFAULTS.items()
    }
    return AugmentationConfig(
        n_samples=raw["n_samples"],
        n_validation_samples=raw["n_validation_samples"],
        n_test_samples=raw["n_test_samples"],
        validation_fraction=raw["validation_fraction"],
        test_fraction=raw["test_fraction"],
        sample_only_from_closest_benchmark=raw["sample_only_from_closest_benchmark"],
        mixture_weights=raw["mixture_weights"],
        score_rows=raw["score_rows"],
        processes=raw["processes"],
        max_weight_ratio=raw["max_weight_ratio"],
        min_effective_events=raw["min_effective_events"],
        thetas=thetas,
    )
