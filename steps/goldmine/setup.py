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

__all__ = ["Benchmark", "Observable", "Parameter", "Setup", "Systematic"]

SystematicType = Literal["norm", "scale", "pdf"]
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
    """A systematic uncertainty, as MadMiner declares them: ``norm`` (value = relative
    size of a +1σ shift, e.g. 0.1), ``scale`` (value = comma-separated factors, ``scale``
    names the scale varied) or ``pdf`` (value = the PDF set to vary over)."""

    name: str
    type: SystematicType
    value: str
    scale: ScaleChoice | None = None


@dataclass(frozen=True)
class Observable:
    """An observable: a whitelisted expression evaluated on reconstructed objects."""

    name: str
    definition: str
    default: float | None = None
    required: bool = False


@dataclass(frozen=True, eq=False)
class Setup:
    """Parameters, benchmarks (basis first), morphing, systematics and observables."""

    parameters: tuple[Parameter, ...]
    benchmarks: tuple[Benchmark, ...]
    morpher: Morpher | None = None
    systematics: tuple[Systematic, ...] = ()
    observables: tuple[Observable, ...] = ()
    config_json: str | None = field(default=None, repr=False)

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

    def benchmark_index(self, name: str) -> int:
        try:
            return self.benchmark_names.index(name)
        except ValueError:
            msg = f"unknown benchmark {name!r}; the setup has {', '.join(self.benchmark_names)}"
            raise KeyError(msg) from None

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
