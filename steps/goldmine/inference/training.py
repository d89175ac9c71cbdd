"""One training loop for every estimator: batches in, loss out.

It owns seeds, batches, the optimizer (torch.optim's updates:
:mod:`goldmine.inference.optimizers`), the learning-rate schedule, gradient clipping,
early stopping, the non-finite guard and the history, and knows nothing of methods or
estimator families: a :class:`Loss` gives the weighted total of a batch and its terms.

Each epoch shuffles every column once into contiguous tensors, and batches are slices
of them (no per-sample DataLoader, no per-batch gather). On a GPU the whole step is
replayed as one CUDA graph (:mod:`goldmine.inference.cuda_graph`). Non-finite losses are
flagged on the device and checked once per epoch, so the guard costs no GPU
synchronisation per batch. Early stopping keeps a copy of the best state and restores it.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

import torch
from torch import nn

from goldmine.errors import GoldmineError
from goldmine.inference.cuda_graph import GraphedStep
from goldmine.inference.optimizers import FlatOptimizer
from goldmine.progress import Progress

__all__ = ["Loss", "TrainResult", "TrainSettings", "TrainingError", "train"]

log = logging.getLogger(__name__)

Tensors = Mapping[str, torch.Tensor]


class TrainingError(GoldmineError):
    """Training could not go on (a non-finite loss)."""


class Loss(Protocol):
    """What the loop needs of a loss: term names and weights, and for a model on a batch
    the weighted total () to differentiate and the per-term batch means (n_terms,),
    detached, for the history."""

    names: tuple[str, ...]
    weights: tuple[float, ...]

    def __call__(self, model: nn.Module, batch: Tensors) -> tuple[torch.Tensor, torch.Tensor]: ...


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation settings; the learning rate decays exponentially from
    ``learning_rate`` to ``final_learning_rate`` over ``epochs``."""

    epochs: int = 50
    batch_size: int = 128
    learning_rate: float = 1e-3
    final_learning_rate: float = 1e-4
    optimizer: Literal["adam", "amsgrad", "sgd"] = "amsgrad"
    momentum: float = 0.9
    weight_decay: float = 0.0
    validation_split: float = 0.25
    early_stopping: bool = True
    patience: int | None = None
    clip_gradient: float | None = None
    alpha: float = 1.0
    evaluation_batch_size: int = 8192
    #: on a GPU, replay the training step as one CUDA graph (Adam and AMSGrad; see goldmine.inference.cuda_graph)
    cuda_graphs: bool = True

    def __post_init__(self) -> None:
        checks = {
            "epochs": self.epochs >= 1,
            "batch_size": self.batch_size >= 1,
            "learning_rate": self.learning_rate > 0,
            "final_learning_rate": self.final_learning_rate > 0,
            "validation_split": 0 <= self.validation_split < 1,
            "alpha": self.alpha >= 0,
            "optimizer": self.optimizer in ("adam", "amsgrad", "sgd"),
        }
        for name, ok in checks.items():
            if not ok:
                msg = f"training setting {name} = {getattr(self, name)!r} is out of range"
                raise ValueError(msg)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TrainResult:
    """Per-epoch ``history`` (losses per term, learning rate, seconds) and the epoch
    whose weights the model holds."""

    history: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int = 0
    best_loss: float = math.inf
    stopped_early: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _batches(data: Tensors, batch_size: int) -> Iterator[dict[str, torch.Tensor]]:
    n_rows = len(next(iter(data.values())))
    for start in range(0, n_rows, batch_size):
        yield {name: values[start : start + batch_size] for name, values in data.items()}


def _epoch_terms(
    model: nn.Module,
    loss: Loss,
    data: Tensors,
    batch_size: int,
    step: Callable[[Tensors], torch.Tensor] | None = None,
    graphed: GraphedStep | None = None,
) -> torch.Tensor:
    """Per-term losses averaged over the epoch's rows (n_terms,), left on the device.
    Trains when ``step`` is given (full batches through ``graphed`` when given), else only
    evaluates. Batch losses stay on the device and are reduced once."""
    n_rows = len(next(iter(data.values())))
    device = next(model.parameters()).device
    batch_terms, rows = [], []
    for batch in _batches(data, batch_size):
        size = len(next(iter(batch.values())))
        if step is None:
            with torch.no_grad():
                _, terms = loss(model, batch)
        elif graphed is not None and size == batch_size:
            terms = graphed(batch).clone()  # the graph overwrites its output at the next replay
        else:
            terms = step(batch)
        batch_terms.append(terms)
        rows.append(size)
    return (torch.stack(batch_terms) * torch.tensor(rows, device=device)[:, None]).sum(dim=0) / n_rows


