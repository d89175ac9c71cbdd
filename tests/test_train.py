"""Training on a toy with a latent z and a noisy x, where joint and true quantities differ.

Fixed seeds on the CPU; the whole module takes well under two minutes on 2 cores.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
import yaml
from click.testing import CliRunner

import smeared_toy as toy
from goldmine.cli import cli
from goldmine.errors import InputFileError
from goldmine.inference import losses
from goldmine.inference.estimators import EstimatorSettings, ParameterizedRatioEstimator
from goldmine.inference.evaluation import ensemble_statistics, evaluate
from goldmine.inference.fit import fit
from goldmine.inference.losses import Objective
from goldmine.inference.optimizers import FlatOptimizer, flat_parameter
from goldmine.inference.saving import LoadedModel, load_model
from goldmine.inference.training import TrainingError, TrainSettings, train
from goldmine.io.provenance import file_sha256
from goldmine.methods import METHODS

CPU = torch.device("cpu")
ARCHITECTURE = EstimatorSettings(1, 1, (32, 32), "tanh", flow_transforms=3)
SETTINGS = TrainSettings(epochs=20, batch_size=128, validation_split=0.2)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    directory = tmp_path_factory.mktemp("toy")
    rng = np.random.default_rng(0)
    toy.write_local(directory / "local", 12_000, rng)
    toy.write_ratio(directory / "ratio", 10_000, rng)
    toy.write_density(directory / "density", 8_000, rng)
    return directory


@pytest.fixture(scope="module")
def ratio_test_points():
    """x drawn at θ1 = 0, θ0 uniform in [-1, 1], and the true log r(x|θ0, θ1)."""
    rng = np.random.default_rng(5)
    theta0 = rng.uniform(-1, 1, size=5000)
    x = toy.sample_z(np.zeros(5000), rng) + toy.SMEARING * rng.normal(size=5000)
    return x, theta0, toy.log_p(x, theta0) - toy.log_p(x, 0.0)


def _log_r_mse(method, data, points, **settings):
    fitted = fit(method, data / "ratio", ARCHITECTURE, TrainSettings(**{**SETTINGS.to_dict(), **settings}), seed=1,
                 device=CPU)
    x, theta0, truth = points
    loaded = LoadedModel(fitted.model.eval(), METHODS[method], {})
    return float(np.mean((evaluate(loaded, {"x": x[:, None], "theta0": theta0[:, None]}, score=False)["log_r_hat"] - truth) ** 2))


def test_sally_learns_the_true_score(data) -> None:
    fitted = fit("sally", data / "local", ARCHITECTURE, TrainSettings(epochs=10, validation_split=0.2), seed=1,
                 device=CPU)
    x = np.linspace(-1.2, 1.2, 1001)
    t_hat = evaluate(LoadedModel(fitted.model.eval(), METHODS["sally"], {}), {"x": x[:, None]})["t_hat"][:, 0]
    truth = toy.score(x, 0.0)
    assert np.corrcoef(t_hat, truth)[0, 1] >= 0.99
    assert not np.allclose(truth, 2 * x, atol=0.1), "the true score differs from the joint score 2z"


def test_a_score_regression_learns_every_component_whatever_its_units(tmp_path) -> None:
    """Two score components 10⁶ apart in size (t₁ ~ 1000 x₁, t₂ ~ 0.001 sin 3x₂, each with
    label noise): trained on standardised scores, the network learns both, and its output
    layer returns them in their own units."""
    rng = np.random.default_rng(3)
    n = 12_000
    x = rng.uniform(-1, 1, size=(n, 2))
    joint_score = np.column_stack([1000 * (x[:, 0] + 0.3 * rng.normal(size=n)),
                                   0.001 * (np.sin(3 * x[:, 1]) + 0.3 * rng.normal(size=n))])
    for name, values in {"x": x, "theta": np.zeros((n, 2)), "t_xz": joint_score}.items():
        np.save(tmp_path / f"{name}_train.npy", values)
    fitted = fit("sally", tmp_path, EstimatorSettings(2, 2, (32, 32), "tanh"),
                 TrainSettings(epochs=20, validation_split=0.2), seed=1, device=CPU)
    grid = rng.uniform(-1, 1, size=(2000, 2))
    t_hat = evaluate(LoadedModel(fitted.model.eval(), METHODS["sally"], {}), {"x": grid})["t_hat"]
    assert np.corrcoef(t_hat[:, 1], np.sin(3 * grid[:, 1]))[0, 1] > 0.95  # trained in its own units: -0.02
    np.testing.assert_allclose(np.polyfit(grid[:, 0], t_hat[:, 0], 1)[0], 1000, rtol=0.05)
    np.testing.assert_allclose(np.polyfit(np.sin(3 * grid[:, 1]), t_hat[:, 1], 1)[0], 0.001, rtol=0.1)


def test_weighted_rows_train_the_score_of_the_weighted_distribution(tmp_path) -> None:
    """Rows with z uniform carry weights 1 + z (mean 1), x = z + noise, t(x,z) = z: the
    weighted regression learns E_w[z|x] under the density (1 + z)/2, not the uniform E[z|x]."""
    rng = np.random.default_rng(4)
    n, smearing = 20_000, 0.5
    z = rng.uniform(-1, 1, size=n)
    x = z + smearing * rng.normal(size=n)
    for name, values in {"x": x[:, None], "theta": np.zeros((n, 1)), "t_xz": z[:, None], "weight": 1 + z}.items():
        np.save(tmp_path / f"{name}_train.npy", values)
    fitted = fit("sally", tmp_path, EstimatorSettings(1, 1, (32, 32), "tanh"),
                 TrainSettings(epochs=20, validation_split=0.2), seed=1, device=CPU)
    assert fitted.result.history[0].keys() >= {"train_weighted_mse_score", "validation_weighted_mse_score"}
    grid = np.linspace(-1.0, 1.0, 201)
    t_hat = evaluate(LoadedModel(fitted.model.eval(), METHODS["sally"], {}), {"x": grid[:, None]})["t_hat"][:, 0]
    nodes = np.linspace(-1, 1, 4001)
    likelihood = np.exp(-0.5 * ((grid[:, None] - nodes[None, :]) / smearing) ** 2)
    weighted_truth = (likelihood * nodes * (1 + nodes)).sum(1) / (likelihood * (1 + nodes)).sum(1)
    uniform_truth = (likelihood * nodes).sum(1) / likelihood.sum(1)
    error_weighted = np.mean((t_hat - weighted_truth) ** 2)
    assert error_weighted < 0.2 * np.mean((t_hat - uniform_truth) ** 2), error_weighted


def test_score_methods_beat_carl_at_equal_training_size(data, ratio_test_points) -> None:
    """The central claim of arXiv:1805.00013/1805.00020: with the same 8000 training rows
    and network, using t(x,z) gives a better log r than the classifier alone."""
    mse = {method: _log_r_mse(method, data, ratio_test_points) for method in ("carl", "alices", "rascal")}
    # Measured on this toy (2026-11-22): carl 0.059, alices 0.026, rascal 0.029.
    assert mse["alices"] < 0.04 and mse["rascal"] < 0.045, mse
    assert mse["alices"] < 0.7 * mse["carl"] and mse["rascal"] < 0.7 * mse["carl"], mse


def test_likelihood_estimators(data) -> None:
    rng = np.random.default_rng(7)
    theta = rng.uniform(-1, 1, 2000)
    x = toy.sample_z(theta, rng) + toy.SMEARING * rng.normal(size=2000)
    correlations = {}
    for method in ("nde", "scandal"):
        fitted = fit(method, data / "density", ARCHITECTURE, TrainSettings(epochs=8, validation_split=0.2), seed=1,
                     device=CPU)
        out = evaluate(LoadedModel(fitted.model.eval(), METHODS[method], {}), {"x": x[:, None], "theta": theta[:, None]})
        assert abs(out["log_p_hat"].mean() - toy.log_p(x, theta).mean()) < 0.1
        correlations[method] = np.corrcoef(out["t_hat"][:, 0], toy.score(x, theta))[0, 1]
    assert correlations["scandal"] > 0.97 and correlations["scandal"] > correlations["nde"], correlations


def test_deterministic_on_cpu(data) -> None:
    settings = TrainSettings(epochs=2, validation_split=0.2)
    first = fit("alices", data / "ratio", ARCHITECTURE, settings, seed=3, device=CPU)
    second = fit("alices", data / "ratio", ARCHITECTURE, settings, seed=3, device=CPU)
    other = fit("alices", data / "ratio", ARCHITECTURE, settings, seed=4, device=CPU)
    for name, value in first.model.state_dict().items():
        torch.testing.assert_close(value, second.model.state_dict()[name], rtol=0, atol=0)
    assert not torch.equal(first.model.state_dict()["net.0.weight"], other.model.state_dict()["net.0.weight"])


def test_early_stopping_restores_a_copy_of_the_best_weights(data, tmp_path) -> None:
    small = tmp_path / "small"
    small.mkdir()
    for path in (data / "ratio").glob("*_train.npy"):
        np.save(small / path.name, np.load(path)[:300])
    settings = TrainSettings(epochs=40, batch_size=16, learning_rate=0.01, final_learning_rate=0.01,
                             validation_split=0.5, optimizer="adam")
    big = EstimatorSettings(1, 1, (128, 128), "tanh")
    fitted = fit("carl", small, big, settings, seed=0, device=CPU)
    history = fitted.result.history
    losses = [record["validation_loss"] for record in history]
    assert fitted.result.best_epoch == int(np.argmin(losses)) + 1 < len(history), "overfitting expected"
    # the model must hold the best epoch's weights, not the last epoch's
    arrays = {name: np.load(small / f"{name}_train.npy")[150:] for name in ("x", "theta0", "y")}
    batch = {name: torch.as_tensor(values, dtype=torch.float32) for name, values in arrays.items()}
    objective = Objective.of(METHODS["carl"].terms, alpha=1.0)
    fitted.model.eval()
    terms = objective.terms(fitted.model(batch, score=False), batch)
    assert float(sum(terms).detach()) == pytest.approx(fitted.result.best_loss, rel=1e-5)
    assert fitted.result.best_loss < losses[-1]


def test_non_finite_loss_stops_with_the_best_weights(data) -> None:
    class FragileLoss:
        """CARL's loss, NaN from the 71st batch on (epoch 1 has 63 batches)."""

        names, weights = ("xe",), (1.0,)
        calls = 0

        def __call__(self, model, batch):
            self.calls += 1
            loss = losses.ratio_xe(model(batch, score=False)["log_r_hat"], batch["y"])
            loss = loss * float("nan") if self.calls > 70 else loss
            return loss, loss.detach()[None]

    arrays = {name: np.load(data / "ratio" / f"{name}_train.npy")[:8000] for name in ("x", "theta0", "y")}
    tensors = {name: torch.as_tensor(values, dtype=torch.float32) for name, values in arrays.items()}
    model = ParameterizedRatioEstimator(ARCHITECTURE)
    settings = TrainSettings(epochs=3, validation_split=0.0)
    with pytest.raises(TrainingError, match=r"non-finite loss in epoch 2 .*holds the weights of epoch 1"):
        train(model, FragileLoss(), tensors, None, settings, seed=0)
    assert all(torch.isfinite(value).all() for value in model.state_dict().values())


