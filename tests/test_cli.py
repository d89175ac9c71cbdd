"""The goldmine command, in-process and as the installed script."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import yaml
from click.testing import CliRunner

from goldmine import __version__
from goldmine.cli import cli
from goldmine.io.provenance import Provenance, file_sha256
from goldmine.io.setup_file import read_setup


def test_help_explains_the_chain_and_lists_only_working_stages() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "configure -> generate" in result.output
    commands = result.output.split("Commands:")[1].split()
    assert {"configure", "generate", "delphes", "observables", "combine", "augment", "train", "evaluate",
            "plot", "run"} <= set(commands)


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_every_example_configures(tmp_path, examples) -> None:
    """The shipped examples stay valid configs: each configures, with its observables."""
    for config in sorted(examples.glob("*.yml")):
        output = tmp_path / config.stem
        result = CliRunner().invoke(cli, ["configure", str(config), "--output", str(output / "setup.h5"),
                                          "--plan", str(output / "plan.yml")])
        assert result.exit_code == 0, f"{config.name}: {result.output}"
        raw = yaml.safe_load(config.read_text())
        assert [o.name for o in read_setup(output / "setup.h5").observables] == [o["name"] for o in raw["observables"]]


def test_configure_writes_setup_and_plan(tmp_path, examples) -> None:
    config = examples / "wh-builtin.yml"
    result = CliRunner().invoke(
        cli, ["configure", str(config), "--output", str(tmp_path / "setup.h5"), "--plan", str(tmp_path / "plan.yml")]
    )
    assert result.exit_code == 0, result.output
    setup = read_setup(tmp_path / "setup.h5")
    assert setup.benchmark_names[:6] == ["sm", "w_pos", "w_neg", "pw_pos", "pw_neg", "mixed"]
    assert setup.morpher.matrix.shape == (6, 6)
    assert [o.name for o in setup.observables][:5] == ["e_l", "pt_l_along_h", "pt_l_across_h", "pz_l_signed", "charge_l"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.yml", "setup.h5"]

    with h5py.File(tmp_path / "setup.h5") as file:
        provenance = Provenance.from_h5(file)
    assert provenance.goldmine_version == __version__
    assert provenance.command_line.startswith("goldmine")
    assert provenance.inputs == {str(config): file_sha256(config)}
    assert provenance.seeds["master_seed"] == 20261122
    assert len(provenance.config_hash) == 64

    plan = yaml.safe_load((tmp_path / "plan.yml").read_text())
    # two signal jobs at each sampling benchmark, then one job per background
    assert plan["n_jobs"] == 10
    assert plan["samples"] == ["sm"] * 2 + ["w_pos"] * 2 + ["pw_pos"] * 2 + ["ttbar_lplus", "ttbar_lminus", "w_jets",
                                                                            "single_top"]
    assert plan["sample_options"] == ["benchmark"] * 6 + ["background"] * 4
    assert plan["job_names"][:4] == ["sm_0", "sm_1", "w_pos_0", "w_pos_1"] and plan["job_names"][-1] == "single_top_0"
    assert plan["events"] == [3000] * 6 + [4000, 4000, 3000, 2000]
    assert len(set(plan["seeds"])) == 10
    assert plan["jobs"][2] == {
        "name": "w_pos_0", "benchmark": "w_pos", "job_index": 0, "seed": plan["seeds"][2], "events": 3000,
    }
    assert plan["background_jobs"][2] == {
        "name": "w_jets_0", "background": "w_jets", "job_index": 0, "seed": plan["seeds"][8], "events": 3000,
    }
    assert plan["provenance"]["config_hash"] == provenance.config_hash


def test_seed_option_overrides_the_master_seed(tmp_path, examples) -> None:
    def seeds(*extra: str) -> list[int]:
        plan = tmp_path / "plan.yml"
        args = ["configure", str(examples / "wh-builtin.yml"), "--output", str(tmp_path / "s.h5"), "--plan", str(plan)]
        assert CliRunner().invoke(cli, [*args, *extra]).exit_code == 0
        return yaml.safe_load(plan.read_text())["seeds"]

    assert seeds() == seeds()
    assert seeds("--seed", "7") != seeds()
    assert CliRunner().invoke(cli, ["configure", str(examples / "wh-builtin.yml"), "--seed", "-1"]).exit_code == 2


def test_optimized_basis_from_config(tmp_path, examples) -> None:
    config = yaml.safe_load((examples / "wh-builtin.yml").read_text())
    config["morphing"] = {"max_overall_power": 2, "basis": ["sm"], "optimize": True, "trials": 3}
    path = tmp_path / "optimized.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    result = CliRunner().invoke(cli, ["configure", str(path), "--output", str(tmp_path / "s.h5"), "--plan", str(tmp_path / "p.yml")])
    assert result.exit_code == 0, result.output
    setup = read_setup(tmp_path / "s.h5")
    assert setup.benchmark_names[:6] == ["sm"] + [f"morphing_basis_vector_{i}" for i in range(5)]
    assert setup.benchmark_names[6:] == ["w_pos", "w_neg", "pw_pos", "pw_neg", "mixed", "val_1", "val_2", "val_3",
                                         "scale_nuisance_param_0_benchmark_0", "scale_nuisance_param_0_benchmark_1"]
    np.testing.assert_allclose(setup.morpher.weights(setup.benchmark_values[:6]), np.eye(6), atol=1e-9)


def test_missing_config_file_is_a_usage_error(tmp_path) -> None:
    result = CliRunner().invoke(cli, ["configure", str(tmp_path / "nope.yml")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_log_levels(tmp_path, examples) -> None:
    args = ["configure", str(examples / "wh-builtin.yml"), "--output", str(tmp_path / "s.h5"), "--plan", str(tmp_path / "p.yml")]
    script = _script()
    loud = subprocess.run([script, "-v", *args], capture_output=True, text=True, check=True)
    normal = subprocess.run([script, *args], capture_output=True, text=True, check=True)
    quiet = subprocess.run([script, "-q", *args], capture_output=True, text=True, check=True)
    assert "DEBUG" in loud.stderr
    assert "INFO" in normal.stderr and "DEBUG" not in normal.stderr
    assert quiet.stderr == ""


def _script() -> str:
    script = shutil.which("goldmine", path=str(Path(sys.executable).parent))
    assert script is not None, "the goldmine console script is not installed"
    return script


def test_installed_script_starts_quickly() -> None:
    start = time.perf_counter()
    completed = subprocess.run([_script(), "--version"], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    assert completed.returncode == 0 and __version__ in completed.stdout
    # Not a timing assertion on the work: a guard against heavy imports at start-up.
    assert elapsed < 5.0


def test_installed_script_reports_config_errors_with_exit_code_2(tmp_path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("name: x\n")
    completed = subprocess.run([_script(), "configure", str(bad)], capture_output=True, text=True, cwd=tmp_path)
    assert completed.returncode == 2
    assert f"Error: {bad}: parameters: missing required key" in completed.stderr
    assert not (tmp_path / "setup.h5").exists() and not (tmp_path / "plan.yml").exists()


def test_a_stage_command_imports_only_its_own_stage() -> None:
    """``goldmine generate`` must not pay for torch or scipy.stats: the group loads lazily."""
    script = ("import sys; from goldmine.cli import cli; cli.get_command(None, 'generate'); "
              "print(sorted(m for m in ('torch', 'scipy.stats', 'goldmine.stages.train', 'goldmine.stages.evaluate') "
              "if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_the_help_lists_every_stage_in_chain_order() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()]
    assert listed == ["configure", "generate", "delphes", "observables", "combine", "augment", "train", "evaluate",
                      "plot", "run"]
