"""Losses as batch means, shape (). Each takes only what it uses.

The losses are those of arXiv:1805.00020 ("A guide to constraining effective field
theories with machine learning"), arXiv:1805.12244 ("Mining gold from implicit models")
and arXiv:1808.00973 (ALICE), each stated here as a formula and cited by paper and method
name. Conventions: y = 0 for x drawn at θ0, y = 1 for x drawn at θ1, r = p(x|θ0)/p(x|θ1),
and the classifier s = 1/(1 + r) is the probability of y = 1. Score terms average over the
P components, so each loss equals MadMiner's loss of the same name.

Each returns the mean over the batch rather than per-sample values: torch's fused
reductions (``mse_loss``, ``binary_cross_entropy_with_logits``) are one operation and one
backward node where a per-sample form and a separate mean take four to six, which is
15-20 % of a SALLY training step at batch 128 on a CPU.

The losses of the MLP estimators also come as ``*_and_gradient``: the same value and its
derivative with respect to the estimate (the ``_hat`` argument), written out, for the
training step that runs without autograd (:mod:`goldmine.inference.backprop`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = [
    "negative_log_likelihood",
    "ratio_augmented_xe",
    "ratio_augmented_xe_and_gradient",
    "ratio_mse",
    "ratio_mse_and_gradient",
    "ratio_xe",
    "ratio_xe_and_gradient",
    "score_mse",
    "score_mse_and_gradient",
    "score_mse_denominator",
    "score_mse_numerator",
    "score_mse_numerator_and_gradient",
]

Loss = torch.Tensor
Gradient = torch.Tensor

#: ROLR clips log r and log r̂ to ±10 before exponentiating, as MadMiner does.
LOG_R_CLIP = 10.0
_R_CLIP = (math.exp(-LOG_R_CLIP), math.exp(LOG_R_CLIP))


def score_mse(t_hat: torch.Tensor, t_xz: torch.Tensor) -> torch.Tensor:
    """SALLY, SALLINO: |t̂(x) − t(x,z)|² / P, minimised by t̂(x) = E[t(x,z)|x] = t(x)
    (score regression: arXiv:1805.00020, 1805.12244)."""
    return F.mse_loss(t_hat, t_xz)


def score_mse_and_gradient(t_hat: torch.Tensor, t_xz: torch.Tensor) -> tuple[Loss, Gradient]:
    """:func:`score_mse` and its gradient 2 (t̂ − t) / (n P) with respect to t_hat (n, P)."""
    difference = t_hat - t_xz
    return F.mse_loss(t_hat, t_xz), difference.mul_(2.0 / difference.numel())


def ratio_xe(log_r_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """CARL: cross-entropy −[y log ŝ + (1 − y) log(1 − ŝ)] of ŝ = 1/(1 + r̂) against the
    label y (Cranmer, Pavez, Louppe, arXiv:1506.02169; as used in arXiv:1805.00020)."""
    return F.binary_cross_entropy_with_logits(-log_r_hat, y)


def ratio_xe_and_gradient(log_r_hat: torch.Tensor, y: torch.Tensor) -> tuple[Loss, Gradient]:
    """:func:`ratio_xe` and its gradient (y − ŝ) / n with respect to log_r_hat (n,)."""
    return _cross_entropy_and_gradient(log_r_hat, y)


def ratio_augmented_xe(log_r_hat: torch.Tensor, r_xz: torch.Tensor) -> torch.Tensor:
    """ALICE: cross-entropy −[s log ŝ + (1 − s) log(1 − ŝ)] against s(x,z) = 1/(1 + r(x,z))
    instead of y (the improved cross-entropy of arXiv:1808.00973)."""
    return F.binary_cross_entropy_with_logits(-log_r_hat, torch.reciprocal(r_xz + 1.0))


def ratio_augmented_xe_and_gradient(log_r_hat: torch.Tensor, r_xz: torch.Tensor) -> tuple[Loss, Gradient]:
    """:func:`ratio_augmented_xe` and its gradient (s − ŝ) / n with respect to log_r_hat."""
    return _cross_entropy_and_gradient(log_r_hat, torch.reciprocal(r_xz + 1.0))


def _cross_entropy_and_gradient(log_r_hat: torch.Tensor, target: torch.Tensor) -> tuple[Loss, Gradient]:
    """Cross-entropy of ŝ = σ(−log r̂) against ``target``, and its log r̂ derivative."""
    logits = -log_r_hat
    loss = F.binary_cross_entropy_with_logits(logits, target)
    return loss, (target - torch.sigmoid(logits)).div_(len(log_r_hat))


def ratio_mse(log_r_hat: torch.Tensor, y: torch.Tensor, r_xz: torch.Tensor) -> torch.Tensor:
    """ROLR: (1 − y)|1/r̂ − 1/r(x,z)|² + y|r̂ − r(x,z)|², minimised by r̂ = r(x)
    (ratio regression: arXiv:1805.00020, 1805.12244)."""
    _, _, numerator, denominator = _clipped_ratio_differences(log_r_hat, r_xz)
    return ((1.0 - y) * numerator**2 + y * denominator**2).mean()


def ratio_mse_and_gradient(log_r_hat: torch.Tensor, y: torch.Tensor, r_xz: torch.Tensor) -> tuple[Loss, Gradient]:
    """:func:`ratio_mse` and its gradient with respect to log_r_hat (zero where clipped)."""
    inside = (log_r_hat >= -LOG_R_CLIP) & (log_r_hat <= LOG_R_CLIP)
    inverse_r_hat, r_hat, numerator, denominator = _clipped_ratio_differences(log_r_hat, r_xz)
    loss = ((1.0 - y) * numerator**2 + y * denominator**2).mean()
    # d/dl (e^−l − 1/r)² = −2 e^−l (e^−l − 1/r);  d/dl (e^l − r)² = 2 e^l (e^l − r)
    gradient = (y * r_hat * denominator - (1.0 - y) * inverse_r_hat * numerator) * (2.0 / len(y))
    return loss, gradient * inside


def _clipped_ratio_differences(log_r_hat: torch.Tensor, r_xz: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """1/r̂, r̂, 1/r̂ − 1/r and r̂ − r, with log r̂ and r clipped as MadMiner does."""
    log_r_hat = log_r_hat.clamp(-LOG_R_CLIP, LOG_R_CLIP)
    r_xz = r_xz.clamp(*_R_CLIP)
    inverse_r_hat, r_hat = torch.exp(-log_r_hat), torch.exp(log_r_hat)
    return inverse_r_hat, r_hat, inverse_r_hat - 1.0 / r_xz, r_hat - r_xz


def score_mse_numerator(t_hat0: torch.Tensor, t_xz0: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The score term of CASCAL, RASCAL (arXiv:1805.00020, 1805.12244) and ALICES
    (arXiv:1808.00973): (1 − y)|t̂(x|θ0) − t(x,z|θ0)|² / P, on the rows drawn at θ0,
    weighted by α in the total loss.

    ``t_hat0`` with k < n rows holds t̂ of the batch's first k rows only, which are then
    its rows drawn at θ0 (y = 0; training orders batches so): the sum over them / n.
    """
    rows = len(t_hat0)
    if rows < len(y):  # one fused squared-error sum, over the k rows
        return F.mse_loss(t_hat0, t_xz0[:rows], reduction="sum") / t_xz0.numel()
    return ((1.0 - y) * _row_mse(t_hat0, t_xz0)).mean()


def score_mse_numerator_and_gradient(t_hat0: torch.Tensor, t_xz0: torch.Tensor, y: torch.Tensor) -> tuple[Loss, Gradient]:
    """:func:`score_mse_numerator` and its gradient with respect to t_hat0 (k or n, P)."""
    rows = len(t_hat0)
    difference = t_hat0 - t_xz0[:rows]
    if rows == len(y):  # every row: those drawn at θ1 count zero
        difference = difference * (1.0 - y).unsqueeze(1)
    loss = (difference**2).sum() / t_xz0.numel()
    return loss, difference.mul_(2.0 / t_xz0.numel())


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
