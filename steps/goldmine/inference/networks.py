"""Building blocks: input standardisation stored with the weights, and MLPs."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["ACTIVATIONS", "Standardize", "forward_with_input_gradient", "mlp"]

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
    weights and applied wherever the model runs. Features with zero spread keep std 1."""

    def __init__(self, n_features: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("std", torch.ones(n_features))

    def fit(self, values: torch.Tensor) -> Standardize:
        """Set mean and std from a sample (n, n_features)."""
        std = values.std(dim=0)
        self.mean.copy_(values.mean(dim=0))
        self.std.copy_(torch.where(std > 0, std, torch.ones_like(std)))
        return self

    def forward(self, values: torch.Tensor) -> torch.Tensor:
        return (values - self.mean) / self.std


def mlp(
    n_inputs: int,
    n_outputs: int,
    hidden: Sequence[int],
    activation: str,
    dropout: float = 0.0,
    *,
    output_bias: bool = True,
) -> nn.Sequential:
    """A fully connected network: hidden layers of the given widths, each followed by the
    activation (and dropout), and a linear output layer (with or without bias)."""
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
    return nn.Sequential(*layers)


def _tangent_through(module: nn.Module, tangent: torch.Tensor, pre: torch.Tensor, post: torch.Tensor) -> torch.Tensor:
    """Tangents (n or 1, K, H) through an activation: times its derivative at each row of
    ``pre``/``post`` (n, H). tanh and sigmoid use torch's fused backward kernels (one
    operation with its own derivative, instead of three)."""
    if isinstance(module, nn.Tanh):
        return torch.ops.aten.tanh_backward(tangent, post.unsqueeze(1))
    if isinstance(module, nn.Sigmoid):
        return torch.ops.aten.sigmoid_backward(tangent, post.unsqueeze(1))
    return tangent * _activation_derivative(module, pre, post).unsqueeze(1)


def _activation_derivative(module: nn.Module, pre: torch.Tensor, post: torch.Tensor) -> torch.Tensor:
    """d activation / d pre-activation, elementwise, from its input and output (tanh and
    sigmoid: see :func:`_tangent_through`)."""
    if isinstance(module, nn.ReLU):
        return (pre > 0).to(pre.dtype)
    if isinstance(module, nn.LeakyReLU):
        return torch.where(pre > 0, 1.0, module.negative_slope)
    if isinstance(module, nn.ELU):
        return torch.where(pre > 0, 1.0, post + module.alpha)
    if isinstance(module, nn.Softplus):
        return torch.sigmoid(module.beta * pre)
    if isinstance(module, nn.SiLU):
        sigmoid = torch.sigmoid(pre)
        return sigmoid * (1.0 + pre * (1.0 - sigmoid))
    if isinstance(module, nn.GELU):
        return torch.special.ndtr(pre) + pre * torch.exp(-0.5 * pre**2) / math.sqrt(2.0 * math.pi)
    msg = f"no derivative for {type(module).__name__}"
    raise TypeError(msg)


def forward_with_input_gradient(
    network: nn.Sequential, inputs: torch.Tensor, columns: slice, scale: torch.Tensor, rows: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Outputs (n, n_out) of an :func:`mlp` and their derivatives with respect to the
    input columns ``columns``, each multiplied by ``scale`` (K,): shape (n, K, n_out),
    or (rows, K, n_out) for the first ``rows`` rows only.

    The derivatives are carried forward as tangents beside the activations (one small
    matrix product per layer), so the result is differentiable with respect to the
    weights without the double backward pass that ``torch.autograd.grad`` with
    ``create_graph`` needs. Dropout applies one mask to activations and tangents.
    """
    rows = len(inputs) if rows is None else rows
    layers = list(network)
    first = layers[0]
    hidden = first(inputs)
    tangent = (first.weight[:, columns] * scale).T.unsqueeze(0)  # (1, K, H): the same for every row
    for layer in layers[1:]:
        if isinstance(layer, nn.Linear):
            hidden, tangent = layer(hidden), tangent @ layer.weight.T
        elif isinstance(layer, nn.Dropout):
            if layer.training and layer.p > 0:
                mask = (torch.rand_like(hidden) >= layer.p).to(hidden.dtype) / (1.0 - layer.p)
                hidden, tangent = hidden * mask, tangent * mask[:rows].unsqueeze(1)
        else:
            post = layer(hidden)
            tangent = _tangent_through(layer, tangent, hidden[:rows], post[:rows])
            hidden = post
    return hidden, tangent.expand(rows, -1, -1)
