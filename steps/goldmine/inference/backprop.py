"""An MLP's forward pass carrying input tangents, and its backward pass written out.

The ratio estimators need log r̂(x|θ) and its θ-gradient t̂ on every training batch,
and the weight gradient of a loss of both. The tangents ∂h/∂θ are carried forward
beside the activations (one small matrix product per layer), and :class:`MLPPass`
records what the backward pass needs and computes the weight gradients by the chain
rule directly: about 45 tensor operations for two hidden layers, where autograd runs
~40 graph nodes of 2-5 operations each. At batch 128 on a CPU, where small operations
cost as much in overhead as in arithmetic, that is a quarter of an ALICES step.

Two ways in: the training loop calls :class:`MLPPass` itself with ∂loss/∂outputs from
the losses' own gradients (no autograd at all), and :func:`forward_with_input_gradient`
wraps it as an autograd function for everything else (evaluation, the doubly
parameterised ratio, user code). Activations are those of
:data:`goldmine.inference.networks.ACTIVATIONS`, each with its first and second
derivative; dropout applies one mask to activations and tangents.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable

__all__ = ["MLPPass", "forward_with_input_gradient"]


def times_derivative(activation: nn.Module, grad: torch.Tensor, pre: torch.Tensor, post: torch.Tensor) -> torch.Tensor:
    """``grad`` times the activation's derivative at pre-activation ``pre`` (output
    ``post``), broadcasting: torch's own fused backward kernel of each activation."""
    aten = torch.ops.aten
    if isinstance(activation, nn.Tanh):
        return aten.tanh_backward(grad, post)
    if isinstance(activation, nn.Sigmoid):
        return aten.sigmoid_backward(grad, post)
    if isinstance(activation, nn.ReLU):
        return aten.threshold_backward(grad, pre, 0.0)
    if isinstance(activation, nn.LeakyReLU):
        return aten.leaky_relu_backward(grad, pre, activation.negative_slope, False)
    if isinstance(activation, nn.ELU):
        return aten.elu_backward(grad, activation.alpha, 1.0, 1.0, False, pre)
    if isinstance(activation, nn.Softplus):
        return aten.softplus_backward(grad, pre, activation.beta, activation.threshold)
    if isinstance(activation, nn.SiLU):
        return aten.silu_backward(grad, pre)
    if isinstance(activation, nn.GELU):
        return aten.gelu_backward(grad, pre, approximate=activation.approximate)
    msg = f"no derivative for {activation}"
    raise TypeError(msg)


def second_derivative(activation: nn.Module, pre: torch.Tensor, post: torch.Tensor) -> torch.Tensor | None:
    """The activation's second derivative at ``pre``, elementwise; None where it is zero
    (piecewise linear activations)."""
    if isinstance(activation, (nn.ReLU, nn.LeakyReLU)):
        return None
    if isinstance(activation, nn.Tanh):  # -2 t (1 - t²)
        return torch.ops.aten.tanh_backward(post, post).mul_(-2.0)
    if isinstance(activation, nn.Sigmoid):  # s (1 - s) (1 - 2 s)
        return torch.ops.aten.sigmoid_backward(1.0 - 2.0 * post, post)
    if isinstance(activation, nn.ELU):
        return torch.where(pre > 0, 0.0, post + activation.alpha)
    if isinstance(activation, nn.Softplus):
        scaled = activation.beta * pre
        sigmoid = torch.sigmoid(scaled)
        return torch.where(scaled > activation.threshold, 0.0, activation.beta * sigmoid * (1.0 - sigmoid))
    if isinstance(activation, nn.SiLU):
        sigmoid = torch.sigmoid(pre)
        return sigmoid * (1.0 - sigmoid) * (2.0 + pre * (1.0 - 2.0 * sigmoid))
    if isinstance(activation, nn.GELU) and activation.approximate == "none":
        return _normal_density(pre) * (2.0 - pre**2)
    msg = f"no second derivative for {activation}"
    raise TypeError(msg)


def _normal_density(values: torch.Tensor) -> torch.Tensor:
    return torch.exp(-0.5 * values**2) / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True)
class _Block:
    """One linear layer and what follows it: an activation (none after the output
    layer) and optionally dropout."""

    linear: nn.Linear
    activation: nn.Module | None = None
    dropout: nn.Dropout | None = None


