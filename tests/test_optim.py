"""The flat optimizer takes the same steps as torch's own optimizers."""

from __future__ import annotations

import copy

import pytest
import torch

from goldmine.inference.optim import FlatOptimizer


@pytest.mark.parametrize(
    ("kind", "reference", "options"),
    [
        ("adam", lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1), {"weight_decay": 0.1}),
        ("amsgrad", lambda p: torch.optim.Adam(p, lr=0.01, amsgrad=True), {}),
        ("sgd", lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9), {"momentum": 0.9}),
    ],
)
@pytest.mark.parametrize("capturable", [False, True])
def test_steps_match_torch(kind, reference, options, capturable) -> None:
    """Both update paths: host-side learning rate and step count, and the device-tensor
    path that CUDA graphs replay (run here on the CPU, with a learning-rate change)."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    twin = copy.deepcopy(model)
    ours = FlatOptimizer(model.parameters(), kind=kind, lr=0.01, capturable=capturable, **options)
    theirs = reference(twin.parameters())
    for step in range(25):
        if step == 10:
            ours.lr = 0.005
            for group in theirs.param_groups:
                group["lr"] = 0.005
        x = torch.randn(16, 3, generator=torch.Generator().manual_seed(step))
        for net, optimizer in ((model, ours), (twin, theirs)):
            optimizer.zero_grad()
            (net(x) ** 2).mean().backward()
            optimizer.step()
    for mine, reference_parameter in zip(model.parameters(), twin.parameters()):
        torch.testing.assert_close(mine, reference_parameter, rtol=1e-5, atol=1e-6)


def test_parameters_and_gradients_are_views_of_the_buffers() -> None:
    model = torch.nn.Linear(4, 3)
    optimizer = FlatOptimizer(model.parameters(), kind="adam", lr=0.1)
    assert optimizer.flat.numel() == 15
    model(torch.ones(2, 4)).sum().backward()
    assert optimizer.grad.abs().sum() > 0
    optimizer.zero_grad()
    assert torch.all(model.weight.grad == 0)
    state = copy.deepcopy(model.state_dict())
    optimizer.flat.add_(1.0)
    model.load_state_dict(state)  # restoring a copy writes into the buffer
    torch.testing.assert_close(optimizer.flat[:12].view(3, 4), state["weight"])


def test_gradient_clipping() -> None:
    model = torch.nn.Linear(2, 1)
    optimizer = FlatOptimizer(model.parameters(), kind="sgd", lr=0.1, momentum=0.0)
    (model(torch.full((1, 2), 100.0)) * 100).sum().backward()
    optimizer.clip_grad_norm(1.0)
    assert float(optimizer.grad.norm()) == pytest.approx(1.0, rel=1e-5)
