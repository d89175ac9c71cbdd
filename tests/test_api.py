"""goldmine.api: the public Python surface (one function per stage), documented and typed,
the commands thin layers over it, and a chain run through it alone."""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml
from click.testing import CliRunner

import toys
from goldmine import api
from goldmine.cli import STAGES, cli
from goldmine.errors import UsageError
from goldmine.io.combine import DEFAULT_BUCKET_EVENTS
from goldmine.io.samples import SampleWriter, write_sample_summary
from goldmine.io.setup_file import write_setup_sections

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

#: The command of each API function.
COMMANDS = {"configure": "configure", "generate": "generate", "detector": "delphes", "observables": "observables",
            "combine": "combine", "augment": "augment", "train": "train", "evaluate": "evaluate", "plot": "plot",
            "run": "run"}


def test_every_stage_has_a_documented_typed_function() -> None:
    assert sorted(api.__all__) == sorted(COMMANDS) and sorted(COMMANDS.values()) == sorted(STAGES)
    for name in api.__all__:
        function = getattr(api, name)
        assert inspect.isfunction(function) and function.__name__ == name
        signature = inspect.signature(function)
        assert signature.return_annotation is not inspect.Signature.empty, name
        assert all(p.annotation is not inspect.Parameter.empty for p in signature.parameters.values()), name
        doc = inspect.getdoc(function)
        assert doc and len(doc.split()) > 30, name
    assert "configure" in dir(api)
    with pytest.raises(AttributeError, match="no attribute 'madminer'"):
        api.madminer  # noqa: B018


_ARGUMENTS = {
    "configure": lambda d: ["configure", str(d / "a.yml"), "--output", str(d / "s.h5"), "--plan", str(d / "p.yml"),
                            "--seed", "3"],
    "generate": lambda d: ["generate", "--setup", str(d / "s.h5"), "--config", str(d / "a.yml"), "--benchmark", "sm",
                           "--seed", "5", "--events", "7", "--output", str(d / "job")],
    "detector": lambda d: ["delphes", "--hepmc", str(d / "e.hepmc"), "--output", str(d / "d.root"), "--seed", "2"],
    "observables": lambda d: ["observables", "--setup", str(d / "s.h5"), "--config", str(d / "a.yml"), "--input",
                              str(d / "d.root"), "--sampling-benchmark", "sm", "--weight-names", "a,b",
                              "--output", str(d / "e.h5")],
    "combine": lambda d: ["combine", str(d / "e.h5"), "--output", str(d / "c.h5")],
    "augment": lambda d: ["augment", "--input", str(d / "c.h5"), "--setup", str(d / "s.h5"), "--config",
                          str(d / "a.yml"), "--method", "sally", "--output", str(d / "aug")],
    "train": lambda d: ["train", "--data", str(d), "--config", str(d / "a.yml"), "--output", str(d / "m"),
                        "--member", "1"],
    "evaluate": lambda d: ["evaluate", "--setup", str(d / "s.h5"), "--data", str(d / "c.h5"), "--config",
                           str(d / "a.yml"), "--output", str(d / "r.h5"), "--models", str(d), str(d)],
    "plot": lambda d: ["plot", "--results", str(d / "r.h5"), "--output", str(d / "plots")],
}
_EXPECTED = {
    "configure": lambda d: ((d / "a.yml", d / "s.h5", d / "p.yml"), {"events_per_job": None, "seed": 3}),
    "generate": lambda d: ((d / "s.h5", d / "a.yml", d / "job"),
                           {"seed": 5, "events": 7, "benchmark": "sm", "background": None, "backend": None,
                            "mg5": None, "mg5_python": None}),
    "detector": lambda d: ((d / "d.root",), {"hepmc": d / "e.hepmc", "lhe": None, "config": None, "backend": None,
                                             "card": None, "delphes": None, "seed": 2, "chunk_size": 1000}),
    "observables": lambda d: ((d / "s.h5", d / "a.yml", d / "d.root", d / "e.h5"),
                              {"sampling_benchmark": "sm", "background": None, "lhe": None,
                               "weight_names": ("a", "b"), "chunk_size": 100_000}),
    "combine": lambda d: (((d / "e.h5",), d / "c.h5"), {"seed": 0, "bucket_events": DEFAULT_BUCKET_EVENTS}),
    "augment": lambda d: ((d / "c.h5", d / "s.h5", d / "a.yml", "sally", d / "aug"), {"seed": 0, "chunk_size": 50_000}),
    "train": lambda d: ((d, d / "a.yml", d / "m"), {"method": None, "seed": None, "member": 1, "device": "auto",
                                                    "bootstrap": False}),
    "evaluate": lambda d: ((d / "s.h5", d / "c.h5", d / "a.yml", d / "r.h5"),
                           {"models": (d, d), "observed": None, "events": "test", "device": "auto"}),
    "plot": lambda d: (((d / "r.h5",), d / "plots"), {}),
}


@pytest.mark.parametrize("name", list(_ARGUMENTS))
def test_each_command_hands_its_options_to_the_api_function(name, tmp_path, monkeypatch) -> None:
    """The command line is a thin layer: the command calls its API function with its
    options (and nothing else happens: the stand-in writes nothing)."""
    for file in ("a.yml", "s.h5", "p.yml", "e.hepmc", "d.root", "e.h5", "c.h5", "r.h5"):
        (tmp_path / file).write_text("")
    calls = []
    module = importlib.import_module(f"goldmine.api._{name}")
    monkeypatch.setattr(module, name, lambda *args, **kwargs: calls.append((args, kwargs)))
    result = CliRunner().invoke(cli, _ARGUMENTS[name](tmp_path))
    assert result.exit_code == 0, result.output
    assert calls == [_EXPECTED[name](tmp_path)]


