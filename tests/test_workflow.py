"""The yadage workflow, its step specs, and `goldmine run` end to end (local backend)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import click
import pytest
import yaml

from goldmine import __version__
from goldmine.cli import cli
from goldmine.workflow.plan import member_seed
from runs import goldmine_run, stopped_run, tiny_with_detector_card

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "tests" / "configs" / "wh-tiny.yml"
BIN = Path(sys.executable).parent
CHAIN = ["configure", "generate", "delphes", "observables", "combine", "augment", "train", "evaluate", "plot"]


def _spec(stage: str) -> dict:
    return yaml.safe_load((REPO / "specs" / "steps" / f"{stage}.yml").read_text())


# ---- the specs ----------------------------------------------------------------------


def test_workflow_and_every_step_spec_validate() -> None:
    workflow = subprocess.run([str(BIN / "yadage-validate"), "-t", str(REPO), "workflows/goldmine.yml"],
                              cwd=REPO, capture_output=True, text=True)
    assert workflow.returncode == 0 and "workflow validates against schema" in workflow.stdout, workflow.stderr
    for stage in CHAIN:
        step = subprocess.run([str(BIN / "packtivity-validate"), f"specs/steps/{stage}.yml"], cwd=REPO,
                              capture_output=True, text=True)
        assert "packtivity definition is valid" in step.stdout, (stage, step.stdout, step.stderr)


def test_the_workflow_runs_the_nine_stages_in_chain_order_one_image_each() -> None:
    workflow = yaml.safe_load((REPO / "workflows" / "goldmine.yml").read_text())
    assert [stage["name"] for stage in workflow["stages"]] == CHAIN
    for stage in workflow["stages"]:
        assert stage["scheduler"]["step"] == {"$ref": f"specs/steps/{stage['name']}.yml"}
        environment = _spec(stage["name"])["environment"]
        assert environment["environment_type"] == "docker-encapsulated"
        assert environment["image"] == f"goldmine/{stage['name']}"
        assert environment["imagetag"] == __version__  # one version: the package's
    scatters = {s["name"]: s["scheduler"].get("scatter", {}).get("method") for s in workflow["stages"]}
    assert scatters == {"configure": None, "generate": "zip", "delphes": "zip", "observables": "zip",
                        "combine": None, "augment": "zip", "train": "cartesian", "evaluate": None, "plot": None}


def test_every_spec_command_uses_only_options_its_stage_has() -> None:
    for stage in CHAIN:
        command = " ".join(_spec(stage)["process"]["cmd"].split())
        assert command.startswith(f"goldmine {stage} ")
        declared = {opt for param in cli.get_command(click.Context(cli), stage).params if isinstance(param, click.Option)
                    for opt in param.opts}
        used = set(re.findall(r"(--[a-z][a-z-]*)", command))
        assert used <= declared, (stage, used - declared)
        placeholders = set(re.findall(r"\{(\w+)\}", command))
        workflow = yaml.safe_load((REPO / "workflows" / "goldmine.yml").read_text())
        parameters = next(s for s in workflow["stages"] if s["name"] == stage)["scheduler"]["parameters"]
        assert placeholders <= set(parameters), (stage, placeholders - set(parameters))


def test_reana_outputs_are_paths_the_steps_write() -> None:
    reana = yaml.safe_load((REPO / "reana.yaml").read_text())
    assert reana["workflow"] == {"type": "yadage", "file": "workflows/goldmine.yml"}
    published = {f"{stage}/{value.split('{outputdir}/')[1]}" for stage in CHAIN
                 for value in _spec(stage)["publisher"].get("publish", {}).values()}
    published |= {"plot/plots/" + name for name in ("fisher_information.pdf", "contours_expected.pdf")}
    assert set(reana["outputs"]["files"]) <= published | {"evaluate/results.json"}
    assert (REPO / reana["inputs"]["parameters"]["config"]).is_file()


# ---- goldmine run ---------------------------------------------------------------------


def test_an_empty_scatter_or_a_missing_output_makes_the_run_incomplete(tmp_path) -> None:
    from goldmine.workflow.progress import Step
    from goldmine.workflow.runner import expected_steps, missing_outputs

    plan = tmp_path / "plan.yml"
    plan.write_text(yaml.safe_dump({"n_jobs": 3, "methods": ["sally", "alices"], "ensemble_members": [0, 1, 2]}))
    expected = expected_steps(plan)
    assert expected == {"configure": 1, "generate": 3, "delphes": 3, "observables": 3, "combine": 1, "augment": 2,
                        "train": 6, "evaluate": 1, "plot": 1}
    written = tmp_path / "combined.h5"
    written.write_bytes(b"")

    def step(name: str, stage: str, outputs: object = None, state: str = "SUCCESS") -> Step:
        return Step(name, stage, state, 1.0, 2.0, str(tmp_path / name), outputs)

    complete = [step("configure", "configure", {"setup": str(written), "seeds": [1, 2, 3]})]
    complete += [step(f"{stage}_{i}", stage) for stage in ("generate", "delphes", "observables") for i in range(3)]
    complete += [step("combine", "combine", {"combined": str(written)})]
    complete += [step(f"augment_{i}", "augment") for i in range(2)]
    complete += [step(f"train_{i}", "train") for i in range(6)]
    complete += [step("evaluate", "evaluate"), step("plot", "plot")]
    assert missing_outputs(complete, expected) == []

    no_generation = [s for s in complete if s.stage != "generate"]
    assert missing_outputs(no_generation, expected) == ["generate: 0 step(s) succeeded, the plan asks for 3"]
    lost = [*complete[:-1], step("plot", "plot", {"summary": str(tmp_path / "plots" / "summary.md")})]
    assert missing_outputs(lost, expected) == [f"plot: published {tmp_path / 'plots' / 'summary.md'}, which does "
                                               "not exist"]
    with pytest.raises(Exception, match="configure step did not run"):
        expected_steps(tmp_path / "nowhere" / "plan.yml")


def test_a_generate_job_without_shower_owes_no_hepmc_file(tmp_path) -> None:
    """Only a job whose summary says it showered nothing may leave its HepMC unwritten."""
    from goldmine.workflow.progress import Step
    from goldmine.workflow.runner import missing_outputs

    lhe, hepmc = tmp_path / "events.lhe.gz", tmp_path / "events.hepmc.gz"
    lhe.write_bytes(b"")
    for showered, complaints in ((None, []), (2000, [f"generate_0: published {hepmc}, which does not exist"])):
        summary = tmp_path / f"generate_{showered}.json"
        summary.write_text(json.dumps({"events": 2000, "showered_events": showered}))
        outputs = {"lhe": str(lhe), "hepmc": str(hepmc), "summary": str(summary)}
        step = Step("generate_0", "generate", "SUCCESS", 1.0, 2.0, str(tmp_path), outputs)
        assert missing_outputs([step], {"generate": 1}) == complaints


def _step_interval(step_dir: Path) -> tuple[float, float]:
    """When a step's command started and ended, from its packtivity logs."""
    name = step_dir.name

    def stamp(line: str) -> float:
        return datetime.strptime(line.split(" | ")[0], "%Y-%m-%d %H:%M:%S,%f").timestamp()

    step_log = (step_dir / "_packtivity" / f"{name}.step.log").read_text().splitlines()
    run_log = (step_dir / "_packtivity" / f"{name}.run.log").read_text().splitlines()
    return stamp(next(line for line in step_log if "running in" in line)), stamp(run_log[-1])


