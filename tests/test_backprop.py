"""The MLP pass with its backward written out, and the losses' own gradients, against
autograd on plain torch operations (float64, so that agreement is to rounding)."""

from __future__ import annotations

import pytest
import torch
from goldmine.inference import losses
from goldmine.inference.backprop import MLPPass, forward_with_input_gradient
from goldmine.inference.networks import mlp
from torch import nn

ACTIVATIONS = ["tanh", "relu", "sigmoid", "elu", "leaky_relu", "softplus", "gelu", "silu"]
COLUMNS, SCALE = slice(1, 3), torch.tensor([0.5, 2.0], dtype=torch.float64)


def _network(activation: str, dropout: float = 0.0, hidden=(8, 6), n_outputs: int = 2, **options) -> nn.Sequential:
    torch.manual_seed(1)
    return mlp(5, n_outputs, hidden, activation, dropout, **options).double().train()


def _inputs(n: int = 11) -> torch.Tensor:
    # spread wide enough that every activation's curved and flat parts are met (softplus
    # switches to linear above 20)
    return (torch.randn(n, 5, generator=torch.Generator().manual_seed(2), dtype=torch.float64) * 3).requires_grad_()


def _reference(network: nn.Sequential, inputs: torch.Tensor, masks: list[torch.Tensor | None]) -> torch.Tensor:
    """The network by its own modules, with the pass's dropout masks in place of dropout."""
    hidden, masks = inputs, iter(masks)
    for layer in network:
        if isinstance(layer, nn.Dropout):
            mask = next(masks)
            hidden = hidden if mask is None else hidden * mask
        else:
            hidden = layer(hidden)
    return hidden


def _reference_tangents(network, inputs, masks, rows):
    """d output / d inputs[:, COLUMNS] × SCALE by autograd (with create_graph), (rows, K, n_out)."""
    outputs = _reference(network, inputs, masks)
    columns = []
    for output in range(outputs.shape[1]):
        (gradient,) = torch.autograd.grad(outputs[:, output].sum(), inputs, create_graph=True)
        columns.append(gradient[:rows, COLUMNS] * SCALE)
    return outputs, torch.stack(columns, dim=2)


