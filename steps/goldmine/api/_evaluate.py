"""evaluate: events and trained models → Fisher information and limits in every mode."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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

__all__ = ["evaluate"]

log = logging.getLogger(__name__)


def evaluate(setup: str | Path, data: str | Path, config: str | Path, output: str | Path, *,
             models: Sequence[str | Path] = (), observed: str | Path | None = None, events: str = "test",
             device: str = "auto") -> dict[str, Any]:
    """Fisher information (truth, rate, histograms, score models; nuisances profiled and
    projected) at θ_true, and expected (Asimov) and, with ``observed`` events, observed
    limits on the config's θ grid in its modes, from the combined events ``data`` and the
    ``models`` (train's folders; several of one method: an ensemble). ``events``: predict
    with the ``test`` partition (never trained on) or ``all``. Writes ``output``
    (results.h5) and its summary beside it (.json), together. Returns that summary."""
    setup_path, data_path, config, output = Path(setup), Path(data), Path(config), Path(output)
    model_directories = [Path(model) for model in models]
    observed_path = None if observed is None else Path(observed)
    analysis = load_config(config)
    loaded = read_event_setup(data_path, read_setup(setup_path), setup_path)
    _check_backgrounds(analysis.backgrounds, data_path, len(loaded.benchmarks))
    augmentation = analysis.augmentation
    simulated = load_simulated(data_path, loaded, setup_path, events=events,  # type: ignore[arg-type]
                               validation_fraction=augmentation.validation_fraction,
                               test_fraction=augmentation.test_fraction,
                               mixture=augmentation.mixture_weights)
    observed_events = load_observed(observed_path, loaded, setup_path) if observed_path else None
    groups = []
    if model_directories:
        from goldmine.evaluate.models import load_groups
        from goldmine.inference.fit import resolve_device

        groups = load_groups(model_directories, loaded, str(resolve_device(device)))  # type: ignore[arg-type]
    evaluation = evaluate_analysis(loaded, analysis.evaluation, simulated, groups, observed_events)

    inputs = [setup_path, data_path, config, *([observed_path] if observed_path else [])]
    inputs += [path for d in model_directories for path in sorted(d.iterdir()) if path.is_file()]
    provenance = Provenance.capture(config_hash=analysis.digest, input_paths=inputs)
    settings = {
        "luminosity_pb": analysis.evaluation.luminosity, "events": events,
        "partition": [simulated.partition.start, simulated.partition.stop],
        "models": {g.method: [str(d) for d in g.directories] for g in groups},
        "modes": list(analysis.evaluation.modes), "theta_true_label": analysis.evaluation.theta_true_label,
    }
    document = summary(loaded, evaluation, settings, provenance)
    with published_together(output, output.with_suffix(".json")):
        write_results(output, loaded, evaluation, analysis.evaluation.information_observable, provenance)
        write_json(output.with_suffix(".json"), document)
    log.info("wrote %s and %s (%d information matrices, %d limits)", output, output.with_suffix(".json"),
             len(evaluation.information), len(evaluation.limits))
    return document


def _check_backgrounds(backgrounds: tuple[BackgroundConfig, ...], data_path: Path, n_benchmarks: int) -> None:
    """A config that declares backgrounds needs their events in the file: limits from the
    signal alone would be far too tight, and nothing else would say so."""
    if backgrounds and count_sampling_benchmarks(data_path, n_benchmarks)[-1] == 0:
        names = ", ".join(b.name for b in backgrounds)
        raise InputFileError(f"{data_path}: holds no background events (sampling benchmark -1), but the config "
                             f"declares the backgrounds {names}; combine their jobs' events.h5 with the signal's")
