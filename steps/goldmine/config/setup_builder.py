"""From an analysis config to the physics setup: order the benchmarks, fix the basis, and
add the nuisance benchmarks of the scale systematics (goldmine.systematics)."""

from __future__ import annotations

import dataclasses
import json
import logging

import numpy as np

from goldmine.config.model import AnalysisConfig
from goldmine.errors import ConfigError, MorphingError
from goldmine.physics.basis import expected_squared_weights, optimize_basis
from goldmine.physics.morphing import Morpher, component_labels, find_components
from goldmine.setup import Benchmark, Setup
from goldmine.systematics import nuisance_setup

__all__ = ["OPTIMIZED_BASIS_PREFIX", "build_setup"]

log = logging.getLogger(__name__)

#: Name of the n-th benchmark added by basis optimisation (MadMiner's spelling).
OPTIMIZED_BASIS_PREFIX = "morphing_basis_vector_"


def _source(config: AnalysisConfig) -> str | None:
    return str(config.source) if config.source else None


def build_setup(config: AnalysisConfig, *, rng: np.random.Generator) -> Setup:
    """The setup of ``config``: benchmarks with the morphing basis first, then the rest
    in config order, then the nuisance benchmarks. With ``morphing.optimize``, the basis is
    completed by :func:`goldmine.physics.basis.optimize_basis`, drawing its random starts
    from ``rng``."""
    return _with_nuisances(_physics_setup(config, rng=rng))


def _with_nuisances(setup: Setup) -> Setup:
    """The nuisance benchmarks and parameters of the scale systematics after the physics
    benchmarks, the first of which becomes the reference they vary at."""
    reference = dataclasses.replace(setup.benchmarks[0], is_reference=True)
    benchmarks, nuisances = nuisance_setup(setup.systematics, reference)
    if not nuisances:
        return setup
    return dataclasses.replace(setup, benchmarks=(reference, *setup.benchmarks[1:], *benchmarks),
                               nuisance_parameters=nuisances)


def _physics_setup(config: AnalysisConfig, *, rng: np.random.Generator) -> Setup:
    common = dict(
        parameters=config.parameters,
        systematics=config.systematics,
        observables=config.observables,
        config_json=json.dumps(dict(config.normalized), sort_keys=True),
    )
    if config.morphing is None:
        return Setup(benchmarks=config.benchmarks, **common)

    morphing = config.morphing
    components = find_components([p.max_power for p in config.parameters], morphing.max_overall_power)
    labels = component_labels(components, config.parameter_names)
    basis = [config.benchmark(name) for name in morphing.basis]
    ranges = np.array([p.range for p in config.parameters], dtype=float)

    if morphing.optimize:
        basis = basis + _optimized_points(config, components, basis, ranges, morphing.trials, rng)
    elif len(basis) != len(components):
        fewer = "few" if len(basis) < len(components) else "many"
        msg = (
            f"{len(basis)} benchmarks is too {fewer} for a basis of {len(components)} components "
            f"({', '.join(labels)}); list exactly {len(components)} benchmarks, or set "
            "morphing.optimize: true to complete the basis automatically"
        )
        raise ConfigError("morphing.basis", msg, source=_source(config))

    try:
        morpher = Morpher.from_basis(
            components,
            np.array([b.values for b in basis]),
            benchmark_names=[b.name for b in basis],
            parameter_names=config.parameter_names,
        )
    except MorphingError as err:
        raise ConfigError("morphing.basis", str(err), source=_source(config)) from None
    log.info(
        "morphing: %d components (%s); expected sum of squared weights %.4g",
        len(components),
        ", ".join(labels),
        expected_squared_weights(morpher.basis, components, ranges),
    )
    basis_names = {b.name for b in basis}
    others = tuple(b for b in config.benchmarks if b.name not in basis_names)
    return Setup(benchmarks=tuple(basis) + others, morpher=morpher, **common)


def _optimized_points(
    config: AnalysisConfig,
    components: np.ndarray,
    fixed: list[Benchmark],
    ranges: np.ndarray,
    trials: int,
    rng: np.random.Generator,
) -> list[Benchmark]:
    """New benchmarks that complete the basis around the fixed ones."""
    try:
        optimum = optimize_basis(
            components,
            ranges,
            fixed=np.array([b.values for b in fixed]).reshape(len(fixed), len(config.parameters)),
            n_trials=trials,
            rng=rng,
            fixed_names=[b.name for b in fixed],
        )
    except MorphingError as err:
        raise ConfigError("morphing.basis", str(err), source=_source(config)) from None
    taken = set(config.benchmark_names)
    names = (f"{OPTIMIZED_BASIS_PREFIX}{i}" for i in range(len(taken) + len(components) + 1))
    free_names = [name for name in names if name not in taken][: len(components) - len(fixed)]
    log.info("optimized morphing basis: expected sum of squared weights %.4g", optimum.objective)
    return [
        Benchmark(name, tuple(float(v) for v in point))
        for name, point in zip(free_names, optimum.basis[len(fixed) :])
    ]
