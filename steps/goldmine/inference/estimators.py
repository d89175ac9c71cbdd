"""The estimator families. Each is one class that declares what it takes and gives:

    family                      inputs               outputs
    ScoreEstimator              x                    t_hat (n, P)
    ParameterizedRatioEstimator x, theta0            log_r_hat (n,), t_hat0 (n, P) = ∇_θ0 log r̂
    DoublyParameterizedRatio... x, theta0, theta1    log_r_hat (n,), t_hat0, t_hat1 (n, P)
    LikelihoodEstimator         x, theta             log_p_hat (n,), t_hat (n, P) = ∇_θ log p̂

Outputs carry the names the loss terms use (:data:`goldmine.inference.losses.TERMS`), so
a method is a table of terms over them. r̂(x|θ0, θ1) estimates p(x|θ0)/p(x|θ1); the
parameterised ratio's θ1 is the reference its training data were drawn at. x and θ are
standardised inside each module (buffers fitted on the training data), so the same
transform is applied wherever the model runs; scores are derivatives by the raw θ.

To add a family: subclass :class:`Estimator`, set its class attributes, write
``__init__``, ``fit_scaling`` and ``forward`` (or ``prepare`` and ``predict``), and
register it in :data:`FAMILIES`.
Training, saving, loading and evaluation then work unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import ClassVar

import numpy as np
import torch
import zuko
from torch import nn

from goldmine.inference.networks import MLP, Standardize

__all__ = [
    "FAMILIES",
    "DoublyParameterizedRatioEstimator",
    "Estimator",
    "EstimatorSettings",
    "LikelihoodEstimator",
    "ParameterizedRatioEstimator",
    "ScoreEstimator",
]

Columns = Mapping[str, torch.Tensor]


@dataclass(frozen=True)
class EstimatorSettings:
    """Architecture: MLP widths and activation; for the likelihood family a masked
    autoregressive flow with ``flow_transforms`` transforms; ``n_nuisances`` shape nuisances
    whose score components a score estimator learns beside θ's; ``reference``, the one θ₁ (P,)
    a parameterized ratio's training rows are against (None: several)."""

    n_observables: int
    n_parameters: int
    hidden: tuple[int, ...] = (100, 100)
    activation: str = "tanh"
    dropout: float = 0.0
    flow_transforms: int = 5
    n_nuisances: int = 0
    reference: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.reference is not None and len(self.reference) != self.n_parameters:
            msg = f"estimator reference {list(self.reference)} has not the {self.n_parameters} parameters' values"
            raise ValueError(msg)

    def to_dict(self) -> dict:
        reference = None if self.reference is None else list(self.reference)
        return {**asdict(self), "hidden": list(self.hidden), "reference": reference}


def with_theta_gradients(
    log_output: Callable[..., torch.Tensor], thetas: tuple[torch.Tensor, ...]
) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    """``log_output(*thetas)`` (n,) and its gradient by each θ (n, P), by autograd: twice
    differentiable while training (a loss of the score trains the network), detached otherwise."""
    create_graph = torch.is_grad_enabled()
    with torch.enable_grad():
        thetas = tuple(theta.detach().requires_grad_(True) for theta in thetas)
        output = log_output(*thetas)
        gradients = torch.autograd.grad(output.sum(), thetas, create_graph=create_graph)
    return (output, gradients) if create_graph else (output.detach(), gradients)


class Estimator(nn.Module):
    """The protocol every family follows.

    Class attributes: ``family`` (the name saved with a model), ``inputs`` (data columns,
    in call order), ``outputs`` (with ``score=True``), ``score_output`` (the output that
    is the score t̂(x) at the one θ of the training data, for Fisher information and
    SALLY histograms; None where the score depends on θ) and ``log_likelihood_output``
    (the output whose sum over events is the log-likelihood of θ up to a θ-independent
    constant, for the ML limits; None for score estimators).

    A family writes :meth:`forward`; or :meth:`prepare` (input columns → the network's
    standardised, assembled inputs) and :meth:`predict` (those → outputs), which
    ``forward`` then composes: training prepares its data once, not in every step.
    """

    family: ClassVar[str]
    inputs: ClassVar[tuple[str, ...]]
    outputs: ClassVar[tuple[str, ...]]
    score_output: ClassVar[str | None] = None
    log_likelihood_output: ClassVar[str | None] = None

    def __init__(self, settings: EstimatorSettings) -> None:
        super().__init__()
        self.settings = settings
        self.x_scaling = Standardize(settings.n_observables)
        self.theta_scaling = Standardize(settings.n_parameters)

    def fit_scaling(self, columns: Columns) -> None:
        """Fit the standardisations on training columns (CPU tensors by input name)."""
        self.x_scaling.fit(columns["x"])

    def forward(self, columns: Columns, *, score: bool = True) -> dict[str, torch.Tensor]:
        """Outputs by name from input columns; with ``score=False`` the θ-gradients are
        left out (evaluation of log r̂ or log p̂ alone)."""
        return self.predict(self.prepare(columns), score=score)

    def prepare(self, columns: Columns) -> dict[str, torch.Tensor]:
        """What :meth:`predict` reads, from input columns, rows aligned (by default the
        columns themselves)."""
        return dict(columns)

    def predict(self, prepared: Columns, *, score: bool = True) -> dict[str, torch.Tensor]:
        """Outputs by name from :meth:`prepare`'s columns (by default :meth:`forward`)."""
        return self.forward(prepared, score=score)

    def input_columns(self, x: np.ndarray, theta: np.ndarray | None, reference: np.ndarray | None) -> dict[str, np.ndarray]:
        """The inputs for events x (n, O) at θ (n, P), against the ``reference`` θ (P,)
        that the analysis compares with (used by the doubly parameterised ratio)."""
        return {"x": x}


