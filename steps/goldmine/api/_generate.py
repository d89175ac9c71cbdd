"""generate: one generation job (signal at a sampling benchmark, or a background) →
events.lhe.gz, events.hepmc.gz and generate.json in a new folder."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from goldmine.config.loader import load_config
from goldmine.config.model import AnalysisConfig, BackgroundConfig
from goldmine.errors import ConfigError, GoldmineError, UsageError
from goldmine.io.provenance import Provenance
from goldmine.io.setup_file import read_setup
from goldmine.setup import Setup

__all__ = ["generate"]

log = logging.getLogger(__name__)


def generate(setup: str | Path, config: str | Path, output: str | Path, *, seed: int, events: int,
             benchmark: str | None = None, background: str | None = None, backend: str | None = None,
             mg5: str | Path | None = None, mg5_python: str | Path | None = None) -> dict[str, Any]:
    """Generate ``events`` events with ``seed`` into the new folder ``output``: sampled at
    the setup's ``benchmark``, with weights at every benchmark, or of the config's
    ``background`` (the same weight at every benchmark). ``backend`` (``builtin`` or
    ``madgraph``) overrides the config's for a signal job; ``mg5`` and ``mg5_python``
    name MG5_aMC and its Python (else the config's, else the environment's). Returns
    generate.json's content: σ (pb), weight names, versions, provenance."""
    setup_path, config, output = Path(setup), Path(config), Path(output)
    if (benchmark is None) == (background is None):
        raise UsageError("give --benchmark (a signal job) or --background (a background job)"
                         + (", not both" if background else ""))
    if background is not None and backend is not None:
        raise UsageError("--backend chooses the signal's generator; a background's is its config entry's "
                         "backgrounds[].backend")
    analysis = load_config(config)
    analysis.generated("generate")
    loaded = read_setup(setup_path)
    if background is not None:
        entry = analysis.background(background)
    elif benchmark not in loaded.benchmark_names:
        raise ConfigError("--benchmark", f"{benchmark!r} is not a benchmark of {setup_path} "
                                         f"({', '.join(loaded.benchmark_names)})")
    _check_writable(output)
    mg5 = None if mg5 is None else Path(mg5)
    provenance = Provenance.capture(config_hash=analysis.digest, seeds={"seed": seed},
                                    input_paths=[setup_path, config])
    if background is not None:
        summary = _background_job(analysis, loaded, entry, seed, events, output, mg5, mg5_python, provenance)
    else:
        summary = _signal_job(analysis, loaded, benchmark, seed, events, output, backend or analysis.generation.backend,
                              mg5, mg5_python, provenance)
    cross_section = summary["cross_section_pb"]
    log.info("wrote %s: %d events of %s, sigma = %.5g +- %.2g pb (%s)", output, events, background or benchmark,
             cross_section["value"], cross_section["error"], summary["backend"])
    return summary


def _check_writable(output: Path) -> None:
    parent = output.parent if output.parent != Path("") else Path(".")
    existing = next((p for p in (parent, *parent.parents) if p.exists()), Path("/"))
    if not os.access(existing, os.W_OK | os.X_OK):
        raise GoldmineError(f"{output}: cannot create the output directory ({existing} is not writable)")


def _signal_job(analysis: AnalysisConfig, setup: Setup, benchmark: str, seed: int, n_events: int, output: Path,
                backend: str, mg5: Path | None, mg5_python: str | Path | None,
                provenance: Provenance) -> dict[str, Any]:
    """Events sampled at ``benchmark`` by the built-in generator or MadGraph."""
    from goldmine.generate.madgraph import MadgraphCards
    from goldmine.generate.run import GenerationJobSpec, run_builtin_job, run_madgraph_job

    generation = analysis.generation
    if backend == "builtin":
        spec = GenerationJobSpec(benchmark, seed, n_events, generation.beam_energy, generation.builtin.shower)
        return run_builtin_job(setup, spec, output, w_charge=generation.builtin.w_charge,
                               shat_bias=generation.builtin.shat_bias, electroweak=generation.builtin.electroweak,
                               pt_hat_min=generation.builtin.pt_hat_min,
                               true_weights=generation.builtin.true_weights, provenance=provenance)
    settings = generation.madgraph
    if settings is None:
        raise ConfigError("generation.madgraph", "the madgraph backend needs process_card, run_card and param_card")
    spec = GenerationJobSpec(benchmark, seed, n_events, generation.beam_energy, settings.shower)
    templates = MadgraphCards(settings.process_card, settings.run_card, settings.param_card)
    return run_madgraph_job(setup, spec, output, mg5=_mg5(analysis, mg5, mg5_python), templates=templates,
                            provenance=provenance)


def _background_job(analysis: AnalysisConfig, setup: Setup, background: BackgroundConfig, seed: int, n_events: int,
                    output: Path, mg5: Path | None, mg5_python: str | Path | None,
                    provenance: Provenance) -> dict[str, Any]:
    """Events of a background process, showered as the signal's are (so that both reach
    the detector alike)."""
    from goldmine.generate.madgraph import MadgraphCards
    from goldmine.generate.run import BackgroundJobSpec, run_background_job, run_madgraph_background_job

    generation = analysis.generation
    madgraph = generation.madgraph if generation.backend == "madgraph" else None
    shower = madgraph.shower if madgraph is not None else generation.builtin.shower
    spec = BackgroundJobSpec(background.name, seed, n_events, generation.beam_energy, shower)
    if background.backend == "builtin":
        return run_background_job(setup, spec, output, process=background.process, pt_hat_min=background.pt_hat_min,
                                  pythia_settings=background.pythia_settings, provenance=provenance)
    cards = background.madgraph
    templates = MadgraphCards(cards.process_card, cards.run_card, cards.param_card)
    return run_madgraph_background_job(setup, spec, output, mg5=_mg5(analysis, mg5, mg5_python), templates=templates,
                                       provenance=provenance)


def _mg5(analysis: AnalysisConfig, mg5: Path | None, mg5_python: str | Path | None) -> Any:
    """MG5_aMC and its Python: the caller's, else the config's generation.madgraph (for
    signal and backgrounds alike), else the environment's."""
    from goldmine.generate.madgraph import Mg5, find_mg5, find_mg5_python

    settings = analysis.generation.madgraph
    executable = Mg5(find_mg5(mg5 or (settings.mg_dir if settings else None)),
                     find_mg5_python(mg5_python or (settings.python if settings else None)))
    log.info("MadGraph5_aMC %s runs on %s", executable.executable, executable.python)
    return executable
