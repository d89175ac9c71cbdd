"""Systematic uncertainties as nuisance parameters (arXiv:1907.10621 sec. IV.C.1), named as
madminer 0.9.6's readers name them, so that its files and ours mean the same.

A ``scale`` systematic with factors (k₋, …, k₊) becomes one nuisance parameter
``<name>_nuisance_param_0``: its ν = +1 benchmark ``<name>_nuisance_param_0_benchmark_0``
holds each event's weight with the scale multiplied by k₊ (the last factor), its ν = −1
benchmark ``…_benchmark_1`` that with k₋ (the first factor), both at the reference
benchmark's θ; a single factor gives a one-sided nuisance. ``mu`` varies the
renormalisation and factorisation scales together, ``mur`` and ``muf`` one of them.
Between and beyond the variations, goldmine.physics.nuisance interpolates.

``norm`` systematics need no per-event weights (goldmine.evaluate.fisher); ``pdf`` ones are
not varied yet (the PDF grids Pythia ships hold central members only).
"""

from __future__ import annotations

from dataclasses import dataclass

from goldmine.setup import Benchmark, NuisanceParameter, Setup, Systematic

__all__ = ["ScaleVariation", "nuisance_setup", "scale_variations"]


@dataclass(frozen=True)
class ScaleVariation:
    """μ_R → ``renormalization`` · μ_R and μ_F → ``factorization`` · μ_F (factors on μ, not μ²)."""

    renormalization: float
    factorization: float


def _factors(systematic: Systematic) -> tuple[float, ...]:
    """k₊ then, for a two-sided systematic, k₋ (madminer's order of the ν = +1, −1 benchmarks)."""
    factors = [float(f) for f in systematic.value.split(",")]
    return (factors[-1],) if len(factors) == 1 else (factors[-1], factors[0])


def _variation(systematic: Systematic, factor: float) -> ScaleVariation:
    return ScaleVariation(factor if systematic.scale in ("mu", "mur") else 1.0,
                          factor if systematic.scale in ("mu", "muf") else 1.0)


def nuisance_setup(systematics: tuple[Systematic, ...],
                   reference: Benchmark) -> tuple[tuple[Benchmark, ...], tuple[NuisanceParameter, ...]]:
    """The nuisance benchmarks (at the ``reference`` benchmark's θ) and nuisance parameters of
    the scale systematics."""
    benchmarks: list[Benchmark] = []
    nuisances = []
    for systematic in (s for s in systematics if s.type == "scale"):
        name = f"{systematic.name}_nuisance_param_0"
        names = [f"{name}_benchmark_{k}" for k in range(len(_factors(systematic)))]
        benchmarks += [Benchmark(b, reference.values, is_nuisance=True) for b in names]
        nuisances.append(NuisanceParameter(name, systematic.name, names[0], names[1] if len(names) > 1 else None))
    return tuple(benchmarks), tuple(nuisances)


def scale_variations(setup: Setup) -> dict[str, ScaleVariation]:
    """Each nuisance benchmark of a scale systematic, and the scale variation its weights hold."""
    systematics = {s.name: s for s in setup.systematics}
    variations = {}
    for nuisance in setup.nuisance_parameters:
        systematic = systematics.get(nuisance.systematic)
        if systematic is None or systematic.type != "scale":
            continue
        for benchmark, factor in zip((nuisance.positive, nuisance.negative), _factors(systematic)):
            if benchmark is not None:
                variations[benchmark] = _variation(systematic, factor)
    return variations
