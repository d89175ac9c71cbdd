"""``goldmine augment``: combined events → unweighted samples with r(x,z) and t(x,z)
(:func:`goldmine.api.augment`)."""

from __future__ import annotations

from pathlib import Path

import click

from goldmine.methods import METHODS
from goldmine.stages.options import seed_option


@click.command()
@click.option("--input", "events", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Combined, shuffled event file (combined.h5).")
@click.option("--setup", "setup_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="setup.h5 written by configure.")
@click.option("--config", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Analysis config (its augmentation section).")
@click.option("--method", required=True, type=click.Choice(sorted(METHODS)), help="Method to make data for.")
@click.option("--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to create: {column}_{partition}.npy and augment.json.")
@click.option("--chunk-size", type=click.IntRange(min=1), default=50_000, show_default=True,
              help="Events read at a time.")
@seed_option("Seed of the parameter points, the unweighting and the shuffle.")
def augment(events: Path, setup_path: Path, config: Path, method: str, output: Path, chunk_size: int,
            seed: int | None) -> None:
    """Unweight the events of --input at the method's parameter points and add the
    joint likelihood ratio and joint score (arXiv:1907.10621, eqs. 8-9)."""
    from goldmine.api import augment as augment_events

    augment_events(events, setup_path, config, method, output, seed=0 if seed is None else seed, chunk_size=chunk_size)
