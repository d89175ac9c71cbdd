"""``goldmine observables``: Delphes ROOT or LHE events → events.h5 (observables and weights)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from goldmine.config.loader import load_config
from goldmine.errors import InputFileError
from goldmine.io.provenance import Provenance
from goldmine.io.setup_file import read_setup
from goldmine.stages.options import ManyValuesOption

log = logging.getLogger(__name__)

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
    from goldmine.observables.run import extract_observables
    from goldmine.observables.selection import Selection

    if (sampling_benchmark is None) == (background is None):
        raise click.UsageError("give --sampling-benchmark (signal events) or --background (a background's events)"
                               + (", not both" if background else ""))
    analysis = load_config(config)
    if background is not None:
        analysis.background(background)  # one of the config's, else a ConfigError naming --background
    setup = read_setup(setup_path)
    if setup.observables != analysis.observables:
        msg = f"{setup_path} was configured with other observables than {config}; re-run configure"
        raise InputFileError(msg)
    selection = Selection.build(analysis.observables, analysis.cuts, analysis.efficiencies)
    inputs = [setup_path, config, events, *([lhe] if lhe else [])]
    provenance = Provenance.capture(config_hash=analysis.digest, input_paths=inputs)
    names = tuple(name.strip() for item in weight_names for name in item.split(",") if name.strip()) or None
    summary = extract_observables(setup, selection, events, output, sampling_benchmark=sampling_benchmark,
                                  background=background, provenance=provenance, lhe=lhe, weight_names=names,
                                  chunk_events=chunk_size)
    log.info("wrote %s: %d of %d events passed", output, summary.n_passed, summary.n_input)
