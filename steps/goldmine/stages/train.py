"""``goldmine train``: augmented data → one trained estimator (one ensemble member;
:func:`goldmine.api.train`)."""

from __future__ import annotations

from pathlib import Path

import click

from goldmine.methods import TRAINABLE
from goldmine.stages.options import seed_option


@click.command()
@click.option("--method", type=click.Choice(sorted(TRAINABLE)),
              help="Method to train; by default the method the --data directory was augmented for.")
@click.option("--data", "data_directory", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Directory written by `goldmine augment` for this method.")
@click.option("--config", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Analysis config (its training section).")
@click.option("--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Model directory to create.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--bootstrap", is_flag=True, help="Resample the training rows with replacement (ensembles).")
@click.option("--member", type=click.IntRange(min=0), default=None,
              help="Ensemble member K: its seed derives from the augment seed of --data and K (the workflow's way).")
@seed_option("Seed of initialisation, batching, validation hold-out and bootstrap.")
def train(method: str | None, data_directory: Path, config: Path, output: Path, device: str, bootstrap: bool,
          member: int | None, seed: int | None) -> None:
    """Train one estimator; ensemble members are separate runs with their own seeds
    (--seed, or --member K to derive one)."""
    from goldmine.api import train as train_estimator

    train_estimator(data_directory, config, output, method=method, seed=seed, member=member, device=device,
                    bootstrap=bootstrap)
