"""``goldmine combine``: many event files → one shuffled combined.h5 (:func:`goldmine.api.combine`)."""

from __future__ import annotations

from pathlib import Path

import click

from goldmine.io.combine import DEFAULT_BUCKET_EVENTS
from goldmine.stages.options import seed_option


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Combined event file to write.")
@click.option("--bucket-events", type=click.IntRange(min=1), default=DEFAULT_BUCKET_EVENTS, show_default=True,
              help="Events held in memory at a time while shuffling.")
@seed_option("Seed of the shuffle.")
def combine(inputs: tuple[Path, ...], output: Path, bucket_events: int, seed: int | None) -> None:
    """Check that INPUTS share one setup, scale each file's events by their share of all
    events sampled at the same benchmark (MadMiner's convention: the events of one sampling
    benchmark sum to σ), and write all events in one seeded random order."""
    from goldmine.api import combine as combine_files

    combine_files(inputs, output, seed=0 if seed is None else seed, bucket_events=bucket_events)
