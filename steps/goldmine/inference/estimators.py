"""The four estimator families. Each returns named outputs of documented shape:

    ScoreEstimator                    x → t_hat (n, P)
    ParameterizedRatioEstimator       (x, θ) → log_r_hat (n,), t_hat (n, P) = ∇_θ log r̂
    DoublyParameterizedRatioEstimator (x, θ0, θ1) → log_r_hat (n,), t_hat0, t_hat1 (n, P)
    LikelihoodEstimator               (x, θ) → log_p_hat (n,), t_hat (n, P) = ∇_θ log p̂

r̂(x|θ) estimates p(x|θ0)/p(x|θ1) with θ1 the reference of the training data. x and θ
are standardised inside each module (buffers fitted on the training data), so the
same transform is applied at training and at evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import ClassVar, Literal

import torch
import zuko
from torch import nn

from goldmine.inference.backprop import MLPPass, forward_with_input_gradient
from goldmine.inference.networks import Standardize, mlp

__all__ = [
    "ESTIMATORS",
    "DoublyParameterizedRatioEstimator",
    "EstimatorSettings",
    "LikelihoodEstimator",
    "ParameterizedRatioEstimator",
    "ScoreEstimator",
]

Family = Literal["score", "parameterized_ratio", "doubly_parameterized_ratio", "likelihood"]

#: From the gradients of a loss with respect to named outputs to those with respect to
#: the weights, one per parameter in ``parameters()`` order.
Backward = Callable[[Mapping[str, torch.Tensor]], list[torch.Tensor]]


@dataclass(frozen=True)
class EstimatorSettings:
    """Architecture: MLP widths and activation; for the likelihood family a masked
    autoregressive flow with ``flow_transforms`` transforms."""

    n_observables: int
    n_parameters: int
    hidden: tuple[int, ...] = (100, 100)
    activation: str = "tanh"
    dropout: float = 0.0
    flow_transforms: int = 5

    def to_dict(self) -> dict:
        return {**asdict(self), "hidden": list(self.hidden)}


def _gradient(output: torch.Tensor, wrt: torch.Tensor) -> torch.Tensor:
    """∇ of a per-sample output (n,) with respect to inputs (n, P), differentiable."""
    (gradient,) = torch.autograd.grad(output.sum(), wrt, create_graph=torch.is_grad_enabled())
    return gradient


class _Estimator(nn.Module):
    family: ClassVar[Family]

    def __init__(self, settings: EstimatorSettings) -> None:
        super().__init__()
        self.settings = settings
        self.x_scaling = Standardize(settings.n_observables)
        self.theta_scaling = Standardize(settings.n_parameters)

    def fit_scaling(self, x: torch.Tensor, theta: torch.Tensor | None) -> None:
        self.x_scaling.fit(x)
        if theta is not None:
            self.theta_scaling.fit(theta)

    def network_inputs(self, *columns: torch.Tensor) -> torch.Tensor | None:
        """The network's standardised inputs for the family's input columns, for training
        to compute once instead of per batch (the scaling is fixed while it trains), given
        back to :meth:`forward` as ``inputs``; None where the family does not take them."""
        return None


class ScoreEstimator(_Estimator):
    """SALLY/SALLINO: t̂(x) ≈ E[t(x,z|θ_ref)|x] = t(x|θ_ref)."""

    family = "score"

    def __init__(self, settings: EstimatorSettings) -> None:
        super().__init__(settings)
        self.net = mlp(settings.n_observables, settings.n_parameters, settings.hidden, settings.activation,
                       settings.dropout)

    def network_inputs(self, *columns: torch.Tensor) -> torch.Tensor:
        (x,) = columns
        return self.x_scaling(x)

    def forward(self, x: torch.Tensor, *, inputs: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """``inputs``: :meth:`network_inputs` of ``x``, when computed beforehand."""
        return {"t_hat": self.net(self.network_inputs(x) if inputs is None else inputs)}

    def forward_for_training(self, inputs: torch.Tensor) -> tuple[dict[str, torch.Tensor], Backward]:
        """:meth:`forward` of :meth:`network_inputs`, and its backward pass written out
        (:class:`~goldmine.inference.backprop.MLPPass`); call both under ``torch.no_grad``."""
        mlp_pass = MLPPass(self.net, inputs)
        return {"t_hat": mlp_pass.outputs}, lambda gradients: mlp_pass.backward(gradients["t_hat"])[0]


class ParameterizedRatioEstimator(_Estimator):
    """log r̂(x|θ) = log p̂(x|θ)/p̂(x|θ_ref), one network of (θ, x)."""

    family = "parameterized_ratio"

    def __init__(self, settings: EstimatorSettings) -> None:
        super().__init__(settings)
        self.net = mlp(settings.n_parameters + settings.n_observables, 1, settings.hidden, settings.activation,
                       settings.dropout)

    def network_inputs(self, *columns: torch.Tensor) -> torch.Tensor:
        x, theta = columns
        return torch.cat([self.theta_scaling(theta), self.x_scaling(x)], dim=1)

    def forward(
        self,
        x: torch.Tensor,
        theta: torch.Tensor,
        *,
        score: bool = True,
        score_rows: int | None = None,
        inputs: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """With ``score_rows`` = k, t_hat (k, P) is computed for the first k rows only
        (training orders a batch so that only those rows need it). ``inputs``:
        :meth:`network_inputs` of (x, θ), when computed beforehand."""
        if inputs is None:
            inputs = self.network_inputs(x, theta)
        if not score:
            return {"log_r_hat": self.net(inputs).squeeze(1)}
        output, gradient = forward_with_input_gradient(self.net, inputs, *self._theta_tangents(), score_rows)
        # squeeze, not [:, 0]: a view whose backward is a view too (a select's allocates and copies)
        return {"log_r_hat": output.squeeze(1), "t_hat": gradient.squeeze(2)}

    def forward_for_training(
        self, inputs: torch.Tensor, *, score: bool = True, score_rows: int | None = None
    ) -> tuple[dict[str, torch.Tensor], Backward]:
        """:meth:`forward` of :meth:`network_inputs`, and its backward pass written out
        (:class:`~goldmine.inference.backprop.MLPPass`); call both under ``torch.no_grad``."""
        mlp_pass = MLPPass(self.net, inputs, *self._theta_tangents(), score_rows) if score else MLPPass(self.net, inputs)
        outputs = {"log_r_hat": mlp_pass.outputs.squeeze(1)}
        if score:
            outputs["t_hat"] = mlp_pass.tangents.squeeze(2)

        def backward(gradients: Mapping[str, torch.Tensor]) -> list[torch.Tensor]:
            d_log_r = gradients.get("log_r_hat")
            d_t_hat = gradients.get("t_hat")
            d_outputs = torch.zeros_like(mlp_pass.outputs) if d_log_r is None else d_log_r.unsqueeze(1)
            return mlp_pass.backward(d_outputs, None if d_t_hat is None else d_t_hat.unsqueeze(2))[0]

        return outputs, backward

    def _theta_tangents(self) -> tuple[slice, torch.Tensor]:
        """The network-input columns of θ (first) and 1/std of their standardisation:
        derivatives by those columns, times it, are derivatives by θ."""
        return slice(0, self.settings.n_parameters), torch.reciprocal(self.theta_scaling.std)


class DoublyParameterizedRatioEstimator(_Estimator):
    """log r̂(x|θ0, θ1) = f(x, θ0, θ1) − f(x, θ1, θ0): antisymmetric by construction."""

    family = "doubly_parameterized_ratio"

    def __init__(self, settings: EstimatorSettings) -> None:
        super().__init__(settings)
        # An output bias would cancel in f(θ0, θ1) − f(θ1, θ0): leave it out.
        self.net = mlp(2 * settings.n_parameters + settings.n_observables, 1, settings.hidden, settings.activation,
                       settings.dropout, output_bias=False)

    def forward(
        self, x: torch.Tensor, theta0: torch.Tensor, theta1: torch.Tensor, *, score: bool = True
    ) -> dict[str, torch.Tensor]:
        x_scaled, scaled0, scaled1 = self.x_scaling(x), self.theta_scaling(theta0), self.theta_scaling(theta1)
        forward_inputs = torch.cat([scaled0, scaled1, x_scaled], dim=1)
        backward_inputs = torch.cat([scaled1, scaled0, x_scaled], dim=1)
        if not score:
            return {"log_r_hat": (self.net(forward_inputs) - self.net(backward_inputs)).squeeze(1)}
        n_parameters = theta0.shape[1]
        columns, scale = slice(0, 2 * n_parameters), (1.0 / self.theta_scaling.std).repeat(2)
        forward_output, forward_gradient = forward_with_input_gradient(self.net, forward_inputs, columns, scale)
        backward_output, backward_gradient = forward_with_input_gradient(self.net, backward_inputs, columns, scale)
        # f(a, b, x) − f(b, a, x) with a = θ0, b = θ1: the backward pass sees θ1 first
        first, second = slice(0, n_parameters), slice(n_parameters, 2 * n_parameters)
        return {
            "log_r_hat": (forward_output - backward_output).squeeze(1),
            "t_hat0": (forward_gradient[:, first] - backward_gradient[:, second]).squeeze(2),
            "t_hat1": (forward_gradient[:, second] - backward_gradient[:, first]).squeeze(2),
        }


class LikelihoodEstimator(_Estimator):
    """log p̂(x|θ): a conditional masked autoregressive flow (zuko) on standardised x."""

    family = "likelihood"

    def __init__(self, settings: EstimatorSettings) -> None:
        super().__init__(settings)
        self.flow = zuko.flows.MAF(
            features=settings.n_observables,
            context=settings.n_parameters,
            transforms=settings.flow_transforms,
            hidden_features=tuple(settings.hidden),
        )

    def forward(self, x: torch.Tensor, theta: torch.Tensor, *, score: bool = True) -> dict[str, torch.Tensor]:
        if score and not theta.requires_grad:
            theta = theta.detach().requires_grad_(True)
        # log p(x) = log p(x_std) − Σ log std_x: the Jacobian of the standardisation
        log_p_hat = self.flow(self.theta_scaling(theta)).log_prob(self.x_scaling(x)) - torch.log(
            self.x_scaling.std
        ).sum()
        out = {"log_p_hat": log_p_hat}
        if score:
            out["t_hat"] = _gradient(log_p_hat, theta)
        return out


ESTIMATORS: dict[str, type[_Estimator]] = {
    cls.family: cls
    for cls in (ScoreEstimator, ParameterizedRatioEstimator, DoublyParameterizedRatioEstimator, LikelihoodEstimator)
}

