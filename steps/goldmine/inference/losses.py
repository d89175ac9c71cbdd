"""Losses as batch means, shape (). Each takes only what it uses.

The losses are those of arXiv:1805.00020 ("A guide to constraining effective field
theories with machine learning"), arXiv:1805.12244 ("Mining gold from implicit models")
and arXiv:1808.00973 (ALICE), each stated here as a formula and cited by paper and method
name. Conventions: y = 0 for x drawn at θ0, y = 1 for x drawn at θ1, r = p(x|θ0)/p(x|θ1),
and the classifier s = 1/(1 + r) is the probability of y = 1. Score terms average over the
P components, so each loss equals MadMiner's loss of the same name.

Each returns the mean over the batch rather than per-sample values: torch's fused
reductions (``mse_loss``, ``binary_cross_entropy_with_logits``) are one operation and one
backward node where a per-sample form and a separate mean take four to six.

:data:`TERMS` names each loss with the arguments it takes, from the estimator's outputs
(``*_hat``) and the training data's columns; :class:`Objective` is a method's weighted
sum of terms (:data:`goldmine.methods.METHODS`). Gradients come from autograd.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

import torch
import torch.nn.functional as F

from goldmine.errors import GoldmineError

__all__ = [
    "TERMS",
    "Objective",
    "Term",
    "negative_log_likelihood",
    "ratio_augmented_xe",
    "ratio_mse",
    "ratio_xe",
    "score_mse",
    "score_mse_denominator",
    "score_mse_numerator",
    "weighted_score_mse",
]

#: The terms that have a form for weighted rows, and its name.
WEIGHTED_TERMS = {"mse_score": "weighted_mse_score"}

#: ROLR clips log r and log r̂ to ±10 before exponentiating, as MadMiner does.
LOG_R_CLIP = 10.0
_R_CLIP = (math.exp(-LOG_R_CLIP), math.exp(LOG_R_CLIP))


def score_mse(t_hat: torch.Tensor, t_xz: torch.Tensor) -> torch.Tensor:
    """SALLY, SALLINO: |t̂(x) − t(x,z)|² / P, minimised by t̂(x) = E[t(x,z)|x] = t(x)
    (score regression: arXiv:1805.00020, 1805.12244)."""
    return F.mse_loss(t_hat, t_xz)


def weighted_score_mse(t_hat: torch.Tensor, t_xz: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """SALLY, SALLINO on weighted rows (goldmine.augment.weighted): w |t̂(x) − t(x,z)|² / P
    with the event weights w (mean 1), the same expectation and minimiser as
    :func:`score_mse` on rows drawn by weight."""
    return (weight[:, None] * (t_hat - t_xz) ** 2).mean()


def ratio_xe(log_r_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """CARL: cross-entropy −[y log ŝ + (1 − y) log(1 − ŝ)] of ŝ = 1/(1 + r̂) against the
    label y (Cranmer, Pavez, Louppe, arXiv:1506.02169; as used in arXiv:1805.00020)."""
    return F.binary_cross_entropy_with_logits(-log_r_hat, y)


def ratio_augmented_xe(log_r_hat: torch.Tensor, r_xz: torch.Tensor) -> torch.Tensor:
    """ALICE: cross-entropy −[s log ŝ + (1 − s) log(1 − ŝ)] against s(x,z) = 1/(1 + r(x,z))
    instead of y (the improved cross-entropy of arXiv:1808.00973)."""
    return F.binary_cross_entropy_with_logits(-log_r_hat, torch.reciprocal(r_xz + 1.0))


def ratio_mse(log_r_hat: torch.Tensor, y: torch.Tensor, r_xz: torch.Tensor) -> torch.Tensor:
    """ROLR: (1 − y)|1/r̂ − 1/r(x,z)|² + y|r̂ − r(x,z)|², minimised by r̂ = r(x)
    (ratio regression: arXiv:1805.00020, 1805.12244)."""
    _, _, numerator, denominator = _clipped_ratio_differences(log_r_hat, r_xz)
    return ((1.0 - y) * numerator**2 + y * denominator**2).mean()


def _clipped_ratio_differences(log_r_hat: torch.Tensor, r_xz: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """1/r̂, r̂, 1/r̂ − 1/r and r̂ − r, with log r̂ and r clipped as MadMiner does."""
    log_r_hat = log_r_hat.clamp(-LOG_R_CLIP, LOG_R_CLIP)
    r_xz = r_xz.clamp(*_R_CLIP)
    inverse_r_hat, r_hat = torch.exp(-log_r_hat), torch.exp(log_r_hat)
    return inverse_r_hat, r_hat, inverse_r_hat - 1.0 / r_xz, r_hat - r_xz


def score_mse_numerator(t_hat0: torch.Tensor, t_xz0: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The score term of CASCAL, RASCAL (arXiv:1805.00020, 1805.12244) and ALICES
    (arXiv:1808.00973): (1 − y)|t̂(x|θ0) − t(x,z|θ0)|² / P, on the rows drawn at θ0,
    weighted by α in the total loss."""
    return ((1.0 - y) * _row_mse(t_hat0, t_xz0)).mean()


