"""Contract tests per estimator family: shapes, gradients, scaling, save/load, symmetry."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from goldmine.errors import GoldmineError
from goldmine.inference import losses
from goldmine.inference.estimators import (
    DoublyParameterizedRatioEstimator,
    EstimatorSettings,
    LikelihoodEstimator,
    ParameterizedRatioEstimator,
    ScoreEstimator,
)
from goldmine.inference.evaluation import ensemble_statistics, evaluate
from goldmine.inference.networks import MLP
from goldmine.inference.saving import load_model, save_model
from goldmine.methods import METHODS

SETTINGS = EstimatorSettings(n_observables=3, n_parameters=2, hidden=(16, 16), activation="tanh", flow_transforms=2)
REFERENCED = EstimatorSettings(n_observables=3, n_parameters=2, hidden=(16, 16), reference=(0.5, -1.0))
CASES = [
    (ScoreEstimator, "sally", {"t_hat": (7, 2)}),
    (ParameterizedRatioEstimator, "alices", {"log_r_hat": (7,), "t_hat0": (7, 2)}),
    (lambda settings: ParameterizedRatioEstimator(REFERENCED), "alices", {"log_r_hat": (7,), "t_hat0": (7, 2)}),
    (DoublyParameterizedRatioEstimator, "rascal2", {"log_r_hat": (7,), "t_hat0": (7, 2), "t_hat1": (7, 2)}),
    (LikelihoodEstimator, "scandal", {"log_p_hat": (7,), "t_hat": (7, 2)}),
]


def _batch(n: int = 7) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return {"x": torch.randn(n, 3, generator=generator) * 5 + 10, "theta": torch.randn(n, 2, generator=generator),
            "theta0": torch.randn(n, 2, generator=generator), "theta1": torch.randn(n, 2, generator=generator)}


@pytest.mark.parametrize(("cls", "method", "shapes"), CASES)
def test_outputs_have_documented_shapes_and_gradients_reach_every_weight(cls, method, shapes) -> None:
    torch.manual_seed(0)
    model = cls(SETTINGS)
    outputs = model(_batch(), score=True)
    assert {name: tuple(value.shape) for name, value in outputs.items()} == shapes
    sum(value.sum() for value in outputs.values()).backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


@pytest.mark.parametrize(("cls", "method", "shapes"), CASES)
def test_save_and_load_give_the_same_outputs(tmp_path, cls, method, shapes) -> None:
    torch.manual_seed(0)
    model = cls(SETTINGS)
    batch = _batch()
    model.fit_scaling(batch)
    save_model(tmp_path, model, METHODS[method], {"history": [{"epoch": 1}]})
    loaded = load_model(tmp_path)
    assert loaded.model.family == model.family
    assert loaded.model.settings == model.settings
    np.testing.assert_array_equal(np.load(tmp_path / "x_scaling.npy")[0], batch["x"].mean(0).numpy())
    columns = {name: values.numpy() for name, values in batch.items()}
    before = evaluate(type(loaded)(model.eval(), METHODS[method], {}), columns)
    after = evaluate(loaded, columns)
    for name in before:
        np.testing.assert_allclose(after[name], before[name], rtol=1e-6)


def test_scaling_is_applied_inside_the_model() -> None:
    model = ScoreEstimator(SETTINGS)
    batch = _batch(100)
    model.fit_scaling(batch)
    standardized = model.x_scaling(batch["x"])
    assert torch.allclose(standardized.mean(0), torch.zeros(3), atol=1e-5)
    assert torch.allclose(standardized.std(0), torch.ones(3), atol=1e-5)
    assert {"x_scaling.mean", "x_scaling.std", "theta_scaling.mean"} <= set(model.state_dict())


def test_doubly_parameterized_ratio_is_antisymmetric() -> None:
    torch.manual_seed(0)
    model = DoublyParameterizedRatioEstimator(SETTINGS)
    batch = _batch()
    swapped = {**batch, "theta0": batch["theta1"], "theta1": batch["theta0"]}
    forward_ratio = model(batch, score=False)["log_r_hat"]
    backward_ratio = model(swapped, score=False)["log_r_hat"]
    torch.testing.assert_close(forward_ratio, -backward_ratio)
    same = model({**batch, "theta1": batch["theta0"]}, score=False)["log_r_hat"]
    torch.testing.assert_close(same, torch.zeros(7))


def test_a_ratio_against_a_reference_is_one_there_for_every_event() -> None:
    """log r̂(x|θ_ref) = 0 exactly (not merely small), at every x; elsewhere it varies with x."""
    torch.manual_seed(0)
    model = ParameterizedRatioEstimator(REFERENCED)
    batch = _batch(50)
    model.fit_scaling(batch)
    at_reference = {**batch, "theta0": torch.tensor(REFERENCED.reference).expand(50, 2)}
    for score in (False, True):
        assert torch.equal(model(at_reference, score=score)["log_r_hat"], torch.zeros(50))
    assert model(batch, score=False)["log_r_hat"].std() > 1e-3
    with pytest.raises(ValueError, match="has not the 2 parameters"):
        EstimatorSettings(n_observables=3, n_parameters=2, reference=(0.0,))


@pytest.mark.parametrize("settings", [SETTINGS, REFERENCED], ids=["free", "referenced"])
def test_ratio_score_is_the_theta_gradient(settings) -> None:
    torch.manual_seed(0)
    model = ParameterizedRatioEstimator(settings)
    batch = _batch()
    t_hat = model(batch)["t_hat0"]
    step = 1e-3
    for i in range(2):
        shift = torch.zeros(2)
        shift[i] = step
        up = model({**batch, "theta0": batch["theta0"] + shift}, score=False)["log_r_hat"]
        down = model({**batch, "theta0": batch["theta0"] - shift}, score=False)["log_r_hat"]
        torch.testing.assert_close(t_hat[:, i], (up - down) / (2 * step), rtol=1e-2, atol=1e-3)


@pytest.mark.parametrize(("name", "cls"), [("sigmoid", nn.Sigmoid), ("relu", nn.ReLU), ("tanh", nn.Tanh)])
def test_activations_map_to_their_own_function(name, cls) -> None:
    network = MLP(2, 1, (4,), name)
    assert isinstance(network[1], cls)
    with pytest.raises(ValueError, match="unknown activation 'sigmod'"):
        MLP(2, 1, (4,), "sigmod")


def test_losses_vanish_or_are_minimal_at_the_truth() -> None:
    t = torch.randn(5, 2)
    assert losses.score_mse(t, t) == 0 and losses.score_mse(t, t).shape == ()
    log_r = torch.randn(5)
    y = torch.tensor([0.0, 1.0, 0.0, 1.0, 1.0])
    assert abs(float(losses.ratio_mse(log_r, y, torch.exp(log_r)))) < 1e-10
    # the improved cross-entropy of one event is minimal where r̂ = r(x,z)
    grid = torch.linspace(-3, 3, 601)
    for r_xz in (0.5, 2.0):
        values = torch.stack([losses.ratio_augmented_xe(torch.full((1,), g), torch.tensor([r_xz])) for g in grid])
        assert abs(float(grid[values.argmin()]) - math.log(r_xz)) < 0.011
    # the score terms count only the rows drawn at their θ, and average over rows and components
    assert losses.score_mse_numerator(t + 1, t, torch.ones(5)) == 0
    assert float(losses.score_mse_numerator(t + 1, t, y)) == pytest.approx(2 / 5)
    assert float(losses.score_mse_denominator(t + 1, t, y)) == pytest.approx(3 / 5)
    assert float(losses.score_mse(t + 2, t)) == pytest.approx(4.0)


def test_losses_are_the_batch_means_of_their_per_sample_formulas() -> None:
    generator = torch.Generator().manual_seed(1)
    log_r, r_xz = torch.randn(7, generator=generator), torch.rand(7, generator=generator) + 0.1
    y = (torch.rand(7, generator=generator) > 0.5).float()
    s_hat = torch.sigmoid(-log_r)  # the classifier's probability of y = 1
    expected_xe = -(y * torch.log(s_hat) + (1 - y) * torch.log(1 - s_hat)).mean()
    torch.testing.assert_close(losses.ratio_xe(log_r, y), expected_xe)
    s = 1 / (1 + r_xz)
    torch.testing.assert_close(losses.ratio_augmented_xe(log_r, r_xz),
                               -(s * torch.log(s_hat) + (1 - s) * torch.log(1 - s_hat)).mean())
    expected_mse = ((1 - y) * (torch.exp(-log_r) - 1 / r_xz) ** 2 + y * (torch.exp(log_r) - r_xz) ** 2).mean()
    torch.testing.assert_close(losses.ratio_mse(log_r, y, r_xz), expected_mse)
    torch.testing.assert_close(losses.negative_log_likelihood(log_r), -log_r.mean())


def test_a_weighted_score_loss_counts_a_row_of_weight_k_as_k_rows() -> None:
    generator = torch.Generator().manual_seed(2)
    t_hat, t_xz = torch.randn(4, 3, generator=generator), torch.randn(4, 3, generator=generator)
    weight = torch.tensor([1.0, 3.0, 0.0, 2.0])
    repeated = torch.repeat_interleave(torch.arange(4), weight.long())
    torch.testing.assert_close(losses.weighted_score_mse(t_hat, t_xz, weight) * 4 / weight.sum(),
                               losses.score_mse(t_hat[repeated], t_xz[repeated]))
    objective = losses.Objective.of((("mse_score", "one"),), 1.0, weighted=True)
    assert objective.names == ("weighted_mse_score",) and "weight" in objective.columns
    with pytest.raises(GoldmineError, match="improved_xe has no form for weighted rows"):
        losses.Objective.of((("improved_xe", "one"), ("mse_score0", "alpha")), 1.0, weighted=True)


def test_ensemble_mean_and_covariance() -> None:
    members = [{"t_hat": np.array([[1.0, 2.0]]), "log_r_hat": np.array([0.0])},
               {"t_hat": np.array([[3.0, 2.0]]), "log_r_hat": np.array([2.0])}]
    stats = ensemble_statistics(members)
    np.testing.assert_array_equal(stats["t_hat"][0], [[2.0, 2.0]])
    np.testing.assert_array_equal(stats["t_hat"][1], [[[2.0, 0.0], [0.0, 0.0]]])
    np.testing.assert_array_equal(stats["log_r_hat"][1], [2.0])