def test_goldmine_run_restarts_an_interrupted_run_and_runs_the_whole_chain_two_jobs_at_once(tmp_path) -> None:
    workdir = tmp_path / "run"
    first = stopped_run(workdir, signal.SIGINT)
    assert first.returncode != 0 and "interrupted" in first.stdout
    (workdir / "generate_0" / "stale-output.txt").write_text("from the interrupted run")

    restarted = time.time()
    second = goldmine_run(str(TINY), "--workdir", str(workdir), "--jobs", "2")
    out, _ = second.communicate(timeout=900)
    assert second.returncode == 0, out
    assert "removing the previous run (interrupted)" in out
    assert re.search(r"\] generate +4/4 done", out) and re.search(r"\] plot +1/1 done", out)
    assert f"summary: {workdir / 'plot' / 'plots' / 'summary.md'}" in out

    # nothing of the first run is left, every output is new
    assert not (workdir / "generate_0" / "stale-output.txt").exists()
    outputs = [p for p in workdir.rglob("*") if p.is_file() and p.parts[len(workdir.parts)] != "init"]
    assert min(p.stat().st_mtime for p in outputs) >= restarted - 1
    # every stage ran its planned steps; the plots and the summary are there
    steps = json.loads((workdir / "_goldmine" / "steps.json").read_text())
    counts = {stage: sum(s["stage"] == stage and s["state"] == "SUCCESS" for s in steps) for stage in CHAIN}
    assert counts == {"configure": 1, "generate": 4, "delphes": 4, "observables": 4, "combine": 1, "augment": 2,
                      "train": 4, "evaluate": 1, "plot": 1}
    plots = workdir / "plot" / "plots"
    for name in ("fisher_information", "contours_expected", "pvalues_expected_sally_sally", "distributions"):
        assert (plots / f"{name}.png").stat().st_size > 10_000
    assert "sally" in (plots / "summary.md").read_text() and "alices" in (plots / "summary.md").read_text()

    # --jobs 2: two generation jobs ran at the same time, never three
    intervals = sorted(_step_interval(d) for d in workdir.glob("generate_*"))
    assert intervals[1][0] < intervals[0][1], intervals
    for moment in [start + 0.01 for start, _ in intervals]:
        assert sum(start <= moment < end for start, end in intervals) <= 2

    # ensemble members: seeds derived from their method's augment seed and the member index
    plan = yaml.safe_load((workdir / "configure" / "plan.yml").read_text())
    augment_seed = dict(zip(plan["methods"], plan["augment_seeds"]))
    members = set()
    for model in workdir.glob("train_*/model"):
        settings = json.loads((model / "settings.json").read_text())
        method, member = settings["method"], settings["member"]
        assert settings["provenance"]["seeds"]["seed"] == member_seed(augment_seed[method], member)
        members.add((method, member))
    assert members == {(m, k) for m in plan["methods"] for k in plan["ensemble_members"]}