def _blocks(network: nn.Sequential) -> list[_Block]:
    """The layers of an :func:`~goldmine.inference.networks.mlp` grouped per linear layer
    (kept per network: 14 µs a step otherwise)."""
    blocks = _BLOCKS.get(network)
    if blocks is None:
        blocks = _BLOCKS[network] = _group(network)
    return blocks


_BLOCKS: weakref.WeakKeyDictionary[nn.Sequential, list[_Block]] = weakref.WeakKeyDictionary()


def _group(network: nn.Sequential) -> list[_Block]:
    groups: list[list[nn.Module]] = []
    for layer in network:
        if isinstance(layer, nn.Linear):
            groups.append([layer])
        elif groups and len(groups[-1]) < 3:
            groups[-1].append(layer)
        else:
            msg = f"not an MLP of Linear, activation, dropout layers: {network}"
            raise TypeError(msg)
    blocks = []
    for linear, *rest in groups:
        activation = next((layer for layer in rest if not isinstance(layer, nn.Dropout)), None)
        dropout = next((layer for layer in rest if isinstance(layer, nn.Dropout)), None)
        blocks.append(_Block(linear, activation, dropout))
    return blocks


@dataclass
class _Record:
    """What the backward pass needs of one layer: its input (and input tangents), the
    activation's input and output (rows needing tangents: the first ``rows``), the
    dropout mask, and the tangents before the activation."""

    layer_input: torch.Tensor
    tangent_input: torch.Tensor | None
    pre: torch.Tensor | None = None
    post: torch.Tensor | None = None
    mask: torch.Tensor | None = None
    tangent_pre: torch.Tensor | None = None


