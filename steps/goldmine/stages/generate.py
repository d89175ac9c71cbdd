"""``goldmine generate``: one generation job → events.lhe.gz, events.hepmc.gz, generate.json."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import click

from goldmine.config.loader import load_config
from goldmine.config.model import AnalysisConfig, BackgroundConfig
from goldmine.errors import ConfigError, GoldmineError
from goldmine.io.provenance import Provenance
from goldmine.io.setup_file import read_setup
from goldmine.setup import Setup

log = logging.getLogger(__name__)

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _check_writable(output: Path) -> None:
    parent = output.parent if output.parent != Path("") else Path(".")
    existing = next((p for p in (parent, *parent.parents) if p.exists()), Path("/"))
    if not os.access(existing, os.W_OK | os.X_OK):
        raise GoldmineError(f"{output}: cannot create the output directory ({existing} is not writable)")


@click.command()
@click.option("--setup", "setup_path", required=True, type=_FILE, help="setup.h5 written by configure.")
@click.option("--config", required=True, type=_FILE, help="Analysis config (generation settings, MadGraph cards).")
@click.option("--benchmark", default=None, help="Sampling benchmark of this (signal) job.")
@click.option("--background", default=None, help="Background of the config (backgrounds[].name) this job generates.")
@click.option("--seed", required=True, type=click.IntRange(min=1, max=900_000_000), help="Seed of this job.")
@click.option("--events", "n_events", required=True, type=click.IntRange(min=1), help="Number of events.")
@click.option("--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Job folder to create (must not exist or be empty).")
@click.option("--backend", type=click.Choice(["builtin", "madgraph"]), default=None,
              help="Override the config's generation.backend (signal jobs).")
@click.option("--mg5", type=click.Path(exists=True, path_type=Path), default=None,
              help="mg5_aMC executable or MG5_aMC folder (else MG5_HOME, else PATH).")
@click.option("--mg5-python", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Python that runs MG5_aMC, with numpy < 1.26 (else generation.madgraph.python, else "
                   "MG5_PYTHON, else python3 on PATH outside goldmine's environment).")
def generate(setup_path: Path, config: Path, benchmark: str | None, background: str | None, seed: int, n_events: int,
             output: Path, backend: str | None, mg5: Path | None, mg5_python: Path | None) -> None:
    """Generate one job's events at a sampling benchmark, with weights at every benchmark,
    or of a background (the same weight at every benchmark)."""
    if (benchmark is None) == (background is None):
        raise click.UsageError("give --benchmark (a signal job) or --background (a background job)"
                               + (", not both" if background else ""))
    if background is not None and backend is not None:
        raise click.UsageError("--backend chooses the signal's generator; a background's is its config entry's "
                               "backgrounds[].backend")
    analysis = load_config(config)
    setup = read_setup(setup_path)
    if background is not None:
        entry = analysis.background(background)
    elif benchmark not in setup.benchmark_names:
        raise ConfigError("--benchmark", f"{benchmark!r} is not a benchmark of {setup_path} "
                                         f"({', '.join(setup.benchmark_names)})")
    _check_writable(output)
    provenance = Provenance.capture(config_hash=analysis.digest, seeds={"seed": seed}, input_paths=[setup_path, config])
    if background is not None:
        summary = _background_job(analysis, setup, entry, seed, n_events, output, mg5, mg5_python, provenance)
    else:
        summary = _signal_job(analysis, setup, benchmark, seed, n_events, output, backend or analysis.generation.backend,
                              mg5, mg5_python, provenance)
    cross_section = summary["cross_section_pb"]
    log.info("wrote %s: %d events of %s, sigma = %.5g +- %.2g pb (%s)", output, n_events, background or benchmark,
             cross_section["value"], cross_section["error"], summary["backend"])


def _signal_job(analysis: AnalysisConfig, setup: Setup, benchmark: str, seed: int, n_events: int, output: Path,
                backend: str, mg5: Path | None, mg5_python: Path | None, provenance: Provenance) -> dict[str, Any]:
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
                    output: Path, mg5: Path | None, mg5_python: Path | None, provenance: Provenance) -> dict[str, Any]:
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


def _mg5(analysis: AnalysisConfig, mg5: Path | None, mg5_python: Path | None) -> Any:
    """MG5_aMC and its Python: the command line's, else the config's generation.madgraph
    (for signal and backgrounds alike), else the environment's."""
    from goldmine.generate.madgraph import Mg5, find_mg5, find_mg5_python

    settings = analysis.generation.madgraph
    executable = Mg5(find_mg5(mg5 or (settings.mg_dir if settings else None)),
                     find_mg5_python(mg5_python or (settings.python if settings else None)))
    log.info("MadGraph5_aMC %s runs on %s", executable.executable, executable.python)
    return executable