# The command


def _config(tmp_path, **training) -> str:
    config = {
        "name": "smeared", "parameters": [{"name": "theta", "lha_block": "toy", "lha_id": 1, "range": [-1, 1]}],
        "benchmarks": {"sm": {"theta": 0.0}}, "observables": [{"name": "x", "expression": "met.pt"}],
        "generation": {"backend": "builtin", "events_per_job": 1, "sampling_benchmarks": ["sm"]},
        "training": {"hidden": [16], "epochs": 2, **training},
    }
    path = tmp_path / "smeared.yml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def _train(data_directory, output, config, *extra):
    return CliRunner().invoke(cli, ["train", "--method", "alices", "--data", str(data_directory), "--config", config,
                                    "--output", str(output), "--device", "cpu", *extra])


def test_train_command_writes_a_loadable_model(data, tmp_path) -> None:
    config = _config(tmp_path)
    result = _train(data / "ratio", tmp_path / "model", config, "--seed", "2")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "model").iterdir())
    assert names == ["history.json", "settings.json", "state_dict.pt", "theta_scaling.npy", "x_scaling.npy"]
    settings = json.loads((tmp_path / "model" / "settings.json").read_text())
    assert settings["method"] == "alices" and settings["family"] == "parameterized_ratio"
    assert settings["n_train"] == 7500 and settings["n_validation"] == 2500  # validation_split 0.25
    assert settings["provenance"]["seeds"] == {"seed": 2}
    assert len(json.loads((tmp_path / "model" / "history.json").read_text())) == 2
    loaded = load_model(tmp_path / "model")
    out = evaluate(loaded, {"x": np.zeros((4, 1)), "theta0": np.zeros((4, 1))})
    assert out["log_r_hat"].shape == (4,) and out["t_hat0"].shape == (4, 1)