class ScoreEstimator(Estimator):
    """SALLY/SALLINO: t̂(x) ≈ E[t(x,z|θ_ref)|x] = t(x|θ_ref), (P + K,): θ's components, then
    those of the K shape nuisances at ν = 0."""

    family = "score"
    inputs = ("x",)
    outputs = ("t_hat",)
    score_output = "t_hat"

    def __init__(self, settings: EstimatorSettings) -> None:
        super().__init__(settings)
        self.net = MLP(settings.n_observables, settings.n_parameters + settings.n_nuisances, settings.hidden,
                       settings.activation, settings.dropout)

    def prepare(self, columns: Columns) -> dict[str, torch.Tensor]:
        return {"inputs": self.x_scaling(columns["x"])}

    def predict(self, prepared: Columns, *, score: bool = True) -> dict[str, torch.Tensor]:
        return {"t_hat": self.net(prepared["inputs"])}

    @torch.no_grad()
    def absorb_target_scaling(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Trained on standardised scores (t − mean)/std (P + K,), the network's output layer
        takes the scale over, so that t̂ comes out in the score's own units."""
        output = self.net[-1]
        output.weight.mul_(std.to(output.weight)[:, None])
        output.bias.mul_(std.to(output.bias)).add_(mean.to(output.bias))


class ParameterizedRatioEstimator(Estimator):
    """log r̂(x|θ0) = log p̂(x|θ0)/p̂(x|θ_ref), one network f of (θ0, x).

    With the settings' ``reference`` θ_ref, log r̂(x|θ0) = f(θ0, x) − f(θ_ref, x): r̂ is 1 at
    θ0 = θ_ref for every x, as the true ratio is, instead of a noisy ≈ 1 whose logarithm,
    summed over the 10⁵ events of an Asimov data set, outweighs every real difference in θ.
    """

    family = "parameterized_ratio"
    inputs = ("x", "theta0")
    outputs = ("log_r_hat", "t_hat0")
    log_likelihood_output = "log_r_hat"

    def __init__(self, settings: EstimatorSettings) -> None:
        super().__init__(settings)
        # against a reference, an output bias would cancel in f(θ0, x) − f(θ_ref, x)
        self.net = MLP(settings.n_parameters + settings.n_observables, 1, settings.hidden, settings.activation,
                       settings.dropout, output_bias=settings.reference is None)

    def fit_scaling(self, columns: Columns) -> None:
        super().fit_scaling(columns)
        self.theta_scaling.fit(columns["theta0"])

    def prepare(self, columns: Columns) -> dict[str, torch.Tensor]:
        x_scaled = self.x_scaling(columns["x"])
        prepared = {"inputs": torch.cat([self.theta_scaling(columns["theta0"]), x_scaled], dim=1)}
        if self.settings.reference is not None:
            reference = torch.tensor(self.settings.reference, dtype=x_scaled.dtype, device=x_scaled.device)
            scaled_reference = self.theta_scaling(reference).expand(len(x_scaled), -1)
            prepared["reference_inputs"] = torch.cat([scaled_reference, x_scaled], dim=1)
        return prepared

    def predict(self, prepared: Columns, *, score: bool = True) -> dict[str, torch.Tensor]:
        inputs = prepared["inputs"]
        # f(θ_ref, x) does not depend on θ0: it shifts log r̂, not its gradient
        at_reference = (self.net(prepared["reference_inputs"]).squeeze(1) if "reference_inputs" in prepared
                        else torch.zeros((), dtype=inputs.dtype, device=inputs.device))
        if not score:
            return {"log_r_hat": self.net(inputs).squeeze(1) - at_reference}
        theta0 = slice(0, self.settings.n_parameters)
        log_r_hat, t_hat0 = self.net.with_input_gradient(inputs, theta0, 1.0 / self.theta_scaling.std)
        return {"log_r_hat": log_r_hat - at_reference, "t_hat0": t_hat0}

    def input_columns(self, x: np.ndarray, theta: np.ndarray | None, reference: np.ndarray | None) -> dict[str, np.ndarray]:
        return {"x": x, "theta0": theta}


class DoublyParameterizedRatioEstimator(Estimator):
    """log r̂(x|θ0, θ1) = f(x, θ0, θ1) − f(x, θ1, θ0): antisymmetric by construction."""

    family = "doubly_parameterized_ratio"
    inputs = ("x", "theta0", "theta1")
    outputs = ("log_r_hat", "t_hat0", "t_hat1")
    log_likelihood_output = "log_r_hat"

    def __init__(self, settings: EstimatorSettings) -> None:
        super().__init__(settings)
        # An output bias would cancel in f(θ0, θ1) − f(θ1, θ0): leave it out.
        self.net = MLP(2 * settings.n_parameters + settings.n_observables, 1, settings.hidden, settings.activation,
                       settings.dropout, output_bias=False)

    def fit_scaling(self, columns: Columns) -> None:
        super().fit_scaling(columns)
        self.theta_scaling.fit(torch.cat([columns["theta0"], columns["theta1"]]))

    def prepare(self, columns: Columns) -> dict[str, torch.Tensor]:
        x_scaled = self.x_scaling(columns["x"])
        scaled0, scaled1 = self.theta_scaling(columns["theta0"]), self.theta_scaling(columns["theta1"])
        return {"inputs": torch.cat([scaled0, scaled1, x_scaled], dim=1),
                "swapped_inputs": torch.cat([scaled1, scaled0, x_scaled], dim=1)}

    def predict(self, prepared: Columns, *, score: bool = True) -> dict[str, torch.Tensor]:
        # f(x, θ0, θ1) and f(x, θ1, θ0) in one pass over twice the rows
        inputs = torch.cat([prepared["inputs"], prepared["swapped_inputs"]])
        n_rows, n_parameters = len(prepared["inputs"]), self.settings.n_parameters
        if not score:
            forward, backward = self.net(inputs).squeeze(1).split(n_rows)
            return {"log_r_hat": forward - backward}
        thetas = slice(0, 2 * n_parameters)
        outputs, gradients = self.net.with_input_gradient(inputs, thetas, 1.0 / self.theta_scaling.std.repeat(2))
        forward, backward = outputs.split(n_rows)
        gradient_forward, gradient_backward = gradients.split(n_rows)
        first, second = slice(0, n_parameters), slice(n_parameters, 2 * n_parameters)
        return {
            "log_r_hat": forward - backward,
            "t_hat0": gradient_forward[:, first] - gradient_backward[:, second],
            "t_hat1": gradient_forward[:, second] - gradient_backward[:, first],
        }

    def input_columns(self, x: np.ndarray, theta: np.ndarray | None, reference: np.ndarray | None) -> dict[str, np.ndarray]:
        return {"x": x, "theta0": theta, "theta1": np.broadcast_to(reference, np.shape(theta))}


class LikelihoodEstimator(Estimator):
    """log p̂(x|θ): a conditional masked autoregressive flow (zuko) on standardised x."""

    family = "likelihood"
    inputs = ("x", "theta")
    outputs = ("log_p_hat", "t_hat")
    log_likelihood_output = "log_p_hat"

    def __init__(self, settings: EstimatorSettings) -> None:
        super().__init__(settings)
        self.flow = zuko.flows.MAF(
            features=settings.n_observables,
            context=settings.n_parameters,
            transforms=settings.flow_transforms,
            hidden_features=tuple(settings.hidden),
        )

    def fit_scaling(self, columns: Columns) -> None:
        super().fit_scaling(columns)
        self.theta_scaling.fit(columns["theta"])

    def prepare(self, columns: Columns) -> dict[str, torch.Tensor]:
        return {"inputs": self.x_scaling(columns["x"]), "context": self.theta_scaling(columns["theta"])}

    def predict(self, prepared: Columns, *, score: bool = True) -> dict[str, torch.Tensor]:
        x_scaled = prepared["inputs"]
        # log p(x) = log p(x_std) − Σ log std_x: the Jacobian of the standardisation
        log_jacobian = torch.log(self.x_scaling.std).sum()

        def log_p(context: torch.Tensor) -> torch.Tensor:
            return self.flow(context).log_prob(x_scaled) - log_jacobian

        if not score:
            return {"log_p_hat": log_p(prepared["context"])}
        log_p_hat, (scaled_gradient,) = with_theta_gradients(log_p, (prepared["context"],))
        return {"log_p_hat": log_p_hat, "t_hat": scaled_gradient / self.theta_scaling.std}

    def input_columns(self, x: np.ndarray, theta: np.ndarray | None, reference: np.ndarray | None) -> dict[str, np.ndarray]:
        return {"x": x, "theta": theta}


FAMILIES: dict[str, type[Estimator]] = {
    cls.family: cls
    for cls in (ScoreEstimator, ParameterizedRatioEstimator, DoublyParameterizedRatioEstimator, LikelihoodEstimator)
}
