"""The parton-level truth chain (examples/wh-parton-truth.yml at small size): the built-in
generator's true weights, carried by observables and combine, give evaluate the TRUE score
t(x|θ) and the exact likelihood's information, checked against
goldmine.generate.wh_likelihood (itself checked by brute force in test_wh_likelihood)."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from goldmine.cli import cli
from goldmine.evaluate.events import load_simulated
from goldmine.generate.wh_events import WHMomenta
from goldmine.generate.wh_likelihood import GeneratorPDF, beam_asymmetry, true_score
from goldmine.io.lhe_weights import read_lhe_weights
from goldmine.io.setup_file import read_setup

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "wh-parton-truth.yml"
BEAM_ENERGY = 6500.0
EVENTS = 2000


def invoke(*args: object) -> None:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> Path:
    """configure → generate (sm, w_pos; no shower, true weights) → delphes (none) →
    observables → combine → augment and train SALLY briefly → evaluate."""
    directory = tmp_path_factory.mktemp("parton_truth")
    raw = yaml.safe_load(EXAMPLE.read_text())
    raw["generation"]["sampling_benchmarks"] = ["sm", "w_pos"]
    raw["augmentation"]["n_samples"] = 4000
    raw["training"] = {"hidden": [32, 32], "epochs": 3, "batch_size": 256, "ensemble_members": 1,
                       "methods": ["sally"]}
    config = directory / "truth.yml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    invoke("configure", config, "--output", directory / "setup.h5", "--plan", directory / "plan.yml")
    jobs = []
    for seed, benchmark in enumerate(("sm", "w_pos"), start=1):
        generated = directory / f"gen_{benchmark}"
        invoke("generate", "--setup", directory / "setup.h5", "--config", config, "--benchmark", benchmark,
               "--seed", seed, "--events", EVENTS, "--output", generated)
        invoke("delphes", "--config", config, "--hepmc", generated / "events.hepmc.gz", "--lhe",
               generated / "events.lhe.gz", "--output", directory / f"{benchmark}.root")
        invoke("observables", "--setup", directory / "setup.h5", "--config", config, "--input",
               directory / f"{benchmark}.root", "--lhe", generated / "events.lhe.gz", "--benchmark", benchmark,
               "--output", directory / f"{benchmark}.h5")
        jobs.append(directory / f"{benchmark}.h5")
    invoke("combine", "--output", directory / "combined.h5", "--seed", 3, *jobs)
    invoke("augment", "--input", directory / "combined.h5", "--setup", directory / "setup.h5", "--config", config,
           "--method", "sally", "--output", directory / "sally_data", "--seed", 4)
    invoke("train", "--data", directory / "sally_data", "--config", config, "--output", directory / "sally",
           "--seed", 5, "--device", "cpu")
    invoke("evaluate", "--setup", directory / "setup.h5", "--data", directory / "combined.h5", "--config", config,
           "--models", directory / "sally", "--output", directory / "results.h5", "--device", "cpu")
    return directory


def test_the_generator_writes_true_weights_that_estimate_each_cross_section(chain) -> None:
    """true:<b> weights: equal to the joint ones at the sampling benchmark, and like them
    an unbiased estimate of σ(θ_b) at every benchmark (both from the same events)."""
    weights = read_lhe_weights(chain / "gen_w_pos" / "events.lhe.gz")
    names = [name for name in weights.names if not name.startswith("true:")]
    joint = np.column_stack([weights.column(name) for name in names])
    true = np.column_stack([weights.column(f"true:{name}") for name in names])
    sampling = names.index("w_pos")
    np.testing.assert_allclose(true[:, sampling], joint[:, sampling], rtol=1e-6)
    difference = true - joint  # the same events: their paired difference has a small error
    pull = difference.mean(axis=0) / (difference.std(axis=0) / np.sqrt(len(difference)) + 1e-300)
    assert np.all(np.abs(pull) < 4), pull
    assert np.any(np.abs(true - joint) > 1e-3 * np.abs(joint))  # not the joint weights again


def test_true_weights_travel_through_observables_and_combine(chain) -> None:
    with h5py.File(chain / "combined.h5") as file:
        assert file["samples/true_weights"].shape == file["samples/weights"].shape
        sampling = file["samples/sampling_benchmarks"][()]
        names = [n.decode() for n in file["benchmarks/names"][()]]
        sm = names.index("sm")
        at_sm = sampling == sm  # sampled at the SM: the true SM weight is the joint one
        np.testing.assert_allclose(file["samples/true_weights"][()][at_sm, sm], file["samples/weights"][()][at_sm, sm],
                                   rtol=1e-6)


def test_evaluate_compares_sally_with_the_true_score(chain) -> None:
    """validation/sally/true is t(x|SM) of the test events, as wh_likelihood.true_score
    computes it from their momenta (the observables), up to one constant vector: the ∇ log σ
    of the sample's own σ(θ) against that of the components given to true_score."""
    setup = read_setup(chain / "setup.h5")
    raw = yaml.safe_load((chain / "truth.yml").read_text())["augmentation"]
    simulated = load_simulated(chain / "combined.h5", setup, chain / "setup.h5", events="test",
                               validation_fraction=raw["validation_fraction"], test_fraction=raw["test_fraction"])
    with h5py.File(chain / "results.h5") as file:
        validation_true = file["validation/sally/true"][()]
        validation_joint = file["validation/sally/joint"][()]
    x = simulated.observations[: len(validation_true)]
    columns = {o.name: i for i, o in enumerate(setup.observables)}
    # the example's momenta are the event's rotated into its own frame (h along x, the W h
    # system along +z): the likelihood, a function of invariants, is the same there
    frame = lambda name: x[:, [columns[c.format(name)] for c in ("e_{}", "pt_{}_along_h", "pt_{}_across_h",
                                                                  "pz_{}_signed")]]
    lepton, neutrino = frame("l"), frame("nu")
    higgs = np.column_stack([x[:, columns["e_h"]], x[:, columns["pt_h"]], np.zeros(len(x)), x[:, columns["pz_h_signed"]]])
    w_plus = x[:, columns["charge_l"]] > 0
    # the lepton pair's fermion is ν for a W⁺, ℓ⁻ for a W⁻
    fermion = np.where(w_plus[:, None], neutrino, lepton)
    antifermion = np.where(w_plus[:, None], lepton, neutrino)
    momenta = WHMomenta(np.zeros_like(higgs), np.zeros_like(higgs), fermion, antifermion, higgs)
    rho = beam_asymmetry(momenta, w_plus, GeneratorPDF(), BEAM_ENERGY)
    independent = true_score(momenta, np.zeros(2), rho, np.zeros(6) + np.eye(6)[0])  # σ(θ) ≡ 1: no ∇ log σ
    offset = validation_true - independent
    scale = independent.std(axis=0)
    assert np.all(offset.std(axis=0) < 1e-3 * scale), (offset.std(axis=0), scale)
    # the joint score is not the true one: z (the quark's side) is latent
    assert np.all((validation_joint - validation_true).std(axis=0) > 0.05 * scale)


def test_exact_information_lies_below_the_joint_bound_and_sally_is_validated_against_it(chain) -> None:
    summary = json.loads((chain / "results.json").read_text())
    exact = np.array(summary["fisher_information"]["exact"]["profiled"])
    truth = np.array(summary["fisher_information"]["truth"]["profiled"])
    assert np.all(np.linalg.eigvalsh(truth - exact) > -1e-9 * np.abs(truth).max())  # I(x) ≤ I(x, z)
    assert np.linalg.eigvalsh(exact).min() > 0
    assert summary["validation"]["sally"]["against"] == "true"
    assert len(summary["validation"]["sally"]["correlation"]) == 2