def _masks(mlp_pass: MLPPass, network: nn.Sequential) -> list[torch.Tensor | None]:
    dropouts = sum(isinstance(layer, nn.Dropout) for layer in network)
    return [record.mask for record in mlp_pass.records if record.pre is not None][:dropouts]


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("dropout", [0.0, 0.3])
@pytest.mark.parametrize("rows", [11, 4])
def test_pass_and_its_backward_equal_autograd(activation, dropout, rows) -> None:
    network, inputs = _network(activation, dropout), _inputs()
    with torch.no_grad():
        mlp_pass = MLPPass(network, inputs, COLUMNS, SCALE, rows)
    assert mlp_pass.outputs.shape == (11, 2) and mlp_pass.tangents.shape == (rows, 2, 2)
    outputs, tangents = _reference_tangents(network, inputs, _masks(mlp_pass, network), rows)
    torch.testing.assert_close(mlp_pass.outputs, outputs, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(mlp_pass.tangents, tangents, rtol=1e-10, atol=1e-12)

    generator = torch.Generator().manual_seed(3)
    d_outputs = torch.randn(11, 2, generator=generator, dtype=torch.float64)
    d_tangents = torch.randn(rows, 2, 2, generator=generator, dtype=torch.float64)
    loss = (d_outputs * outputs).sum() + (d_tangents * tangents).sum()
    *expected, expected_inputs = torch.autograd.grad(loss, [*network.parameters(), inputs])
    gradients, d_inputs = mlp_pass.backward(d_outputs, d_tangents, input_gradient=True)
    assert len(gradients) == len(expected)
    for gradient, reference in zip(gradients, expected):
        torch.testing.assert_close(gradient, reference, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(d_inputs, expected_inputs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "options", [{"hidden": ()}, {"hidden": (7,), "output_bias": False}, {"hidden": (6, 5, 4), "n_outputs": 1}]
)
def test_backward_for_other_shapes(options) -> None:
    network, inputs = _network("tanh", **options), _inputs()
    with torch.no_grad():
        mlp_pass = MLPPass(network, inputs, COLUMNS, SCALE, 6)
    outputs, tangents = _reference_tangents(network, inputs, [], 6)
    torch.testing.assert_close(mlp_pass.tangents, tangents, rtol=1e-10, atol=1e-12)
    d_outputs, d_tangents = torch.ones_like(outputs), torch.full_like(tangents, 0.5)
    expected = torch.autograd.grad((d_outputs * outputs).sum() + (d_tangents * tangents).sum(), list(network.parameters()))
    for gradient, reference in zip(mlp_pass.backward(d_outputs.detach(), d_tangents.detach())[0], expected, strict=True):
        torch.testing.assert_close(gradient, reference, rtol=1e-10, atol=1e-12)


def test_backward_without_tangents_is_plain_backpropagation() -> None:
    network, inputs = _network("silu", 0.0), _inputs()
    with torch.no_grad():
        mlp_pass = MLPPass(network, inputs)
    assert mlp_pass.tangents is None
    d_outputs = torch.randn(11, 2, dtype=torch.float64)
    expected = torch.autograd.grad((d_outputs * network(inputs)).sum(), list(network.parameters()))
    for gradient, reference in zip(mlp_pass.backward(d_outputs)[0], expected, strict=True):
        torch.testing.assert_close(gradient, reference, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "gelu"])
def test_autograd_function_passes_gradients_to_weights_and_inputs(activation) -> None:
    """forward_with_input_gradient under autograd: the same gradients as the reference,
    for every parameter in order and for the inputs."""
    network, inputs = _network(activation), _inputs()
    outputs, tangents = forward_with_input_gradient(network, inputs, COLUMNS, SCALE, 5)
    reference_outputs, reference_tangents = _reference_tangents(network, inputs, [], 5)
    loss = (outputs**2).sum() + (tangents**3).sum()
    reference_loss = (reference_outputs**2).sum() + (reference_tangents**3).sum()
    targets = [*network.parameters(), inputs]
    for gradient, reference in zip(torch.autograd.grad(loss, targets), torch.autograd.grad(reference_loss, targets)):
        torch.testing.assert_close(gradient, reference, rtol=1e-10, atol=1e-12)


def test_not_an_mlp_is_refused() -> None:
    network = nn.Sequential(nn.Linear(5, 3), nn.Tanh(), nn.Tanh(), nn.Tanh(), nn.Linear(3, 1))
    with pytest.raises(TypeError, match="not an MLP"):
        MLPPass(network, torch.zeros(2, 5))


# The losses' own gradients


def _loss_cases():
    generator = torch.Generator().manual_seed(4)
    n = 9

    def draw(*shape):
        return torch.randn(*shape, generator=generator, dtype=torch.float64)

    y = torch.tensor([0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0], dtype=torch.float64)
    r_xz = torch.exp(draw(n) * 2)
    log_r_hat = draw(n) * 4
    log_r_hat[0], log_r_hat[5], r_xz[1] = 12.0, -11.0, 1e-6  # ROLR's clipping on both sides
    t_xz = draw(n, 2)
    return [
        (losses.score_mse, losses.score_mse_and_gradient, {"t_hat": draw(n, 2), "t_xz": t_xz}),
        (losses.ratio_xe, losses.ratio_xe_and_gradient, {"log_r_hat": log_r_hat, "y": y}),
        (losses.ratio_augmented_xe, losses.ratio_augmented_xe_and_gradient, {"log_r_hat": log_r_hat, "r_xz": r_xz}),
        (losses.ratio_mse, losses.ratio_mse_and_gradient, {"log_r_hat": log_r_hat, "y": y, "r_xz": r_xz}),
        (losses.score_mse_numerator, losses.score_mse_numerator_and_gradient,
         {"t_hat0": draw(n, 2), "t_xz0": t_xz, "y": y}),
        # t̂ for the first four rows only (those drawn at θ0)
        (losses.score_mse_numerator, losses.score_mse_numerator_and_gradient,
         {"t_hat0": draw(4, 2), "t_xz0": t_xz, "y": y}),
    ]


@pytest.mark.parametrize(("loss", "loss_and_gradient", "arguments"), _loss_cases())
def test_loss_gradients_equal_autograd(loss, loss_and_gradient, arguments) -> None:
    (estimate,) = (name for name in arguments if "_hat" in name)
    leaf = arguments[estimate].clone().requires_grad_()
    expected = loss(**{**arguments, estimate: leaf})
    (expected_gradient,) = torch.autograd.grad(expected, leaf)
    value, gradient = loss_and_gradient(**arguments)
    torch.testing.assert_close(value, expected.detach(), rtol=1e-12, atol=0)
    torch.testing.assert_close(gradient, expected_gradient, rtol=1e-10, atol=1e-14)
