"""Building blocks: input standardisation stored with the weights, and MLPs."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["ACTIVATIONS", "Standardize", "mlp"]

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
