"""``goldmine evaluate``: events and trained models → Fisher information and limits in every mode
(:func:`goldmine.api.evaluate`)."""

from __future__ import annotations

from pathlib import Path

import click

from goldmine.stages.options import ManyValuesOption

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command()
@click.option("--setup", "setup_path", required=True, type=_FILE, help="setup.h5 written by configure.")
@click.option("--data", "data_path", required=True, type=_FILE, help="Combined events (combined.h5).")
@click.option("--models", "model_directories", cls=ManyValuesOption, multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Model directories written by train (several of one method: an ensemble).")
@click.option("--config", required=True, type=_FILE, help="Analysis config (its evaluation section).")
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="results.h5 to write; the summary goes beside it as .json.")
@click.option("--observed", "observed_path", type=_FILE, default=None,
              help="Event file of observed events: adds observed limits to the expected ones.")
@click.option("--events", "events_choice", type=click.Choice(["test", "all"]), default="test", show_default=True,
              help="Simulated events to predict with: the test partition (never trained on) or all.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
def evaluate(setup_path: Path, data_path: Path, model_directories: tuple[Path, ...], config: Path, output: Path,
             observed_path: Path | None, events_choice: str, device: str) -> None:
    """Fisher information (truth, rate, histograms, score models; nuisances profiled and
    projected) at theta_true, and expected (Asimov) and observed limits on the theta grid
    in the modes rate, histo, sally, sallino, ratio_histo and ml."""
    from goldmine.api import evaluate as evaluate_analysis

    evaluate_analysis(setup_path, data_path, config, output, models=model_directories, observed=observed_path,
                      events=events_choice, device=device)
