"""One training loop for every method: it owns seeds, batches, optimizer, schedule,
early stopping and logging, and knows nothing about the method beyond its loss terms.

Each epoch shuffles every column once into contiguous tensors, and batches are slices
of them (no per-sample DataLoader, no per-batch gather). The optimizer updates all
weights as one flat buffer (:mod:`goldmine.inference.optim`); on a GPU the whole step is
replayed as one CUDA graph (:mod:`goldmine.inference.cuda_graph`). Early stopping keeps a
deep copy of the best state and restores it.
Non-finite losses are flagged on the device and checked once per epoch, so the guard
costs no GPU synchronisation per batch.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import torch
from torch import nn

from goldmine.errors import GoldmineError
from goldmine.inference.cuda_graph import GraphedStep
from goldmine.inference.methods import (
    FAMILY_INPUTS,
    NETWORK_INPUTS,
    Method,
    forward,
    forward_for_training,
)
from goldmine.inference.optim import FlatOptimizer

__all__ = ["TrainResult", "TrainSettings", "TrainingError", "train"]

log = logging.getLogger(__name__)

Tensors = Mapping[str, torch.Tensor]


class TrainingError(GoldmineError):
    """Training could not go on (a non-finite loss)."""


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
    #: on a GPU, replay the training step as one CUDA graph (see goldmine.inference.cuda_graph)
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


def _order_numerator_first(y: torch.Tensor, order: torch.Tensor, batch_size: int) -> tuple[torch.Tensor, list[int]]:
    """Reorder ``order`` so that inside every batch the rows with y = 0 come first (each
    batch keeps the same rows, so its gradient is unchanged); also their count per batch."""
    labels = y.cpu()[order.cpu()]
    batch_of_row = torch.arange(len(order)) // batch_size
    within = torch.argsort(batch_of_row * 2 + labels.long(), stable=True)
    counts = torch.bincount(batch_of_row[labels == 0], minlength=int(batch_of_row[-1]) + 1 if len(order) else 0)
    return order[within.to(order.device)], counts.tolist()


def _with_network_inputs(model: nn.Module, method: Method, data: Tensors | None) -> Tensors | None:
    """``data`` with the model's standardised network inputs as one more column, computed
    once here rather than per batch (two to five operations a step), where it has them."""
    network_inputs = getattr(model, "network_inputs", None)
    if data is None or network_inputs is None:
        return data
    with torch.no_grad():
        inputs = network_inputs(*(data[name] for name in FAMILY_INPUTS[method.family]))
    return data if inputs is None else {**data, NETWORK_INPUTS: inputs}


def _batch_terms(model: nn.Module, method: Method, batch: Tensors, score_rows: int | None) -> list[torch.Tensor]:
    """The method's loss terms on one batch, each of shape ()."""
    outputs = forward(model, method.family, batch, score=method.needs_score, score_rows=score_rows)
    return method.loss_terms(outputs, batch)


def _step_function(
    model: nn.Module,
    method: Method,
    weights: torch.Tensor,
    optimizer: FlatOptimizer,
    clip_gradient: float | None,
    *,
    by_hand: bool,
) -> Callable[..., torch.Tensor]:
    """One optimizer step on a batch; returns the batch's loss terms (n_terms,), or the
    loss () of a single-term method. ``by_hand``: with the gradients written out
    (:func:`_by_hand`) instead of autograd."""
    term_weights = [float(w) for w in weights.cpu()]

    def step(batch: Tensors, score_rows: int | None = None) -> torch.Tensor:
        if by_hand:
            terms = _gradients_by_hand(model, method, batch, score_rows, term_weights, optimizer)
        else:
            terms = _gradients_by_autograd(model, method, batch, score_rows, term_weights, optimizer)
        if clip_gradient is not None:
            optimizer.clip_grad_norm(clip_gradient)
        optimizer.step()
        return terms[0].detach() if len(terms) == 1 else torch.stack([term.detach() for term in terms])

    return step


def _by_hand(model: nn.Module, method: Method) -> bool:
    """Whether ``model`` and ``method`` can train without autograd."""
    return method.gradients_by_hand and hasattr(model, "forward_for_training")


def _gradients_by_hand(
    model: nn.Module, method: Method, batch: Tensors, score_rows: int | None, term_weights: list[float],
    optimizer: FlatOptimizer,
) -> list[torch.Tensor]:
    """The loss terms, with the weights' gradients written into the optimizer: the losses'
    own gradients with respect to the outputs, then the network's backward pass written
    out (:mod:`goldmine.inference.backprop`). A quarter less time than autograd for an
    ALICES step at batch 128 on a CPU."""
    with torch.no_grad():
        outputs, backward = forward_for_training(model, method.family, batch, score=method.needs_score,
                                                 score_rows=score_rows)
        terms, output_gradients = method.loss_terms_and_gradients(outputs, batch, term_weights)
        optimizer.set_gradients(backward(output_gradients))
    return terms


def _gradients_by_autograd(
    model: nn.Module, method: Method, batch: Tensors, score_rows: int | None, term_weights: list[float],
    optimizer: FlatOptimizer,
) -> list[torch.Tensor]:
    """The loss terms, with the weights' gradients accumulated by autograd."""
    terms = _batch_terms(model, method, batch, score_rows)
    optimizer.zero_grad()
    # Σ wᵢ termᵢ as additions of the terms themselves (a weight of 1 multiplies nothing),
    # not a product with a stacked vector: fewer operations forward and backward
    weighted = [term if weight == 1.0 else weight * term for weight, term in zip(term_weights, terms)]
    total = weighted[0]
    for term in weighted[1:]:
        total = total + term
    total.backward()
    return terms


