"""Building blocks: input standardisation stored with the weights, and MLPs."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["ACTIVATIONS", "MLP", "Standardize"]

#: Activation name → module class. A table of classes, so that no name can map to the
#: wrong function (MadMiner maps "sigmoid" to ReLU).
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
    "softplus": nn.Softplus,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
}


class Standardize(nn.Module):
    """(v - mean) / std with mean and std as buffers, so the transform is saved with the
    weights and applied wherever the model runs. A feature constant to float32 precision
    keeps std 1: the sample says nothing about its scale, and dividing by a spread of
    rounding noise would multiply other samples' differences by 10¹⁸."""

    def __init__(self, n_features: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("std", torch.ones(n_features))

    def fit(self, values: torch.Tensor, weights: torch.Tensor | None = None) -> Standardize:
        """Set mean and std from a sample (n, n_features), its rows weighted by ``weights``
        (n,) where given."""
        if weights is None:
            mean, std = values.mean(dim=0), values.std(dim=0)
        else:
            shares = (weights / weights.sum())[:, None]
            mean = (shares * values).sum(dim=0)
            std = (shares * (values - mean) ** 2).sum(dim=0).sqrt()
        varies = std > 1e-6 * torch.hypot(mean, std)
        self.mean.copy_(mean)
        self.std.copy_(torch.where(varies, std, torch.ones_like(std)))
        return self

    def forward(self, values: torch.Tensor) -> torch.Tensor:
        return (values - self.mean) / self.std


class MLP(nn.Sequential):
    """A fully connected network: hidden layers of the given widths, each followed by the
    activation (and dropout), and a linear output layer (with or without bias).

    :meth:`with_input_gradient` also gives the derivatives of its (single) output by some
    input columns, by autograd, twice differentiable so that a loss of them trains the
    network.
    """

    def __init__(
        self,
        n_inputs: int,
        n_outputs: int,
        hidden: Sequence[int],
        activation: str,
        dropout: float = 0.0,
        *,
        output_bias: bool = True,
    ) -> None:
        if activation not in ACTIVATIONS:
            msg = f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}"
            raise ValueError(msg)
        layers: list[nn.Module] = []
        width = n_inputs
        for size in hidden:
            layers += [nn.Linear(width, size), ACTIVATIONS[activation]()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, n_outputs, bias=output_bias))
        super().__init__(*layers)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Outputs (n, n_out) of inputs (n, n_inputs)."""
        # each layer's own forward: nn.Module.__call__'s hook dispatch per layer is a
        # tenth of a small network's training step on a CPU
        for layer in self:
            inputs = layer.forward(inputs)
        return inputs

    def with_input_gradient(
        self, inputs: torch.Tensor, columns: slice, scale: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The single output (n,) and its derivatives by the input ``columns`` (K of them)
        times ``scale`` (K,): (n, K). Twice differentiable while grad is enabled, detached
        otherwise."""
        create_graph = torch.is_grad_enabled()
        with torch.enable_grad():
            inputs = inputs.detach().requires_grad_(True)
            outputs = self(inputs).squeeze(1)
            (gradient,) = torch.autograd.grad(outputs.sum(), inputs, create_graph=create_graph)
        gradient = gradient[:, columns] * scale
        return (outputs, gradient) if create_graph else (outputs.detach(), gradient.detach())
