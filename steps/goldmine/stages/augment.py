"""``goldmine augment``: combined events → unweighted samples with r(x,z) and t(x,z)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from goldmine.augment.run import augment_method
from goldmine.config.loader import load_config
from goldmine.io.atomic import atomic_directory
from goldmine.io.augmented import SUMMARY_NAME
from goldmine.io.documents import write_json
from goldmine.io.provenance import Provenance
from goldmine.io.setup_file import read_event_setup, read_setup
from goldmine.methods import METHODS
from goldmine.stages.options import seed_option

log = logging.getLogger(__name__)


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
    analysis = load_config(config)
    setup = read_event_setup(events, read_setup(setup_path), setup_path)
    seed = 0 if seed is None else seed

    with atomic_directory(output) as directory:
        summary = augment_method(events, setup, analysis.augmentation, method, directory, seed=seed,
                                 chunk_size=chunk_size)
        provenance = Provenance.capture(config_hash=analysis.digest, seeds={"seed": seed},
                                        input_paths=[events, setup_path, config])
        write_json(directory / SUMMARY_NAME, {**summary, "provenance": provenance.to_dict()})
    log.info("wrote %s (%s: %s)", output, method, ", ".join(summary["partitions"]))