def test_a_method_trains_with_its_own_settings_where_the_config_gives_them(data, tmp_path) -> None:
    """training.per_method replaces the section's settings for that method only."""
    config = _config(tmp_path, per_method={"alices": {"hidden": [8, 4], "epochs": 3, "activation": "silu"},
                                           "sally": {"hidden": [32]}})
    assert _train(data / "ratio", tmp_path / "model", config, "--seed", "2").exit_code == 0
    settings = json.loads((tmp_path / "model" / "settings.json").read_text())
    assert settings["estimator"]["hidden"] == [8, 4] and settings["estimator"]["activation"] == "silu"
    assert settings["training"]["epochs"] == 3 and settings["training"]["batch_size"] == 128  # the section's
    refused = _train(data / "ratio", tmp_path / "other", _config(tmp_path, per_method={"salli": {"epochs": 3}}))
    assert refused.exit_code != 0 and "salli" in refused.output


def test_ensemble_members_as_separate_jobs(data, tmp_path) -> None:
    config = _config(tmp_path)
    for seed in ("0", "1", "2"):
        assert _train(data / "ratio", tmp_path / f"member{seed}", config, "--seed", seed, "--bootstrap").exit_code == 0
    members = [load_model(tmp_path / f"member{s}") for s in "012"]
    x, theta = np.linspace(-1, 1, 50)[:, None], np.full((50, 1), 0.5)
    outputs = [evaluate(m, {"x": x, "theta0": theta}) for m in members]
    stats = ensemble_statistics(outputs)
    np.testing.assert_allclose(stats["log_r_hat"][0], np.mean([o["log_r_hat"] for o in outputs], axis=0), rtol=1e-6)
    assert stats["t_hat0"][1].shape == (50, 1, 1) and np.all(stats["t_hat0"][1] > 0)


