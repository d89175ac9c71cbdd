"""Methods as tables of loss terms: (loss, weight, arguments). The training loop knows
no method; it sums the weighted terms of whichever method it is given."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import torch

from goldmine.inference import losses
from goldmine.inference.estimators import Backward, Family

__all__ = ["BY_HAND_FAMILIES", "FAMILY_INPUTS", "METHODS", "NETWORK_INPUTS", "Method", "Term", "forward",
           "forward_for_training"]


#: The data columns each estimator family takes as inputs, in call order.
FAMILY_INPUTS: dict[str, tuple[str, ...]] = {
    "score": ("x",),
    "parameterized_ratio": ("x", "theta0"),
    "doubly_parameterized_ratio": ("x", "theta0", "theta1"),
    "likelihood": ("x", "theta"),
}


#: The column training adds with the estimator's standardised network inputs, computed once.
NETWORK_INPUTS = "network_inputs"

#: The families whose estimators give their outputs with a backward pass written out
#: (``forward_for_training``), so that training needs no autograd.
BY_HAND_FAMILIES = ("score", "parameterized_ratio")


@dataclass(frozen=True)
class Term:
    """``loss(**{a: values[a] for a in arguments})``, weighted by 1 or by α.
    ``loss_and_gradient``, where given, returns the loss and its gradient with respect to
    the one estimate among the arguments (the ``_hat`` one), a new tensor."""

    name: str
    loss: Callable[..., torch.Tensor]
    arguments: tuple[str, ...]
    weight: Literal["one", "alpha"] = "one"
    loss_and_gradient: Callable[..., tuple[torch.Tensor, torch.Tensor]] | None = None

    @property
    def estimate(self) -> str:
        """The argument that the network outputs."""
        (name,) = (a for a in self.arguments if "_hat" in a)
        return name


@dataclass(frozen=True)
class Method:
    """A method: its estimator family, its loss terms, and the data columns it needs."""

    name: str
    family: Family
    terms: tuple[Term, ...]

    @property
    def needs_score(self) -> bool:
        return any(argument.startswith("t_hat") for term in self.terms for argument in term.arguments)

    @property
    def numerator_score_only(self) -> bool:
        """Whether the only score term is the θ0 score on rows with y = 0 (CASCAL, RASCAL,
        ALICES): then a batch ordered y = 0 first needs t̂ for those rows only."""
        scores = [term for term in self.terms if any(a.startswith("t_hat") for a in term.arguments)]
        return self.family == "parameterized_ratio" and len(scores) == 1 and scores[0] is SCORE_0

    @property
    def columns(self) -> tuple[str, ...]:
        """Data columns read: the inputs of the family and every term's truth."""
        inputs = FAMILY_INPUTS[self.family]
        truths = [a for term in self.terms for a in term.arguments if "_hat" not in a]
        return tuple(dict.fromkeys([*inputs, *truths]))

    def loss_terms(self, outputs: Mapping[str, torch.Tensor], batch: Mapping[str, torch.Tensor]) -> list[torch.Tensor]:
        """Per-term batch means, each of shape ()."""
        values = {**batch, **outputs}
        return [term.loss(**{a: values[a] for a in term.arguments}) for term in self.terms]

    def weights(self, alpha: float) -> torch.Tensor:
        return torch.tensor([alpha if term.weight == "alpha" else 1.0 for term in self.terms])

    @property
    def gradients_by_hand(self) -> bool:
        """Whether training can run without autograd: an MLP family whose every loss term
        comes with its gradient (see :mod:`goldmine.inference.backprop`)."""
        return self.family in BY_HAND_FAMILIES and all(term.loss_and_gradient for term in self.terms)

    def loss_terms_and_gradients(
        self, outputs: Mapping[str, torch.Tensor], batch: Mapping[str, torch.Tensor], weights: list[float]
    ) -> tuple[list[torch.Tensor], dict[str, torch.Tensor]]:
        """Per-term batch means, and the gradient of Σ weight·term with respect to each
        output that the terms use."""
        values = {**batch, **outputs}
        terms, gradients = [], {}
        for term, weight in zip(self.terms, weights):
            loss, gradient = term.loss_and_gradient(**{a: values[a] for a in term.arguments})
            terms.append(loss)
            gradient = gradient if weight == 1.0 else gradient.mul_(weight)
            name = term.estimate
            gradients[name] = gradient if name not in gradients else gradients[name] + gradient
        return terms, gradients