def test_a_failing_step_stops_the_run_and_shows_its_log(tmp_path) -> None:
    config_folder = tmp_path / "analysis"
    config_folder.mkdir()
    (config_folder / "broken-card.yml").write_text("this: is: not a detector card\n")
    config = tiny_with_detector_card(config_folder, "broken-card.yml")
    workdir = tmp_path / "run"
    run = goldmine_run(str(config), "--workdir", str(workdir), "--events", "30")
    out, _ = run.communicate(timeout=600)
    assert run.returncode == 1, out
    assert re.search(r"step delphes_\d failed; \S+delphes_\d/_packtivity/delphes_\d\.run\.log ends:", out), out
    assert "broken-card.yml" in out  # the tail holds goldmine's own error message
    assert json.loads((workdir / ".goldmine-run.json").read_text())["status"] == "failed"
    assert not (workdir / "plot" / "plots").exists() and not list(workdir.glob("observables_*/events.h5"))


def test_run_checks_the_config_first_and_never_touches_a_foreign_directory(tmp_path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(TINY.read_text().replace("required: true}", "required: maybe}", 1))
    run = goldmine_run(str(bad), "--workdir", str(tmp_path / "run"))
    out, _ = run.communicate(timeout=120)
    assert run.returncode == 2 and "observables[0].required" in out
    assert not (tmp_path / "run").exists()

    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "chapter1.tex").write_text("precious")
    run = goldmine_run(str(TINY), "--workdir", str(foreign))
    out, _ = run.communicate(timeout=120)
    assert run.returncode == 1 and "is not a goldmine run directory" in out
    assert [p.name for p in foreign.iterdir()] == ["chapter1.tex"]

    # a container backend without the images (no docker daemon in CI) stops before anything is written
    run = goldmine_run(str(TINY), "--workdir", str(tmp_path / "in-docker"), "--backend", "docker")
    out, _ = run.communicate(timeout=120)
    assert run.returncode == 1 and ("docker has no image goldmine/" in out or "no `docker` command" in out), out
    assert not (tmp_path / "in-docker").exists()


