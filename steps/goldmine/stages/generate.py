"""``goldmine generate``: one generation job → events.lhe.gz, events.hepmc.gz, generate.json."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from goldmine.config.loader import load_config
from goldmine.errors import ConfigError, GoldmineError
from goldmine.io.provenance import Provenance
from goldmine.io.setup_file import read_setup

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
              help="Override the config's generation.backend.")
@click.option("--mg5", type=click.Path(exists=True, path_type=Path), default=None,
              help="mg5_aMC executable or MG5_aMC folder (else MG5_HOME, else PATH).")
@click.option("--mg5-python", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Python that runs MG5_aMC, with numpy < 1.26 (else generation.madgraph.python, else "
                   "MG5_PYTHON, else python3 on PATH outside goldmine's environment).")
def generate(setup_path: Path, config: Path, benchmark: str | None, background: str | None, seed: int, n_events: int,
             output: Path, backend: str | None, mg5: Path | None, mg5_python: Path | None) -> None:
    """Generate one job's events at a sampling benchmark, with weights at every benchmark,
    or of a background (the same weight at every benchmark)."""
    from goldmine.generate.run import (
        BackgroundJobSpec,
        GenerationJobSpec,
        run_background_job,
        run_builtin_job,
        run_madgraph_job,
    )

    if (benchmark is None) == (background is None):
        raise click.UsageError("give --benchmark (a signal job) or --background (a background job), not both"
                               if background else "give --benchmark (a signal job) or --background (a background job)")
    analysis = load_config(config)
    setup = read_setup(setup_path)
    if background is not None:
        if background not in [b.name for b in analysis.backgrounds]:
            known = ", ".join(b.name for b in analysis.backgrounds) or "none"
            raise ConfigError("--background", f"{background!r} is not a background of {config} (backgrounds: {known})")
        entry = analysis.background(background)
        _check_writable(output)
        provenance = Provenance.capture(config_hash=analysis.digest, seeds={"seed": seed},
                                        input_paths=[setup_path, config])
        generation = analysis.generation
        # showered as the signal is, so that both reach the detector alike
        shower = generation.madgraph.shower if generation.backend == "madgraph" and generation.madgraph else \
            generation.builtin.shower
        spec = BackgroundJobSpec(entry.name, entry.process, seed, n_events, generation.beam_energy, shower,
                                 entry.pt_hat_min, entry.pythia_settings)
        summary = run_background_job(setup, spec, output, provenance=provenance)
        log.info("wrote %s: %d events of background %s, sigma = %.5g +- %.2g pb", output, n_events, background,
                 summary["cross_section_pb"]["value"], summary["cross_section_pb"]["error"])
        return
    if benchmark not in setup.benchmark_names:
        raise ConfigError("--benchmark", f"{benchmark!r} is not a benchmark of {setup_path} "
                                         f"({', '.join(setup.benchmark_names)})")
    _check_writable(output)
    generation = analysis.generation
    backend = backend or generation.backend
    provenance = Provenance.capture(config_hash=analysis.digest, seeds={"seed": seed}, input_paths=[setup_path, config])
    if backend == "builtin":
        spec = GenerationJobSpec(benchmark, seed, n_events, generation.beam_energy, generation.builtin.shower)
        summary = run_builtin_job(setup, spec, output, w_charge=generation.builtin.w_charge,
                                  shat_bias=generation.builtin.shat_bias, provenance=provenance)
    else:
        from goldmine.generate.madgraph import MadgraphCards, Mg5, find_mg5, find_mg5_python

        settings = generation.madgraph
        if settings is None:
            raise ConfigError("generation.madgraph", "the madgraph backend needs process_card, run_card and param_card")
        executable = Mg5(find_mg5(mg5 or settings.mg_dir), find_mg5_python(mg5_python or settings.python))
        log.info("MadGraph5_aMC %s runs on %s", executable.executable, executable.python)
        spec = GenerationJobSpec(benchmark, seed, n_events, generation.beam_energy, settings.shower)
        templates = MadgraphCards(settings.process_card, settings.run_card, settings.param_card)
        summary = run_madgraph_job(setup, spec, output, mg5=executable, templates=templates, provenance=provenance)
    cross_section = summary["cross_section_pb"]
    log.info("wrote %s: %d events at %s, sigma = %.5g +- %.2g pb (%s)", output, n_events, benchmark,
             cross_section["value"], cross_section["error"], backend)
