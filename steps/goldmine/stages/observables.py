"""``goldmine observables``: Delphes ROOT or LHE events → events.h5 (observables and weights;
:func:`goldmine.api.observables`)."""

from __future__ import annotations

from pathlib import Path

import click

from goldmine.stages.options import ManyValuesOption

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command()
@click.option("--setup", "setup_path", required=True, type=_FILE, help="setup.h5 written by configure.")
@click.option("--config", required=True, type=_FILE, help="Analysis config (its cuts and efficiencies).")
@click.option("--input", "events", required=True, type=_FILE,
              help="delphes.root, or an LHE file (.lhe, .lhe.gz) for parton-level observables.")
@click.option("--lhe", type=_FILE, default=None,
              help="LHE file whose weights belong to the events of a Delphes --input, in the same order.")
@click.option("--sampling-benchmark", "--benchmark", "sampling_benchmark", default=None,
              help="Benchmark the (signal) events were generated at.")
@click.option("--background", default=None,
              help="Background of the config (backgrounds[].name) whose events these are (sampling benchmark -1).")
@click.option("--weight-names", cls=ManyValuesOption, multiple=True,
              help="Names of Weight.Weight's entries in order, for Delphes input without --lhe: "
                   "space- or comma-separated, or the option repeated.")
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Event file to write (HDF5, MadMiner layout).")
@click.option("--chunk-size", type=click.IntRange(min=1), default=100_000, show_default=True,
              help="Events read at a time.")
def observables(setup_path: Path, config: Path, events: Path, lhe: Path | None, sampling_benchmark: str | None,
                background: str | None, weight_names: tuple[str, ...], output: Path, chunk_size: int) -> None:
    """Evaluate the config's observables, cuts and efficiencies on every event and
    store the passing events with their weights at every benchmark of the setup."""
    from goldmine.api import observables as extract

    names = tuple(name.strip() for item in weight_names for name in item.split(",") if name.strip()) or None
    extract(setup_path, config, events, output, sampling_benchmark=sampling_benchmark, background=background,
            lhe=lhe, weight_names=names, chunk_size=chunk_size)