def _epoch_losses(
    model: nn.Module,
    method: Method,
    data: Tensors,
    weights: torch.Tensor,
    *,
    batch_size: int,
    step: Callable[..., torch.Tensor] | None = None,
    graphed: GraphedStep | None = None,
    score_rows: list[int] | None = None,
    by_hand: bool = False,
) -> torch.Tensor:
    """Per-term losses averaged over the epoch's rows (n_terms,), left on the device.
    Trains when ``step`` is given (full batches through ``graphed`` when given), else only
    evaluates (without autograd where training runs without: ``by_hand``). Batch losses
    are written into one tensor and reduced once, so a step adds no bookkeeping operations."""
    n_rows = len(data["x"])
    starts = range(0, n_rows, batch_size)
    batch_losses = torch.empty(len(starts), len(method.terms), device=weights.device)
    for index, start in enumerate(starts):
        batch = {name: values[start : start + batch_size] for name, values in data.items()}
        rows = None if score_rows is None else score_rows[index]
        if step is None:
            with torch.no_grad() if by_hand else contextlib.nullcontext():
                terms = torch.stack(_batch_terms(model, method, batch, rows)).detach()
        elif graphed is not None and start + batch_size <= n_rows:
            terms = graphed(batch)
        else:
            terms = step(batch, rows)
        batch_losses[index] = terms
    rows_per_batch = torch.tensor([min(batch_size, n_rows - start) for start in starts], device=weights.device)
    return (batch_losses * rows_per_batch[:, None]).sum(dim=0) / n_rows


def train(
    model: nn.Module,
    method: Method,
    training: Tensors,
    validation: Tensors | None,
    settings: TrainSettings,
    *,
    seed: int,
) -> TrainResult:
    """Train ``model`` in place. ``training`` and ``validation`` map column names to
    tensors on the model's device, rows aligned."""
    device = next(model.parameters()).device
    generator = torch.Generator(device="cpu").manual_seed(seed)
    torch.manual_seed(seed)
    # CUDA graphs need a fixed batch layout: not for methods whose batches differ in how
    # many rows carry a score (numerator_score_only)
    use_graph = settings.cuda_graphs and device.type == "cuda" and not method.numerator_score_only
    optimizer = FlatOptimizer(model.parameters(), kind=settings.optimizer, lr=settings.learning_rate,
                              momentum=settings.momentum, weight_decay=settings.weight_decay, capturable=use_graph)
    decay = (settings.final_learning_rate / settings.learning_rate) ** (1.0 / max(settings.epochs - 1, 1))
    weights = method.weights(settings.alpha).to(device)
    by_hand = _by_hand(model, method)
    step = _step_function(model, method, weights, optimizer, settings.clip_gradient, by_hand=by_hand)
    graphed = GraphedStep(step) if use_graph else None
    training, validation = _with_network_inputs(model, method, training), _with_network_inputs(model, method, validation)
    validation_score_rows = None
    if validation is not None and method.numerator_score_only:  # t̂ only where the score term uses it, as in training
        rows = torch.arange(len(validation["y"]), device=device)
        order, validation_score_rows = _order_numerator_first(validation["y"], rows, settings.evaluation_batch_size)
        validation = {name: values[order] for name, values in validation.items()}
    n_train = len(training["x"])
    names = [term.name for term in method.terms]

    history: list[dict[str, Any]] = []
    best_loss, best_epoch, best_state, stopped_early = math.inf, 0, copy.deepcopy(model.state_dict()), False
    for epoch in range(1, settings.epochs + 1):
        start = time.perf_counter()
        learning_rate = optimizer.lr = settings.learning_rate * decay ** (epoch - 1)
        model.train()
        order = torch.randperm(n_train, generator=generator).to(device)
        score_rows = None
        if method.numerator_score_only:
            order, score_rows = _order_numerator_first(training["y"], order, settings.batch_size)
        shuffled = {name: values[order] for name, values in training.items()}
        train_terms = _epoch_losses(model, method, shuffled, weights, batch_size=settings.batch_size, step=step,
                                    graphed=graphed, score_rows=score_rows)
        bad = ~torch.isfinite(train_terms).all()
        record: dict[str, Any] = {"epoch": epoch, "learning_rate": learning_rate}
        record.update(_named("train", names, train_terms, weights))
        if validation is not None:
            model.eval()
            validation_terms = _epoch_losses(model, method, validation, weights,
                                             batch_size=settings.evaluation_batch_size, score_rows=validation_score_rows,
                                             by_hand=by_hand)
            bad |= ~torch.isfinite(validation_terms).all()
            record.update(_named("validation", names, validation_terms, weights))
        record["seconds"] = time.perf_counter() - start
        if bool(bad):
            model.load_state_dict(best_state)
            msg = (
                f"non-finite loss in epoch {epoch} ({record}); the model holds the weights of epoch {best_epoch}. "
                "Lower the learning rate, set training.clip_gradient, or check the data for extreme values"
            )
            raise TrainingError(msg)
        history.append(record)
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


def _named(prefix: str, names: list[str], terms: torch.Tensor, weights: torch.Tensor) -> dict[str, float]:
    values = terms.tolist()
    out = {f"{prefix}_{name}": value for name, value in zip(names, values)}
    out[f"{prefix}_loss"] = float((weights * terms).sum())
    return out
