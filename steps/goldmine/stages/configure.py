"""``goldmine configure``: analysis config → setup.h5 and the generation plan
(:func:`goldmine.api.configure`)."""

from __future__ import annotations

from pathlib import Path

import click

from goldmine.stages.options import seed_option


@click.command()
@click.argument("config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("setup.h5"), show_default=True,
    help="Setup file to write (HDF5, MadMiner layout).",
)
@click.option(
    "--plan", type=click.Path(dir_okay=False, path_type=Path), default=Path("plan.yml"), show_default=True,
    help="Generation plan to write (YAML).",
)
@click.option(
    "--events", "events_per_job", type=click.IntRange(min=0), default=None,
    help="Events per generation job; overrides generation.events_per_job of the config (0: keep it).",
)
@seed_option("Master seed; overrides generation.master_seed of the config.")
def configure(config: Path, output: Path, plan: Path, events_per_job: int | None, seed: int | None) -> None:
    """Validate CONFIG, build the morphing setup and plan the generation jobs, the
    methods to train and their ensemble members."""
    from goldmine.api import configure as configure_analysis

    configure_analysis(config, output, plan, events_per_job=events_per_job, seed=seed)