def train(
    model: nn.Module,
    loss: Loss,
    training: Tensors,
    validation: Tensors | None,
    settings: TrainSettings,
    *,
    seed: int,
) -> TrainResult:
    """Train ``model`` in place on ``loss``. ``training`` and ``validation`` map column
    names to tensors on the model's device, rows aligned."""
    device = next(model.parameters()).device
    generator = torch.Generator(device="cpu").manual_seed(seed)
    torch.manual_seed(seed)
    # torch's SGD reads a tensor learning rate on the host (a synchronisation a graph cannot
    # hold): it steps eagerly
    use_graph = settings.cuda_graphs and device.type == "cuda" and settings.optimizer != "sgd"
    optimizer = FlatOptimizer(model, settings.optimizer, settings.learning_rate, weight_decay=settings.weight_decay,
                              momentum=settings.momentum, capturable=use_graph)
    decay = (settings.final_learning_rate / settings.learning_rate) ** (1.0 / max(settings.epochs - 1, 1))

    def step(batch: Tensors) -> torch.Tensor:
        optimizer.gradient.zero_()  # one fill: the model's gradients are views of it
        total, terms = loss(model, batch)
        total.backward()
        if settings.clip_gradient is not None:
            nn.utils.clip_grad_norm_(optimizer.parameter, settings.clip_gradient)
        optimizer.step()
        return terms

    graphed = GraphedStep(step) if use_graph else None
    n_train = len(next(iter(training.values())))

    history: list[dict[str, Any]] = []
    best_loss, best_epoch, best_state, stopped_early = math.inf, 0, copy.deepcopy(model.state_dict()), False
    with Progress(settings.epochs, "train", "epochs") as progress:
        for epoch in range(1, settings.epochs + 1):
            start = time.perf_counter()
            learning_rate = settings.learning_rate * decay ** (epoch - 1)
            optimizer.set_learning_rate(learning_rate)
            model.train()
            order = torch.randperm(n_train, generator=generator).to(device)
            shuffled = {name: values[order] for name, values in training.items()}
            train_terms = _epoch_terms(model, loss, shuffled, settings.batch_size, step, graphed)
            bad = ~torch.isfinite(train_terms).all()
            record: dict[str, Any] = {"epoch": epoch, "learning_rate": learning_rate}
            record.update(_named("train", loss, train_terms))
            if validation is not None:
                model.eval()
                validation_terms = _epoch_terms(model, loss, validation, settings.evaluation_batch_size)
                bad |= ~torch.isfinite(validation_terms).all()
                record.update(_named("validation", loss, validation_terms))
            record["seconds"] = time.perf_counter() - start
            if bool(bad):
                model.load_state_dict(best_state)
                msg = (
                    f"non-finite loss in epoch {epoch} ({record}); the model holds the weights of epoch {best_epoch}. "
                    "Lower the learning rate, set training.clip_gradient, or check the data for extreme values"
                )
                raise TrainingError(msg)
            history.append(record)
            progress.update(1)
            monitored = record["validation_loss"] if validation is not None else record["train_loss"]
            log.info("epoch %d: %s", epoch, ", ".join(f"{k} {v:.5g}" for k, v in record.items() if k.endswith("loss")))
            if monitored < best_loss:
                best_loss, best_epoch, best_state = monitored, epoch, copy.deepcopy(model.state_dict())
            elif settings.patience is not None and epoch - best_epoch >= settings.patience:
                stopped_early = True
                log.info("no improvement for %d epochs: stopping", settings.patience)
                break
    if settings.early_stopping:
        model.load_state_dict(best_state)
    else:
        best_epoch, best_loss = history[-1]["epoch"], history[-1].get("validation_loss", history[-1]["train_loss"])
    return TrainResult(history, best_epoch, float(best_loss), stopped_early)


def _named(prefix: str, loss: Loss, terms: torch.Tensor) -> dict[str, float]:
    out = {f"{prefix}_{name}": value for name, value in zip(loss.names, terms.tolist())}
    out[f"{prefix}_loss"] = sum(weight * value for weight, value in zip(loss.weights, terms.tolist()))
    return out