def test_mismatched_lengths_are_named(data, tmp_path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(data / "ratio", broken)
    np.save(broken / "y_train.npy", np.load(broken / "y_train.npy")[:-3])
    result = _train(broken, tmp_path / "model", _config(tmp_path))
    assert result.exit_code == 1 and "arrays of mismatched lengths" in result.output
    assert "y_train.npy has 9997" in result.output
    assert not (tmp_path / "model").exists()


def test_a_score_method_needs_the_joint_score(data, tmp_path) -> None:
    without_score = tmp_path / "no_score"
    shutil.copytree(data / "ratio", without_score)
    (without_score / "t_xz0_train.npy").unlink()
    result = _train(without_score, tmp_path / "model", _config(tmp_path))
    assert result.exit_code == 1
    assert f"{without_score / 't_xz0_train.npy'}: missing; method alices needs the column 't_xz0'" in result.output
    assert not (tmp_path / "model").exists()
    # CARL does not need it
    carl = CliRunner().invoke(cli, ["train", "--method", "carl", "--data", str(without_score), "--config",
                                    _config(tmp_path), "--output", str(tmp_path / "carl"), "--device", "cpu"])
    assert carl.exit_code == 0, carl.output


def test_nan_in_inputs_is_named(data, tmp_path) -> None:
    broken = tmp_path / "nan"
    shutil.copytree(data / "ratio", broken)
    x = np.load(broken / "x_train.npy")
    x[77, 0] = np.nan
    np.save(broken / "x_train.npy", x)
    result = _train(broken, tmp_path / "model", _config(tmp_path))
    assert result.exit_code == 1 and f"{broken / 'x_train.npy'}: row 77 is not finite" in result.output


def test_cuda_request_without_cuda(data, tmp_path) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")  # CI never has a GPU, so this runs there
    result = CliRunner().invoke(cli, ["train", "--method", "sally", "--data", str(data / "local"), "--config",
                                      _config(tmp_path), "--output", str(tmp_path / "m"), "--device", "cuda"])
    assert result.exit_code == 1 and "no CUDA device" in result.output


def test_load_model_from_a_wrong_directory(tmp_path) -> None:
    with pytest.raises(InputFileError, match="not a goldmine model directory"):
        load_model(tmp_path)


def test_a_new_family_is_one_class(data, tmp_path, monkeypatch) -> None:
    """The estimator protocol: a family written as one class and registered, with a method
    row naming it, trains, saves, loads and evaluates with no other change."""
    from goldmine.inference.estimators import FAMILIES, Estimator
    from goldmine.inference.saving import save_model
    from goldmine.methods import Method

    class LinearScore(Estimator):
        family, inputs, outputs, score_output = "linear_score", ("x",), ("t_hat",), "t_hat"

        def __init__(self, settings):
            super().__init__(settings)
            self.linear = torch.nn.Linear(settings.n_observables, settings.n_parameters)

        def forward(self, columns, *, score=True):
            return {"t_hat": self.linear(self.x_scaling(columns["x"]))}

    monkeypatch.setitem(FAMILIES, "linear_score", LinearScore)
    monkeypatch.setitem(METHODS, "linear_sally", Method("linear_sally", "local", "linear_score", (("mse_score", "one"),)))
    fitted = fit("linear_sally", data / "local", ARCHITECTURE, TrainSettings(epochs=3, validation_split=0.2), seed=0,
                 device=CPU)
    history = fitted.result.history
    assert history[-1]["train_mse_score"] < history[0]["train_mse_score"]
    save_model(tmp_path, fitted.model, fitted.method, {"history": history})
    loaded = load_model(tmp_path)
    assert isinstance(loaded.model, LinearScore)
    x = np.linspace(-1, 1, 5)[:, None]
    np.testing.assert_allclose(evaluate(loaded, {"x": x})["t_hat"],
                               fitted.model({"x": torch.as_tensor(x, dtype=torch.float32)})["t_hat"].detach().numpy())


def test_rows_of_another_sampler_are_refused(tmp_path) -> None:
    """SALLY's rows have NDE's columns, but all at one θ: training NDE on them is refused."""
    directory = tmp_path / "sally"
    directory.mkdir()
    for column in ("x", "theta", "t_xz"):
        np.save(directory / f"{column}_train.npy", np.zeros((10, 1)))
    (directory / "augment.json").write_text(json.dumps({"method": "sally", "provenance": {"seeds": {"seed": 1}}}))
    config = _config(tmp_path)
    result = _train(directory, tmp_path / "model", config, "--method", "nde")
    assert result.exit_code == 1
    assert f"{directory} was augmented for sally (local sampler); nde needs rows of the density sampler" in result.output
    assert not (tmp_path / "model").exists() and not list(tmp_path.glob(".model*"))


@pytest.mark.parametrize("damage", ["zeroed_bytes", "truncated", "foreign"])
def test_damaged_weights_are_refused_naming_the_file(data, tmp_path, damage) -> None:
    config = _config(tmp_path)
    assert _train(data / "ratio", tmp_path / "model", config, "--seed", "2").exit_code == 0
    state = tmp_path / "model" / "state_dict.pt"
    content = state.read_bytes()
    if damage == "zeroed_bytes":
        state.write_bytes(content[:2000] + bytes(64) + content[2064:])
    elif damage == "truncated":
        state.write_bytes(content[: len(content) // 2])
    else:  # a state dict of another network, saved with its checksum
        settings = json.loads((tmp_path / "model" / "settings.json").read_text())
        torch.save({"weight": torch.zeros(3)}, state)
        settings["state_dict_sha256"] = file_sha256(state)
        (tmp_path / "model" / "settings.json").write_text(json.dumps(settings))
    message = "not the weights of this" if damage == "foreign" else "not the weights this model was saved with"
    with pytest.raises(InputFileError, match=f"{state}: {message}"):
        load_model(tmp_path / "model")


@pytest.mark.parametrize("algorithm", ["adam", "amsgrad", "sgd"])
def test_flat_optimizer_steps_as_torch_optim_does(algorithm) -> None:
    def model():
        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))

    ours, theirs = model(), model()
    flat = FlatOptimizer(ours, algorithm, 0.01, weight_decay=0.1, momentum=0.9)
    # the same flat layout (a fused kernel's vector lanes round differently per tensor shape)
    parameters = [flat_parameter(theirs)]
    if algorithm == "sgd":
        reference = torch.optim.SGD(parameters, lr=0.01, momentum=0.9, weight_decay=0.1)
    else:
        reference = torch.optim.Adam(parameters, lr=0.01, weight_decay=0.1, amsgrad=algorithm == "amsgrad", fused=True)
    inputs = torch.randn(50, 3, generator=torch.Generator().manual_seed(1))
    for step in range(20):
        if step == 10:
            flat.set_learning_rate(0.003)
            reference.param_groups[0]["lr"] = 0.003
        flat.gradient.zero_()
        parameters[0].grad.zero_()
        for network in (ours, theirs):
            (network(inputs[step::5]) ** 2).mean().backward()
        flat.step()
        reference.step()
    for mine, other in zip(ours.parameters(), theirs.parameters()):
        torch.testing.assert_close(mine, other, rtol=0, atol=0)
