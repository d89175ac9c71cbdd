"""``goldmine generate``: one generation job → events.lhe.gz, events.hepmc.gz, generate.json
(:func:`goldmine.api.generate`)."""

from __future__ import annotations

from pathlib import Path

import click

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


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
    from goldmine.api import generate as generate_job

    generate_job(setup_path, config, output, seed=seed, events=n_events, benchmark=benchmark, background=background,
                 backend=backend, mg5=mg5, mg5_python=mg5_python)