def test_the_run_command_hands_its_options_to_the_api_function(tmp_path, monkeypatch) -> None:
    from goldmine.workflow.runner import RunResult

    calls = []

    def stand_in(*args, **kwargs):
        calls.append((args, kwargs))
        return RunResult(tmp_path, tmp_path / "plots", tmp_path / "summary.md", tmp_path / "results.h5", 61.0,
                         {"configure": 1})

    monkeypatch.setattr(importlib.import_module("goldmine.api._run"), "run", stand_in)
    result = CliRunner().invoke(cli, ["run", str(EXAMPLES / "wh-builtin.yml"), "--workdir", str(tmp_path / "w"),
                                      "--jobs", "2"])
    assert result.exit_code == 0, result.output
    ((config, workdir), kwargs), = calls
    assert (config, workdir, kwargs["jobs"], kwargs["backend"], kwargs["events"]) == (
        EXAMPLES / "wh-builtin.yml", tmp_path / "w", 2, "local", 0)
    assert "finished in 1 min 01 s (configure 1 steps)" in result.output


def test_usage_errors_are_goldmine_errors_with_exit_code_2(tmp_path) -> None:
    with pytest.raises(UsageError, match=r"give --benchmark \(a signal job\) or --background"):
        api.generate(tmp_path / "s.h5", tmp_path / "a.yml", tmp_path / "job", seed=1, events=1)
    with pytest.raises(UsageError, match="--backend none needs --lhe"):
        api.detector(tmp_path / "out.root", hepmc=tmp_path / "e.hepmc", backend="none")
    assert UsageError("x").exit_code == 2


def test_a_chain_through_the_api_alone(tmp_path) -> None:
    """configure → generate (built-in W h, no shower) → detector (parton) → observables on
    the example's physics, and on a toy with a known score configure → combine → augment →
    train → evaluate → plot, every step a call of goldmine.api with paths."""
    raw = yaml.safe_load((EXAMPLES / "wh-parton-truth.yml").read_text())
    raw["generation"]["builtin"]["true_weights"] = False
    config = tmp_path / "wh.yml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    setup = api.configure(config, tmp_path / "wh.h5", tmp_path / "wh-plan.yml")
    assert setup.parameter_names == ["CWL2", "CPWL2"]
    summary = api.generate(tmp_path / "wh.h5", config, tmp_path / "job", benchmark="sm", seed=7, events=300)
    assert summary["backend"] == "builtin" and summary["cross_section_pb"]["value"] > 0
    assert json.loads((tmp_path / "job" / "generate.json").read_text())["seed"] == 7
    root = api.detector(tmp_path / "parton.root", lhe=tmp_path / "job" / "events.lhe.gz", config=config)
    assert root == tmp_path / "parton.root" and root.is_file()
    extracted = api.observables(tmp_path / "wh.h5", config, root, tmp_path / "events.h5", sampling_benchmark="sm",
                                lhe=tmp_path / "job" / "events.lhe.gz")
    assert 0 < extracted.n_passed <= extracted.n_input == 300

    toy = toys.toy_config(n_samples=4000, local={"theta": {"benchmark": "sm"}})
    toy["training"] = {"hidden": [16, 16], "epochs": 4}
    toy_config = tmp_path / "toy.yml"
    toy_config.write_text(yaml.safe_dump(toy, sort_keys=False))
    toy_setup = api.configure(toy_config, tmp_path / "toy.h5", tmp_path / "toy-plan.yml")
    z = np.random.default_rng(8).uniform(-1, 1, size=(8000, 2))
    with h5py.File(tmp_path / "toy-events.h5", "w") as file:
        write_setup_sections(file, toy_setup)
        weights = (1.0 + z @ toy_setup.benchmark_values.T) ** 2 * 4.0 / len(z)
        SampleWriter(file, 3, len(toy_setup.benchmarks)).append(np.column_stack([z, np.zeros(len(z))]), weights,
                                                                np.zeros(len(z)))
        write_sample_summary(file, np.eye(len(toy_setup.benchmarks), dtype=int)[0] * len(z), 0)
    combined = api.combine([tmp_path / "toy-events.h5"], tmp_path / "combined.h5", seed=1)
    assert combined.n_events == 8000
    augmented = api.augment(tmp_path / "combined.h5", tmp_path / "toy.h5", toy_config, "sally", tmp_path / "data")
    assert augmented["method"] == "sally" and "train" in augmented["partitions"]
    model = api.train(tmp_path / "data", toy_config, tmp_path / "model", device="cpu")
    assert (model / "settings.json").is_file()
    results = api.evaluate(tmp_path / "toy.h5", tmp_path / "combined.h5", toy_config, tmp_path / "results.h5",
                           models=[model], device="cpu")
    assert "sally" in results["fisher_information"] and (tmp_path / "results.json").is_file()
    summary_md = api.plot([tmp_path / "results.h5"], tmp_path / "plots")
    assert summary_md == tmp_path / "plots" / "summary.md" and "# goldmine results" in summary_md.read_text()