def test_goldmine_run_carries_backgrounds_through_the_chain(tmp_path) -> None:
    """Background jobs run through the same scatters as the signal's: their events reach the
    combined file with sampling benchmark -1 and one weight at every physics benchmark (the
    scale systematic's vary), and the backgrounds' cross sections add."""
    import h5py
    import numpy as np

    config = yaml.safe_load(TINY.read_text())
    config["backgrounds"] = [{"name": "tt", "process": "ttbar_semileptonic_lplus", "events_per_job": 150, "jobs": 2},
                             {"name": "top", "process": "single_top_t", "events_per_job": 150}]
    path = tmp_path / "analysis.yml"
    path.write_text(yaml.safe_dump(config))
    run = goldmine_run(str(path), "--workdir", str(tmp_path / "run"), "--jobs", "2")
    out, _ = run.communicate(timeout=900)
    assert run.returncode == 0, out
    assert "generate 7" in out and "observables 7" in out
    plan = yaml.safe_load((tmp_path / "run" / "configure" / "plan.yml").read_text())
    assert plan["sample_options"] == ["benchmark"] * 4 + ["background"] * 3
    assert plan["samples"][4:] == ["tt", "tt", "top"]
    # each job's events.h5: the files of one background are averaged (weighted by their
    # events), the backgrounds add
    per_process: dict[str, list[tuple[int, float]]] = {}
    for events in (tmp_path / "run").glob("observables_*/events.h5"):
        with h5py.File(events) as file:
            if "goldmine_background" in file.attrs:
                weights = file["samples/weights"][()]
                per_process.setdefault(file.attrs["goldmine_background"], []).append((len(weights), weights[:, 0].sum()))
    assert sorted(per_process) == ["top", "tt"] and len(per_process["tt"]) == 2
    expected = sum(sum(n * total for n, total in files) / max(sum(n for n, _ in files), 1)
                   for files in per_process.values())
    with h5py.File(tmp_path / "run" / "combine" / "combined.h5") as file:
        sampling = file["samples/sampling_benchmarks"][()]
        weights = file["samples/weights"][()]
        n_background = file["sample_summary/background_events"][()]
    background = weights[sampling == -1]
    assert n_background == len(background) > 0
    physics = background[:, :-2]  # the tiny config's scale systematic adds two nuisance benchmarks, which vary
    assert (physics == physics[:, :1]).all() and not np.allclose(background[:, -2], background[:, 0])
    assert background[:, 0].sum() == pytest.approx(expected, rel=1e-12)



@pytest.mark.parametrize("events", [0, 123])
def test_configure_plans_methods_members_and_an_events_override(tmp_path, events) -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["configure", str(TINY), "--output", str(tmp_path / "s.h5"),
                                      "--plan", str(tmp_path / "p.yml"), "--events", str(events)])
    assert result.exit_code == 0, result.output
    plan = yaml.safe_load((tmp_path / "p.yml").read_text())
    assert plan["setup"] == str(tmp_path / "s.h5")
    assert plan["events"] == [events or 400] * 4
    assert plan["methods"] == ["sally", "alices"] and plan["ensemble_members"] == [0, 1]
    assert len(set(plan["augment_seeds"])) == 2 and plan["combine_seed"] not in plan["augment_seeds"]


def test_methods_of_one_sampler_augment_the_same_rows(tmp_path) -> None:
    """ALICES, RASCAL and CARL (the ratio sampler) get one augment seed, SALLY another, so
    that the workflow's ratio methods train on the same rows (the issue's "equal data")."""
    from click.testing import CliRunner

    from goldmine.workflow.plan import augment_seed

    seeds = {method: augment_seed(20261203, method) for method in ("alices", "rascal", "carl", "sally", "sallino")}
    assert seeds["alices"] == seeds["rascal"] == seeds["carl"] != seeds["sally"] == seeds["sallino"]
    setup, config = tmp_path / "s.h5", tmp_path / "tiny.yml"
    config.write_text(TINY.read_text().replace("methods: [sally, alices]", "methods: [sally, alices, carl]"))
    assert CliRunner().invoke(cli, ["configure", str(config), "--output", str(setup),
                                    "--plan", str(tmp_path / "p.yml")]).exit_code == 0
    plan = yaml.safe_load((tmp_path / "p.yml").read_text())
    seed = dict(zip(plan["methods"], plan["augment_seeds"]))
    assert seed["alices"] == seed["carl"] != seed["sally"]
    for key in ("sample_options", "samples", "seeds", "events", "job_names"):
        assert len(plan[key]) == plan["n_jobs"]
    assert os.path.basename(plan["setup"]) == "s.h5"


