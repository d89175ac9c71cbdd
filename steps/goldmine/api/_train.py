"""train: augmented data → one trained estimator (one ensemble member)."""

from __future__ import annotations

import logging
from pathlib import Path

from goldmine.config.loader import load_config
from goldmine.errors import GoldmineError, UsageError
from goldmine.io.atomic import atomic_directory
from goldmine.io.augmented import SUMMARY_NAME, read_summary, single_point
from goldmine.io.provenance import Provenance
from goldmine.methods import METHODS, TRAINABLE
from goldmine.workflow.plan import member_seed

__all__ = ["train"]

log = logging.getLogger(__name__)


def train(data: str | Path, config: str | Path, output: str | Path, *, method: str | None = None,
          seed: int | None = None, member: int | None = None, device: str = "auto",
          bootstrap: bool = False) -> Path:
    """Train one estimator of ``method`` (default: the one ``data`` was augmented for) on
    the augment folder ``data`` with the config's training settings, and save it in the new
    folder ``output`` (settings.json, weights, input scaling, the loss history). Ensemble
    members are separate calls with their own ``seed``, or ``member`` K to derive one from
    the augment seed; ``bootstrap`` resamples the training rows; ``device``: ``auto``,
    ``cpu`` or ``cuda``. Returns ``output``."""
    # torch is imported here, not at start-up, so that other stages stay fast.
    from goldmine.inference.estimators import EstimatorSettings
    from goldmine.inference.fit import fit, resolve_device
    from goldmine.inference.saving import save_model
    from goldmine.inference.training import TrainSettings

    data_directory, config, output = Path(data), Path(config), Path(output)
    analysis = load_config(config)
    if member is not None and seed is not None:
        raise UsageError("give --seed or --member, not both")
    nuisances: list[str] = []  # shape nuisances whose score components the data holds (the local sampler)
    processes = "all"  # the events the rows were drawn from (augmentation.processes)
    if method is None or member is not None or (data_directory / SUMMARY_NAME).is_file():
        augmented = read_summary(data_directory)
        nuisances = augmented.get("nuisances", [])
        processes = augmented.get("processes", "all")
        method = method or augmented["method"]
        _check_sampler(method, augmented["method"], data_directory)
        if member is not None:
            seed = member_seed(augmented["provenance"]["seeds"]["seed"], member)
    seed = 0 if seed is None else seed
    settings = analysis.training.for_method(method)
    n_observables, n_parameters = len(analysis.observables), len(analysis.parameters)
    denominator = (single_point(data_directory, "theta1")
                   if METHODS[method].family == "parameterized_ratio" else None)
    architecture = EstimatorSettings(n_observables, n_parameters, settings.hidden, settings.activation,
                                     settings.dropout, settings.flow_transforms, len(nuisances),
                                     None if denominator is None else tuple(denominator))
    optimisation = TrainSettings(
        epochs=settings.epochs, batch_size=settings.batch_size, learning_rate=settings.learning_rate,
        final_learning_rate=settings.final_learning_rate, optimizer=settings.optimizer,  # type: ignore[arg-type]
        weight_decay=settings.weight_decay, validation_split=settings.validation_split,
        early_stopping=settings.early_stopping, patience=settings.patience, clip_gradient=settings.clip_gradient,
        alpha=settings.alpha,
    )
    with atomic_directory(output) as directory:
        fitted = fit(method, data_directory, architecture, optimisation, seed=seed, device=resolve_device(device),
                     bootstrap=bootstrap)
        inputs = sorted(data_directory.glob("*.npy")) + [config]
        provenance = Provenance.capture(config_hash=analysis.digest, seeds={"seed": seed}, input_paths=inputs)
        save_model(directory, fitted.model.cpu(), fitted.method, {
            "training": optimisation.to_dict(), "bootstrap": bootstrap, "n_train": fitted.n_train,
            "n_validation": fitted.n_validation, "member": member, "best_epoch": fitted.result.best_epoch,
            "best_loss": fitted.result.best_loss, "stopped_early": fitted.result.stopped_early,
            "parameters": analysis.parameter_names, "nuisances": nuisances, "processes": processes,
            "observables": [o.name for o in analysis.observables],
            "score_theta": single_point(data_directory) if fitted.model.score_output else None,
            "denominator_theta": denominator,
            "history": fitted.result.history, "provenance": provenance.to_dict(),
        })
    log.info("wrote %s (%s, best epoch %d, loss %.5g)", output, method, fitted.result.best_epoch,
             fitted.result.best_loss)
    return output


def _check_sampler(method: str, augmented_for: str, data_directory: Path) -> None:
    """Rows drawn for one sampler do not train a method of another (SALLY's rows share
    NDE's columns, but all sit at one θ)."""
    if method not in TRAINABLE:
        raise GoldmineError(f"{data_directory} was augmented for {method}, which trains no estimator; give --method "
                            f"one of {', '.join(TRAINABLE)}")
    wanted = METHODS[method].sampler
    made = METHODS[augmented_for].sampler if augmented_for in METHODS else None
    if wanted != made:
        raise GoldmineError(f"{data_directory} was augmented for {augmented_for} ({made} sampler); {method} needs "
                            f"rows of the {wanted} sampler: `goldmine augment --method {method}`")