class MLPPass:
    """One forward pass of an :func:`~goldmine.inference.networks.mlp` on ``inputs``
    (n, D), recorded for :meth:`backward`.

    With ``columns`` (K of the D input columns) and ``scale`` (K,), the pass also carries
    the derivatives of every output with respect to those inputs, times ``scale``, for the
    first ``rows`` rows (all by default): ``tangents`` (rows, K, n_out). ``outputs``:
    (n, n_out). Run it without autograd (``torch.no_grad``): it records what it needs.
    """

    def __init__(
        self,
        network: nn.Sequential,
        inputs: torch.Tensor,
        columns: slice | None = None,
        scale: torch.Tensor | None = None,
        rows: int | None = None,
    ) -> None:
        self.blocks = _blocks(network)
        self.columns, self.scale = columns, scale
        self.rows = len(inputs) if rows is None else rows
        self.records: list[_Record] = []
        hidden, tangent = inputs, None
        for block in self.blocks:
            record = _Record(hidden, tangent)
            self.records.append(record)
            hidden = F.linear(hidden, block.linear.weight, block.linear.bias)
            if columns is not None:
                tangent = self._tangent_after_linear(block.linear, tangent)
            if block.activation is None:
                break
            record.pre, record.post = hidden, block.activation(hidden)
            if columns is not None:
                record.tangent_pre = tangent
                tangent = times_derivative(block.activation, tangent, hidden[: self.rows].unsqueeze(1),
                                           record.post[: self.rows].unsqueeze(1))
            hidden = record.post
            if block.dropout is not None and block.dropout.training and block.dropout.p > 0:
                record.mask = (torch.rand_like(hidden) >= block.dropout.p).to(hidden.dtype) / (1.0 - block.dropout.p)
                hidden = hidden * record.mask
                if tangent is not None:
                    tangent = tangent * record.mask[: self.rows].unsqueeze(1)
        self.outputs = hidden
        self.tangents = None if tangent is None else tangent.expand(self.rows, -1, -1)

    def _tangent_after_linear(self, linear: nn.Linear, tangent: torch.Tensor | None) -> torch.Tensor:
        """Tangents after a linear layer: (K, H) from the first layer's weight columns (the
        same for every row), else (rows, K, H) from the incoming ones."""
        if tangent is None:
            return (linear.weight[:, self.columns] * self.scale).T.contiguous()
        return torch.matmul(tangent, linear.weight.T)

    def backward(
        self, d_outputs: torch.Tensor, d_tangents: torch.Tensor | None = None, *, input_gradient: bool = False
    ) -> tuple[list[torch.Tensor], torch.Tensor | None]:
        """Gradients of a loss whose derivatives with respect to ``outputs`` and
        ``tangents`` are ``d_outputs`` (n, n_out) and ``d_tangents`` (rows, K, n_out):
        one per network parameter, in ``network.parameters()`` order, and the gradient
        with respect to ``inputs`` (n, D) when ``input_gradient``, else None."""
        carries_tangents = self.columns is not None and d_tangents is not None
        gradients: list[torch.Tensor] = []
        d_hidden, d_tangent = d_outputs, d_tangents if carries_tangents else None
        for index in reversed(range(len(self.blocks))):
            block, record = self.blocks[index], self.records[index]
            if block.activation is not None:  # back through dropout and the activation
                d_hidden, d_tangent = self._back_through_activation(block, record, d_hidden, d_tangent)
            weight = block.linear.weight
            d_weight = d_hidden.T @ record.layer_input
            if d_tangent is not None and record.tangent_input is not None:
                d_weight.addmm_(d_tangent.reshape(-1, weight.shape[0]).T,
                                record.tangent_input.reshape(-1, weight.shape[1]))
            elif d_tangent is not None:  # the first layer: its weight columns are the tangents
                d_weight[:, self.columns] += (d_tangent.sum(0) * self.scale.unsqueeze(1)).T
            gradients = [d_weight, *([d_hidden.sum(0)] if block.linear.bias is not None else []), *gradients]
            if index == 0 and not input_gradient:
                break
            if d_tangent is not None and record.tangent_input is not None:
                d_tangent = torch.matmul(d_tangent, weight)
            d_hidden = d_hidden @ weight
        return gradients, d_hidden if input_gradient else None

    def _back_through_activation(
        self, block: _Block, record: _Record, d_post: torch.Tensor, d_tangent: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """From gradients with respect to a layer's output (and tangents after the
        activation) to those before the activation. A tangent row is τ·σ'(pre), so its
        gradient also reaches pre through σ''."""
        rows = self.rows
        if record.mask is not None:
            d_post = d_post * record.mask
            if d_tangent is not None:
                d_tangent = d_tangent * record.mask[:rows].unsqueeze(1)
        d_pre = times_derivative(block.activation, d_post, record.pre, record.post)
        if d_tangent is None:
            return d_pre, None
        pre_rows, post_rows = record.pre[:rows], record.post[:rows]
        second = second_derivative(block.activation, pre_rows, post_rows)
        if second is not None:
            d_derivative = (d_tangent * record.tangent_pre).sum(1)  # (rows, H)
            d_pre[:rows].addcmul_(d_derivative, second)
        return d_pre, times_derivative(block.activation, d_tangent, pre_rows.unsqueeze(1), post_rows.unsqueeze(1))


class _InputGradient(torch.autograd.Function):
    """:class:`MLPPass` as an autograd function of the inputs and the weights."""

    @staticmethod
    def forward(ctx, network, inputs, columns, scale, rows, *weights):
        mlp_pass = MLPPass(network, inputs, columns, scale, rows)
        ctx.mlp_pass = mlp_pass
        return mlp_pass.outputs, mlp_pass.tangents

    @staticmethod
    @once_differentiable
    def backward(ctx, d_outputs, d_tangents):
        weights, d_inputs = ctx.mlp_pass.backward(d_outputs, d_tangents, input_gradient=ctx.needs_input_grad[1])
        return (None, d_inputs, None, None, None, *weights)


def forward_with_input_gradient(
    network: nn.Sequential, inputs: torch.Tensor, columns: slice, scale: torch.Tensor, rows: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Outputs (n, n_out) of an :func:`~goldmine.inference.networks.mlp` and their
    derivatives with respect to the input columns ``columns``, each multiplied by
    ``scale`` (K,): shape (n, K, n_out), or (rows, K, n_out) for the first ``rows`` rows
    only. Differentiable (once) with respect to the weights and the inputs."""
    parameters = [p for p in network.parameters() if p.requires_grad]
    if not torch.is_grad_enabled() or not (parameters or inputs.requires_grad):
        mlp_pass = MLPPass(network, inputs, columns, scale, rows)
        return mlp_pass.outputs, mlp_pass.tangents
    return _InputGradient.apply(network, inputs, columns, scale, rows, *network.parameters())