def test_recast_entry_names_the_workflow_its_examples_and_real_result_paths() -> None:
    entry = yaml.safe_load((REPO / "recast" / "recast.yml").read_text())
    assert set(entry) == {"name", "metadata", "spec", "example_inputs", "results"}
    assert "toplevel" not in entry["spec"], "recast-atlas takes specs/ beside the entry"
    toplevel = REPO / "recast" / "specs"
    assert (toplevel / entry["spec"]["workflow"]).resolve() == REPO / "workflows" / "goldmine.yml"
    workflow_inputs = {value["output"] for stage in yaml.safe_load((REPO / "workflows" / "goldmine.yml").read_text())[
        "stages"] for value in stage["scheduler"]["parameters"].values()
        if isinstance(value, dict) and value.get("step") == "init"}
    for example in entry["example_inputs"].values():
        assert set(example) == {"dataopts", "initdata"}, "recast-atlas passes only these two to yadage"
        # yadage joins a relative initdir to the work directory recast makes in the current
        # directory (here: the repository root)
        initdir = (REPO / "recast-run" / example["dataopts"]["initdir"]).resolve()
        assert (initdir / example["initdata"]["config"]).is_file()
        assert set(example["initdata"]) == workflow_inputs == {"config", "events", "device"}
    reana = yaml.safe_load((REPO / "reana.yaml").read_text())
    assert {r["relpath"] for r in entry["results"]} <= set(reana["outputs"]["files"])
    # recast-atlas reads every result as text when a run ends (a PDF failed it)
    assert {Path(r["relpath"]).suffix for r in entry["results"]} <= {".md", ".json", ".yml", ".yaml", ".txt"}


def _recast(*arguments: str, catalogue: Path, cwd: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "RECAST_ATLAS_CATALOGUE": str(catalogue), "PYTHONWARNINGS": "ignore"}
    return subprocess.run([str(BIN / "recast"), *arguments], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=120)


def test_recast_catalogue_check_passes_from_any_directory_and_checkout(tmp_path) -> None:
    """recast-atlas 0.4.2 resolves the entry's workflow and step specs wherever it runs and
    wherever the repository lies (a copy of the three folders it needs stands for a move)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    checked = _recast("catalogue", "check", "goldmine/wh-ewdim6", catalogue=REPO / "recast", cwd=elsewhere)
    assert checked.returncode == 0 and "Nice job! Everything looks good." in checked.stdout, checked.stdout + checked.stderr

    moved = tmp_path / "moved"
    moved.mkdir()
    for folder in ("recast", "workflows", "specs"):
        subprocess.run(["cp", "-a", str(REPO / folder), str(moved / folder)], check=True)
    described = _recast("catalogue", "describe", "goldmine/wh-ewdim6", catalogue=moved / "recast", cwd=elsewhere)
    assert f"toplevel     : {moved / 'recast' / 'specs'}" in described.stdout, described.stdout + described.stderr
    checked = _recast("catalogue", "check", "goldmine/wh-ewdim6", catalogue=moved / "recast", cwd=elsewhere)
    assert "Nice job! Everything looks good." in checked.stdout, checked.stdout + checked.stderr
    (moved / "specs" / "steps" / "train.yml").unlink()  # the check does read the step specs
    broken = _recast("catalogue", "check", "goldmine/wh-ewdim6", catalogue=moved / "recast", cwd=elsewhere)
    assert "Nice job" not in broken.stdout


def test_concurrent_steps_share_the_cores_out_unless_told(monkeypatch) -> None:
    from goldmine.workflow.runner import step_threads

    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert step_threads(1, {}) == {"OMP_NUM_THREADS": "4", "MKL_NUM_THREADS": "4", "OPENBLAS_NUM_THREADS": "4"}
    assert step_threads(2, {})["OMP_NUM_THREADS"] == "2"
    assert step_threads(8, {})["OMP_NUM_THREADS"] == "1"
    assert step_threads(2, {"OMP_NUM_THREADS": "3"}) == {}