XE = Term("xe", losses.ratio_xe, ("log_r_hat", "y"), loss_and_gradient=losses.ratio_xe_and_gradient)
IMPROVED_XE = Term("improved_xe", losses.ratio_augmented_xe, ("log_r_hat", "r_xz"),
                   loss_and_gradient=losses.ratio_augmented_xe_and_gradient)
MSE_R = Term("mse_r", losses.ratio_mse, ("log_r_hat", "y", "r_xz"), loss_and_gradient=losses.ratio_mse_and_gradient)
SCORE_0 = Term("mse_score0", losses.score_mse_numerator, ("t_hat0", "t_xz0", "y"), "alpha",
               losses.score_mse_numerator_and_gradient)
SCORE_1 = Term("mse_score1", losses.score_mse_denominator, ("t_hat1", "t_xz1", "y"), "alpha")
NLL = Term("nll", losses.negative_log_likelihood, ("log_p_hat",))

_RATIO_TERMS = {
    "carl": (XE,),
    "rolr": (MSE_R,),
    "alice": (IMPROVED_XE,),
    "cascal": (XE, SCORE_0),
    "rascal": (MSE_R, SCORE_0),
    "alices": (IMPROVED_XE, SCORE_0),
}

SCORE = Term("mse_score", losses.score_mse, ("t_hat", "t_xz"), loss_and_gradient=losses.score_mse_and_gradient)

METHODS: dict[str, Method] = {
    "sally": Method("sally", "score", (SCORE,)),
    "sallino": Method("sallino", "score", (SCORE,)),
    "nde": Method("nde", "likelihood", (NLL,)),
    "scandal": Method("scandal", "likelihood", (NLL, Term("mse_score", losses.score_mse, ("t_hat", "t_xz"), "alpha"))),
    **{name: Method(name, "parameterized_ratio", terms) for name, terms in _RATIO_TERMS.items()},
    **{
        f"{name}2": Method(f"{name}2", "doubly_parameterized_ratio", terms + ((SCORE_1,) if SCORE_0 in terms else ()))
        for name, terms in _RATIO_TERMS.items()
    },
}


def forward(
    model: torch.nn.Module,
    family: Family,
    batch: Mapping[str, torch.Tensor],
    *,
    score: bool,
    score_rows: int | None = None,
) -> dict[str, torch.Tensor]:
    """Call an estimator of ``family`` on a batch; outputs named as the loss terms expect
    (the parameterised ratio's score is the score at θ0, ``t_hat0``). ``score_rows``:
    see :meth:`ParameterizedRatioEstimator.forward`; a ``NETWORK_INPUTS`` column of the
    batch is passed on as the precomputed network inputs."""
    inputs = batch.get(NETWORK_INPUTS)
    if family == "score":
        return model(batch["x"], inputs=inputs)
    if family == "parameterized_ratio":
        out = model(batch["x"], batch["theta0"], score=score, score_rows=score_rows, inputs=inputs)
        if "t_hat" in out:
            out["t_hat0"] = out.pop("t_hat")
        return out
    if family == "doubly_parameterized_ratio":
        return model(batch["x"], batch["theta0"], batch["theta1"], score=score)
    return model(batch["x"], batch["theta"], score=score)


#: The estimator's name of an output that the parameterised ratio's losses call otherwise.
_RATIO_NAMES = {"t_hat0": "t_hat"}


def forward_for_training(
    model: torch.nn.Module,
    family: Family,
    batch: Mapping[str, torch.Tensor],
    *,
    score: bool,
    score_rows: int | None = None,
) -> tuple[dict[str, torch.Tensor], Backward]:
    """:func:`forward` for a family of :data:`BY_HAND_FAMILIES` from the batch's
    ``NETWORK_INPUTS``, and the backward pass from the gradients with respect to the
    outputs (named as here) to those with respect to the weights; no autograd: call both
    under ``torch.no_grad``."""
    inputs = batch[NETWORK_INPUTS]
    if family == "score":
        return model.forward_for_training(inputs)
    outputs, backward = model.forward_for_training(inputs, score=score, score_rows=score_rows)
    if "t_hat" not in outputs:
        return outputs, backward
    outputs["t_hat0"] = outputs.pop("t_hat")

    def renamed_backward(gradients: Mapping[str, torch.Tensor]) -> list[torch.Tensor]:
        return backward({_RATIO_NAMES.get(name, name): value for name, value in gradients.items()})

    return outputs, renamed_backward
