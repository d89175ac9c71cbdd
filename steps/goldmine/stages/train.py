"""``goldmine train``: augmented data → one trained estimator (one ensemble member)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from goldmine.config.loader import load_config
from goldmine.errors import GoldmineError
from goldmine.io.atomic import atomic_directory
from goldmine.io.augmented import SUMMARY_NAME, read_summary, single_point
from goldmine.io.provenance import Provenance
from goldmine.methods import METHODS, TRAINABLE
from goldmine.stages.options import seed_option
from goldmine.workflow.plan import member_seed

log = logging.getLogger(__name__)


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
    # torch is imported here, not at start-up, so that other commands stay fast.
    from goldmine.inference.estimators import EstimatorSettings
    from goldmine.inference.fit import fit, resolve_device
    from goldmine.inference.saving import save_model
    from goldmine.inference.training import TrainSettings

    analysis = load_config(config)
    if member is not None and seed is not None:
        raise click.UsageError("give --seed or --member, not both")
    nuisances: list[str] = []  # shape nuisances whose score components the data holds (the local sampler)
    if method is None or member is not None or (data_directory / SUMMARY_NAME).is_file():
        augmented = read_summary(data_directory)
        nuisances = augmented.get("nuisances", [])
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
            "parameters": analysis.parameter_names, "nuisances": nuisances,
            "observables": [o.name for o in analysis.observables],
            "score_theta": single_point(data_directory) if fitted.model.score_output else None,
            "denominator_theta": denominator,
            "history": fitted.result.history, "provenance": provenance.to_dict(),
        })
    log.info("wrote %s (%s, best epoch %d, loss %.5g)", output, method, fitted.result.best_epoch,
             fitted.result.best_loss)


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
