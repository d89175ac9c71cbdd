"""Typed, frozen view of a validated analysis config. Stages never index raw YAML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from goldmine.config.augmentation import AugmentationConfig
from goldmine.config.evaluation import EvaluationConfig
from goldmine.config.training import TrainingConfig
from goldmine.errors import ConfigError
from goldmine.setup import Benchmark, Observable, Parameter, Systematic

__all__ = [
    "AnalysisConfig",
    "BackgroundCards",
    "BackgroundConfig",
    "BuiltinGeneration",
    "DetectorConfig",
    "GenerationConfig",
    "MadgraphGeneration",
    "MorphingConfig",
]


@dataclass(frozen=True)
class MorphingConfig:
    """``basis``: benchmark names of the basis, or with ``optimize`` the fixed part of it."""

    max_overall_power: int
    basis: tuple[str, ...]
    optimize: bool
    trials: int


@dataclass(frozen=True)
class BuiltinGeneration:
    """The built-in Pythia 8 + EWdim6 generator. ``shat_bias``: sampling bias exponent;
    ``electroweak``: whose electroweak inputs (goldmine.generate.electroweak);
    ``pt_hat_min``: the hard process's minimum pT (GeV); ``true_weights``: also write the
    weights with the latent variables summed over (goldmine.generate.wh_likelihood)."""

    w_charge: Literal["plus", "minus", "both"]
    shat_bias: float
    shower: bool
    electroweak: Literal["madgraph", "pythia"] = "madgraph"
    pt_hat_min: float = 0.0
    true_weights: bool = False


@dataclass(frozen=True)
class MadgraphGeneration:
    """Cards for MG5_aMC, as absolute paths resolved against the config's folder."""

    process_card: Path
    run_card: Path
    param_card: Path
    pythia8_card: Path | None
    mg_dir: Path | None
    python: str | None
    shower: bool

    @property
    def cards(self) -> tuple[Path, ...]:
        return tuple(p for p in (self.process_card, self.run_card, self.param_card, self.pythia8_card) if p)


@dataclass(frozen=True)
class GenerationConfig:
    """``beam_energy`` in GeV per beam; one job samples ``events_per_job`` events."""

    backend: Literal["builtin", "madgraph"]
    beam_energy: float
    events_per_job: int
    jobs_per_benchmark: int
    sampling_benchmarks: tuple[str, ...]
    master_seed: int
    builtin: BuiltinGeneration
    madgraph: MadgraphGeneration | None


@dataclass(frozen=True)
class BackgroundCards:
    """MG5_aMC cards of a background (absolute paths); no ``param_card``: the model's own."""

    process_card: Path
    run_card: Path
    param_card: Path | None

    @property
    def cards(self) -> tuple[Path, ...]:
        return tuple(p for p in (self.process_card, self.run_card, self.param_card) if p)


@dataclass(frozen=True)
class BackgroundConfig:
    """A θ-independent process generated beside the signal: ``jobs`` jobs of
    ``events_per_job`` events, either of the built-in ``process`` (with Pythia's
    ``PhaseSpace:pTHatMin`` = ``pt_hat_min`` GeV and more Pythia settings) or of
    MadGraph's ``madgraph`` cards (generation cuts in its run card)."""

    name: str
    backend: Literal["builtin", "madgraph"]
    process: str | None
    madgraph: BackgroundCards | None
    events_per_job: int
    jobs: int
    pt_hat_min: float
    pythia_settings: tuple[str, ...]


@dataclass(frozen=True)
class DetectorConfig:
    backend: Literal["delphes", "builtin", "parton", "none"]
    card: Path | None


@dataclass(frozen=True)
class AnalysisConfig:
    """A validated analysis. ``normalized`` is the config with defaults filled (JSON-ready);
    ``digest`` its stable hash, recorded in every output's provenance."""

    name: str
    description: str
    parameters: tuple[Parameter, ...]
    benchmarks: tuple[Benchmark, ...]
    morphing: MorphingConfig | None
    systematics: tuple[Systematic, ...]
    generation: GenerationConfig | None  # None: the events are brought, not generated
    backgrounds: tuple[BackgroundConfig, ...]
    detector: DetectorConfig
    observables: tuple[Observable, ...]
    cuts: tuple[str, ...]
    efficiencies: tuple[str, ...]
    augmentation: AugmentationConfig
    training: TrainingConfig
    evaluation: EvaluationConfig
    normalized: Mapping[str, Any]
    digest: str
    source: Path | None = None

    @property
    def parameter_names(self) -> list[str]:
        return [p.name for p in self.parameters]

    @property
    def benchmark_names(self) -> list[str]:
        return [b.name for b in self.benchmarks]

    def benchmark(self, name: str) -> Benchmark:
        return self.benchmarks[self.benchmark_names.index(name)]

    def generated(self, what: str) -> GenerationConfig:
        """The generation section, or ConfigError saying that ``what`` needs one."""
        if self.generation is None:
            where = self.source or "the config"
            raise ConfigError("generation", f"{where} has no generation section (its events are brought, not "
                                            f"generated); {what} needs one")
        return self.generation

    def background(self, name: str, key: str = "--background") -> BackgroundConfig:
        """The background called ``name``; ConfigError naming ``key`` when there is none."""
        for background in self.backgrounds:
            if background.name == name:
                return background
        known = ", ".join(b.name for b in self.backgrounds) or "none"
        where = self.source or "the config"
        raise ConfigError(key, f"{name!r} is not a background of {where} (backgrounds: {known})")

    @property
    def input_files(self) -> tuple[Path, ...]:
        """Files the config refers to (cards), for provenance checksums."""
        files = list(self.generation.madgraph.cards) if self.generation and self.generation.madgraph else []
        files += [card for background in self.backgrounds if background.madgraph for card in background.madgraph.cards]
        if self.detector.card is not None:
            files.append(self.detector.card)
        return tuple(files)
