"""``goldmine evaluate``: events and trained models → Fisher information and limits in every mode."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from goldmine.config.loader import load_config
from goldmine.config.model import BackgroundConfig
from goldmine.errors import InputFileError
from goldmine.evaluate.events import load_observed, load_simulated
from goldmine.evaluate.results import summary, write_results
from goldmine.evaluate.run import evaluate_analysis
from goldmine.io.atomic import published_together
from goldmine.io.documents import write_json
from goldmine.io.provenance import Provenance
from goldmine.io.samples import count_sampling_benchmarks
from goldmine.io.setup_file import read_event_setup, read_setup
from goldmine.stages.options import ManyValuesOption

log = logging.getLogger(__name__)

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
    in the modes rate, histo, sally, sallino and ml."""
    analysis = load_config(config)
    setup = read_event_setup(data_path, read_setup(setup_path), setup_path)
    _check_backgrounds(analysis.backgrounds, data_path, len(setup.benchmarks))
    augmentation = analysis.augmentation
    simulated = load_simulated(data_path, setup, setup_path, events=events_choice,  # type: ignore[arg-type]
                               validation_fraction=augmentation.validation_fraction,
                               test_fraction=augmentation.test_fraction)
    observed = load_observed(observed_path, setup, setup_path) if observed_path else None
    groups = []
    if model_directories:
        from goldmine.evaluate.models import load_groups
        from goldmine.inference.fit import resolve_device

        groups = load_groups(list(model_directories), setup, str(resolve_device(device)))  # type: ignore[arg-type]
    evaluation = evaluate_analysis(setup, analysis.evaluation, simulated, groups, observed)

    inputs = [setup_path, data_path, config, *([observed_path] if observed_path else [])]
    inputs += [path for d in model_directories for path in sorted(d.iterdir()) if path.is_file()]
    provenance = Provenance.capture(config_hash=analysis.digest, input_paths=inputs)
    settings = {
        "luminosity_pb": analysis.evaluation.luminosity, "events": events_choice,
        "partition": [simulated.partition.start, simulated.partition.stop],
        "models": {g.method: [str(d) for d in g.directories] for g in groups},
        "modes": list(analysis.evaluation.modes), "theta_true_label": analysis.evaluation.theta_true_label,
    }
    with published_together(output, output.with_suffix(".json")):
        write_results(output, setup, evaluation, analysis.evaluation.information_observable, provenance)
        write_json(output.with_suffix(".json"), summary(setup, evaluation, settings, provenance))
    log.info("wrote %s and %s (%d information matrices, %d limits)", output, output.with_suffix(".json"),
             len(evaluation.information), len(evaluation.limits))


def _check_backgrounds(backgrounds: tuple[BackgroundConfig, ...], data_path: Path, n_benchmarks: int) -> None:
    """A config that declares backgrounds needs their events in the file: limits from the
    signal alone would be far too tight, and nothing else would say so."""
    if backgrounds and count_sampling_benchmarks(data_path, n_benchmarks)[-1] == 0:
        names = ", ".join(b.name for b in backgrounds)
        raise InputFileError(f"{data_path}: holds no background events (sampling benchmark -1), but the config "
                             f"declares the backgrounds {names}; combine their jobs' events.h5 with the signal's")