def score_mse_denominator(t_hat1: torch.Tensor, t_xz1: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The θ1 score term of the doubly parameterised variants, on rows drawn at θ1."""
    return (y * _row_mse(t_hat1, t_xz1)).mean()


def negative_log_likelihood(log_p_hat: torch.Tensor) -> torch.Tensor:
    """NDE: −log p̂(x|θ); with the α-weighted score term |t̂(x|θ) − t(x,z|θ)|² / P added,
    SCANDAL (arXiv:1805.12244)."""
    return -log_p_hat.mean()


def _row_mse(t_hat: torch.Tensor, t_xz: torch.Tensor) -> torch.Tensor:
    """|t̂ − t|² / P per row (n,)."""
    return ((t_hat - t_xz) ** 2).mean(dim=1)


@dataclass(frozen=True)
class Term:
    """A loss and the names of its arguments: estimator outputs (``*_hat``) and data columns."""

    loss: Callable[..., torch.Tensor]
    arguments: tuple[str, ...]

    @property
    def outputs(self) -> tuple[str, ...]:
        return tuple(a for a in self.arguments if a.endswith(("_hat", "_hat0", "_hat1")))

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(a for a in self.arguments if a not in self.outputs)


#: Every loss term by the name that methods and training histories use.
TERMS: dict[str, Term] = {
    "mse_score": Term(score_mse, ("t_hat", "t_xz")),
    "weighted_mse_score": Term(weighted_score_mse, ("t_hat", "t_xz", "weight")),
    "xe": Term(ratio_xe, ("log_r_hat", "y")),
    "improved_xe": Term(ratio_augmented_xe, ("log_r_hat", "r_xz")),
    "mse_r": Term(ratio_mse, ("log_r_hat", "y", "r_xz")),
    "mse_score0": Term(score_mse_numerator, ("t_hat0", "t_xz0", "y")),
    "mse_score1": Term(score_mse_denominator, ("t_hat1", "t_xz1", "y")),
    "nll": Term(negative_log_likelihood, ("log_p_hat",)),
}


@dataclass(frozen=True)
class Objective:
    """A method's loss: Σ_i weight_i · term_i over named terms (``goldmine.methods.Method.terms``)."""

    names: tuple[str, ...]
    weights: tuple[float, ...]

    @classmethod
    def of(cls, terms: tuple[tuple[str, str], ...], alpha: float, *, weighted: bool = False) -> Objective:
        """From (term name, "one" | "alpha") pairs and the value of α; ``weighted``: for
        rows that carry event weights (each term's weighted form)."""
        names = tuple(name for name, _ in terms)
        if weighted:
            missing = [name for name in names if name not in WEIGHTED_TERMS]
            if missing:
                msg = f"the loss term {missing[0]} has no form for weighted rows (augmentation.score_rows: weighted)"
                raise GoldmineError(msg)
            names = tuple(WEIGHTED_TERMS[name] for name in names)
        return cls(names, tuple(alpha if weight == "alpha" else 1.0 for _, weight in terms))

    def __post_init__(self) -> None:
        # resolved once: a training step calls the objective some 10⁵ times
        object.__setattr__(self, "_terms", tuple(TERMS[name] for name in self.names))

    @property
    def outputs(self) -> tuple[str, ...]:
        """The estimator outputs the terms compare with the truth."""
        return tuple(dict.fromkeys(o for term in self._terms for o in term.outputs))

    @property
    def columns(self) -> tuple[str, ...]:
        """The data columns the terms read (the truth)."""
        return tuple(dict.fromkeys(c for term in self._terms for c in term.columns))

    @cached_property
    def needs_score(self) -> bool:
        """Whether a term compares θ-gradients (``t_hat*``), which the estimator then computes."""
        return any(output.startswith("t_hat") for output in self.outputs)

    def __call__(self, model: torch.nn.Module, batch: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """A training loss (:class:`goldmine.inference.training.Loss`): the weighted total
        of ``model``'s terms on a batch of its prepared inputs
        (:meth:`~goldmine.inference.estimators.Estimator.prepare`) and the truth, shape (),
        and the terms themselves, (n_terms,) and detached."""
        terms = self.terms(model.predict(batch, score=self.needs_score), batch)
        total = terms[0] if self.weights[0] == 1.0 else self.weights[0] * terms[0]
        for weight, term in zip(self.weights[1:], terms[1:]):
            total = total + term if weight == 1.0 else total + weight * term
        return total, torch.stack([term.detach() for term in terms])

    def terms(self, outputs: Mapping[str, torch.Tensor], batch: Mapping[str, torch.Tensor]) -> list[torch.Tensor]:
        """Each term's batch mean, shape ()."""
        values = {**batch, **outputs}
        return [term.loss(*(values[a] for a in term.arguments)) for term in self._terms]
