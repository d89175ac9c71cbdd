"""The physics setup every stage shares: parameters, benchmarks, morphing, systematics.

Built once by ``configure`` from the analysis config and stored in ``setup.h5`` with
MadMiner's dataset names (:mod:`goldmine.io.setup_file`); later stages read it back.
Benchmarks are ordered with the morphing basis first, as MadMiner expects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from goldmine.physics.morphing import Morpher

__all__ = ["Benchmark", "NuisanceParameter", "Observable", "Parameter", "Setup", "Systematic"]

SystematicType = Literal["norm", "scale", "pdf", "pdf_set"]
ScaleChoice = Literal["mu", "mur", "muf"]


@dataclass(frozen=True)
class Parameter:
    """A parameter of interest θ_p, set in the param card at (``lha_block``, ``lha_id``).

    ``range`` (low, high) is the region of interest in the parameter's own units;
    ``transform`` maps ``theta`` to the param-card value (None = identity).
    """

    name: str
    lha_block: str
    lha_id: int
    max_power: int
    range: tuple[float, float]
    transform: str | None = None


@dataclass(frozen=True)
class Benchmark:
    """A named parameter point; ``values`` follow the order of the setup's parameters."""

    name: str
    values: tuple[float, ...]
    is_nuisance: bool = False
    is_reference: bool = False


@dataclass(frozen=True)
class Systematic:
    """A systematic uncertainty, as MadMiner declares them: ``norm`` (value = the factor of
    a +1σ shift, e.g. 1.1), ``scale`` (value = comma-separated factors, ``scale`` names the
    scale varied) or ``pdf`` (value = the PDF set whose members are varied); goldmine adds
    ``pdf_set`` (value = another PDF set, which the +1σ variation uses instead)."""

    name: str
    type: SystematicType
    value: str
    scale: ScaleChoice | None = None


@dataclass(frozen=True)
class NuisanceParameter:
    """A shape nuisance ν of the systematic ``systematic``, as MadMiner declares it: its event
    weights at ν = +1 are the column of benchmark ``positive``, at ν = −1 that of ``negative``
    (None: only the +1 variation), both at the reference benchmark's θ
    (goldmine.physics.nuisance)."""

    name: str
    systematic: str
    positive: str
    negative: str | None = None


@dataclass(frozen=True)
class Observable:
    """An observable: a whitelisted expression evaluated on reconstructed objects."""

    name: str
    definition: str
    default: float | None = None
    required: bool = False


@dataclass(frozen=True, eq=False)
class Setup:
    """Parameters, benchmarks (basis first, nuisance benchmarks last), morphing, systematics,
    observables, and the shape nuisances whose benchmarks the event weights carry."""

    parameters: tuple[Parameter, ...]
    benchmarks: tuple[Benchmark, ...]
    morpher: Morpher | None = None
    systematics: tuple[Systematic, ...] = ()
    observables: tuple[Observable, ...] = ()
    config_json: str | None = field(default=None, repr=False)
    nuisance_parameters: tuple[NuisanceParameter, ...] = ()

    @property
    def parameter_names(self) -> list[str]:
        return [p.name for p in self.parameters]

    @property
    def benchmark_names(self) -> list[str]:
        return [b.name for b in self.benchmarks]

    @property
    def benchmark_values(self) -> np.ndarray:
        """θ of every benchmark, shape (B, P)."""
        return np.array([b.values for b in self.benchmarks], dtype=float).reshape(
            len(self.benchmarks), len(self.parameters)
        )

    @property
    def parameter_ranges(self) -> np.ndarray:
        """(P, 2): low and high of each parameter's range."""
        return np.array([p.range for p in self.parameters], dtype=float).reshape(len(self.parameters), 2)

    @property
    def reference_index(self) -> int:
        """The reference benchmark's index: the one flagged (a setup with nuisance parameters
        has one: goldmine.io.setup_file), else the first."""
        return next((i for i, b in enumerate(self.benchmarks) if b.is_reference), 0)

    def benchmark_index(self, name: str) -> int:
        try:
            return self.benchmark_names.index(name)
        except ValueError:
            msg = f"unknown benchmark {name!r}; the setup has {', '.join(self.benchmark_names)}"
            raise KeyError(msg) from None

    def first_mismatch(self, other: Setup) -> str | None:
        """Where ``other`` differs from this setup (parameters, benchmarks, morphing,
        observables), or None when both describe the same analysis."""
        checks = [
            ("parameter names", self.parameter_names, other.parameter_names),
            ("parameter ranges", self.parameter_ranges.tolist(), other.parameter_ranges.tolist()),
            ("benchmark names", self.benchmark_names, other.benchmark_names),
            ("benchmark values", self.benchmark_values.tolist(), other.benchmark_values.tolist()),
            ("observables", [o.name for o in self.observables], [o.name for o in other.observables]),
            ("nuisance parameters", list(self.nuisance_parameters), list(other.nuisance_parameters)),
        ]
        for what, mine, theirs in checks:
            if mine != theirs:
                return f"{what} differ: {mine} vs {theirs}"
        if (self.morpher is None) != (other.morpher is None):
            return "one has morphing and the other not"
        if self.morpher is not None and other.morpher is not None:
            if not np.array_equal(self.morpher.components, other.morpher.components):
                return "morphing components differ"
            if not np.allclose(self.morpher.matrix, other.morpher.matrix, rtol=1e-10, atol=0.0):
                return "morphing matrices differ"
        return None

    def benchmark_weights(self, theta: np.ndarray) -> np.ndarray:
        """Morphing weights over all B benchmarks (zero beyond the basis).

        θ (n, P) → (n, B); θ (P,) → (B,).
        """
        if self.morpher is None:
            msg = "this setup has no morphing"
            raise ValueError(msg)
        basis_weights = self.morpher.weights(theta)
        padding = [(0, 0)] * (basis_weights.ndim - 1) + [(0, len(self.benchmarks) - basis_weights.shape[-1])]
        return np.pad(basis_weights, padding)
