"""Systematic uncertainties as nuisance parameters (arXiv:1907.10621 sec. IV.C.1), named as
madminer 0.9.6's readers name them, so that its files and ours mean the same.

A ``scale`` systematic with factors (k₋, …, k₊) becomes one nuisance parameter
``<name>_nuisance_param_0``: its ν = +1 benchmark ``<name>_nuisance_param_0_benchmark_0``
holds each event's weight with the scale multiplied by k₊ (the last factor), its ν = −1
benchmark ``…_benchmark_1`` that with k₋ (the first factor), both at the reference
benchmark's θ; a single factor gives a one-sided nuisance. ``mu`` varies the
renormalisation and factorisation scales together, ``mur`` and ``muf`` one of them.
Between and beyond the variations, goldmine.physics.nuisance interpolates.

A ``pdf_set`` systematic naming another PDF set becomes a one-sided nuisance whose ν = +1
benchmark holds each event's weight with that set in place of the one Pythia sampled with:
a variation between two named sets, not a PDF uncertainty (that needs a set's error
members, and the PDF grids shipped with Pythia hold central members only).

``norm`` systematics need no per-event weights (goldmine.evaluate.fisher).
"""

from __future__ import annotations

from dataclasses import dataclass

from goldmine.setup import Benchmark, NuisanceParameter, Setup, Systematic

__all__ = ["VARIED", "Variation", "nuisance_setup", "variations"]

#: The systematics whose nuisances have benchmarks of their own (per-event weights).
VARIED = ("scale", "pdf_set")


@dataclass(frozen=True)
class Variation:
    """What a nuisance benchmark's weights hold: μ_R → ``renormalization`` · μ_R and
    μ_F → ``factorization`` · μ_F (factors on μ, not μ²), and ``pdf_set`` in place of the
    generator's PDF where given."""

    renormalization: float = 1.0
    factorization: float = 1.0
    pdf_set: str | None = None


def _variations(systematic: Systematic) -> tuple[Variation, ...]:
    """The ν = +1 variation, then for a two-sided systematic the ν = −1 one: for a scale
    systematic k₊ (the last factor) and k₋ (the first), madminer's order."""
    if systematic.type == "pdf_set":
        return (Variation(pdf_set=systematic.value),)
    factors = [float(f) for f in systematic.value.split(",")]
    signed = (factors[-1],) if len(factors) == 1 else (factors[-1], factors[0])
    return tuple(Variation(k if systematic.scale in ("mu", "mur") else 1.0,
                           k if systematic.scale in ("mu", "muf") else 1.0) for k in signed)


def nuisance_setup(systematics: tuple[Systematic, ...],
                   reference: Benchmark) -> tuple[tuple[Benchmark, ...], tuple[NuisanceParameter, ...]]:
    """The nuisance benchmarks (at the ``reference`` benchmark's θ) and nuisance parameters of
    the scale and PDF-set systematics."""
    benchmarks: list[Benchmark] = []
    nuisances = []
    for systematic in (s for s in systematics if s.type in VARIED):
        name = f"{systematic.name}_nuisance_param_0"
        names = [f"{name}_benchmark_{k}" for k in range(len(_variations(systematic)))]
        benchmarks += [Benchmark(b, reference.values, is_nuisance=True) for b in names]
        nuisances.append(NuisanceParameter(name, systematic.name, names[0], names[1] if len(names) > 1 else None))
    return tuple(benchmarks), tuple(nuisances)


def variations(setup: Setup) -> dict[str, Variation]:
    """Each nuisance benchmark of a scale or PDF-set systematic, and the variation its weights hold."""
    systematics = {s.name: s for s in setup.systematics}
    out = {}
    for nuisance in setup.nuisance_parameters:
        systematic = systematics.get(nuisance.systematic)
        if systematic is None or systematic.type not in VARIED:
            continue
        for benchmark, variation in zip((nuisance.positive, nuisance.negative), _variations(systematic)):
            if benchmark is not None:
                out[benchmark] = variation
    return out
