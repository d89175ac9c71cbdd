"""Hostile input and faults, stage by stage, through the installed command.

Every refusal must exit non-zero with one line (no traceback) naming the file, key or
event, and leave no output: neither the final name nor a ``.partial`` one. Faults (a full
disk, a read-only folder, SIGKILL and SIGTERM) must leave no process behind. The inputs
are one tiny chain run once for the module; each case damages a copy.

A full disk is a small tmpfs filled up to a few kilobytes; a read-only folder, a
read-only tmpfs (the tests run as root in CI, where a chmod would not stop a write).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from runs import (
    TINY,
    assert_nothing_left_running,
    goldmine_run,
    processes_mentioning,
    started,
    stopped_run,
    tiny_with_detector_card,
)

REPO = Path(__file__).resolve().parents[1]
GOLDMINE = str(Path(sys.executable).parent / "goldmine")
TAG = "GOLDMINE_RELIABILITY_TAG"


# ---- running goldmine and judging what it did ---------------------------------------


def goldmine(*arguments: object, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """One goldmine command, as a user runs it; its exit code and output."""
    return subprocess.run([GOLDMINE, "-q", *map(str, arguments)], cwd=cwd or REPO, capture_output=True, text=True,
                          timeout=timeout)


def assert_refused(result: subprocess.CompletedProcess, *names: object, exit_code: int = 1) -> None:
    """Exit ``exit_code``, one ``Error:`` line naming every one of ``names``, no traceback."""
    said = result.stdout + result.stderr
    assert result.returncode == exit_code, f"exit {result.returncode}:\n{said[-3000:]}"
    assert "Traceback" not in said, said[-3000:]
    errors = [line for line in said.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, said[-3000:]
    for name in names:
        assert str(name) in errors[0], f"{name!r} not in {errors[0]!r}"


def entries(folder: Path) -> set[str]:
    """Everything in ``folder``, dot files (a ``.partial``) included."""
    return {path.name for path in folder.iterdir()} if folder.exists() else set()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tagged_processes(tag: str) -> list[int]:
    """Processes whose environment holds ``TAG=tag``: a command we started and all it started."""
    marker = f"{TAG}={tag}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def assert_no_process_left(tag: str) -> None:
    deadline = time.monotonic() + 20
    while tagged_processes(tag) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert tagged_processes(tag) == [], "a process of the killed command lives on"


def killed_midway(arguments: list[object], output: Path, signal_number: int) -> subprocess.Popen:
    """Start a goldmine command, send it ``signal_number`` once its temporary output has
    existed for a second; all its processes carry a tag in their environment."""
    tag = uuid.uuid4().hex
    process = subprocess.Popen([GOLDMINE, "-q", *map(str, arguments)], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env={**os.environ, TAG: tag})
    deadline = time.monotonic() + 120
    while not any(name.endswith(".partial") for name in entries(output.parent)):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()[0]
        time.sleep(0.05)
    time.sleep(1.0)
    if process.poll() is not None:  # communicate() reads and closes its pipes: nothing leaks into later tests
        pytest.fail(f"the command finished before it could be stopped: give it more work\n{process.communicate()[0]}")
    process.send_signal(signal_number)
    process.communicate(timeout=60)
    process.tag = tag  # type: ignore[attr-defined]
    return process


# ---- folders that cannot take an output ---------------------------------------------


def _mount_tmpfs(folder: Path, options: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        reason = "the tests must run as root (or with CAP_SYS_ADMIN) to mount a tmpfs"
        if os.environ.get("CI"):
            pytest.fail(f"cannot mount a tmpfs in CI ({mounted.stderr.strip()}); {reason}")
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}); {reason}")


def fill(folder: Path, *, leave_kb: int) -> None:
    """Grow ``folder/filler`` until ``leave_kb`` kilobytes are left free."""
    free_kb = shutil.disk_usage(folder).free // 1024
    with open(folder / "filler", "ab") as filler:
        filler.write(b"\0" * max(free_kb - leave_kb, 0) * 1024)


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a 16 MB tmpfs with 8 KB left free."""
    folder = tmp_path / "full"
    _mount_tmpfs(folder, "size=16m")
    try:
        fill(folder, leave_kb=8)
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "read-only"
    _mount_tmpfs(folder, "ro,size=1m")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def assert_no_room(result: subprocess.CompletedProcess, folder: Path, output: str, reason: str) -> None:
    """Refused naming the output and why; the folder holds what it held before."""
    assert_refused(result, folder / output, reason)
    assert entries(folder) - {"filler"} == set(), entries(folder)


# ---- the inputs: one tiny chain -------------------------------------------------------


def tiny_config(path: Path, *, epochs: int) -> Path:
    """The tiny config, training every one of ``epochs`` epochs (no early stop), written to ``path``."""
    config = yaml.safe_load(TINY.read_text())
    config["training"]["epochs"] = epochs
    config["training"]["patience"] = None
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """configure → generate (300 events at sm) → delphes → observables → combine → augment
    (SALLY) → train → evaluate → plot, once; a folder with every stage's output."""
    folder = tmp_path_factory.mktemp("chain")
    tiny_config(folder / "analysis.yml", epochs=2)
    steps = [
        ("configure", folder / "analysis.yml", "--output", "setup.h5", "--plan", "plan.yml"),
        ("generate", "--setup", "setup.h5", "--config", "analysis.yml", "--benchmark", "sm", "--seed", 7,
         "--events", 300, "--output", "job"),
        ("delphes", "--hepmc", "job/events.hepmc.gz", "--backend", "builtin", "--config", "analysis.yml",
         "--output", "delphes.root"),
        ("observables", "--setup", "setup.h5", "--config", "analysis.yml", "--input", "delphes.root", "--lhe",
         "job/events.lhe.gz", "--sampling-benchmark", "sm", "--output", "events.h5"),
        ("combine", "--output", "combined.h5", "--seed", 1, "events.h5"),
        ("augment", "--input", "combined.h5", "--setup", "setup.h5", "--config", "analysis.yml", "--method",
         "sally", "--output", "sally_data"),
        ("train", "--method", "sally", "--data", "sally_data", "--config", "analysis.yml", "--output", "sally_model",
         "--device", "cpu"),
        ("evaluate", "--setup", "setup.h5", "--data", "combined.h5", "--models", "sally_model", "--config",
         "analysis.yml", "--output", "results.h5"),
        ("plot", "--results", "results.h5", "--output", "plots"),
    ]
    for step in steps:
        result = goldmine(*step, cwd=folder)
        assert result.returncode == 0, result.stderr[-3000:]
    return folder


def damaged(source: Path, target: Path, *, cut: float | None = None, zero_at: float | None = None,
            n_zero: int = 4096) -> Path:
    """A copy of ``source``: cut to a fraction of its length, or with bytes zeroed mid-file."""
    data = bytearray(source.read_bytes())
    if cut is not None:
        data = data[: int(len(data) * cut)]
    if zero_at is not None:
        start = int(len(data) * zero_at)
        data[start : start + n_zero] = bytes(len(data[start : start + n_zero]))
    target.write_bytes(bytes(data))
    return target


# ---- configure ------------------------------------------------------------------------


def test_configure_refuses_malformed_yaml_naming_the_file(tmp_path) -> None:
    config = tmp_path / "broken.yml"
    config.write_text("parameters: [\n  - name: CWL2\n")
    result = goldmine("configure", config, "--output", tmp_path / "setup.h5", "--plan", tmp_path / "plan.yml")
    assert_refused(result, config, exit_code=2)
    assert entries(tmp_path) == {"broken.yml"}


def test_configure_refuses_an_unknown_key_and_suggests_the_right_one(tmp_path) -> None:
    config = yaml.safe_load(TINY.read_text())
    config["generation"]["event_per_job"] = config["generation"].pop("events_per_job")
    path = tmp_path / "typo.yml"
    path.write_text(yaml.safe_dump(config))
    result = goldmine("configure", path, "--output", tmp_path / "setup.h5")
    assert_refused(result, "event_per_job", "events_per_job", exit_code=2)
    assert entries(tmp_path) == {"typo.yml"}


def test_configure_refuses_a_yaml_alias_bomb_without_hanging(tmp_path) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    bomb = tmp_path / "bomb.yml"
    bomb.write_text("\n".join(levels) + "\nname: *a8\n")
    result = goldmine("configure", bomb, "--output", tmp_path / "setup.h5", timeout=60)
    assert_refused(result, bomb, "alias", exit_code=2)


@pytest.mark.parametrize(("value", "key"), [
    ("[-.inf, .inf]", "parameters[0].range"),
    ("[-1.0e200, 1.0e200]", "parameters[0].range"),
    (".nan", "parameters[0].range"),
])
def test_configure_refuses_ranges_that_are_not_finite_or_overflow(tmp_path, value, key) -> None:
    text = TINY.read_text().replace("range: [-20.0, 20.0]", f"range: {value}", 1)
    config = tmp_path / "range.yml"
    config.write_text(text)
    result = goldmine("configure", config, "--output", tmp_path / "setup.h5")
    assert_refused(result, key, exit_code=2)
    assert entries(tmp_path) == {"range.yml"}


def test_configure_refuses_an_expression_nested_too_deeply(tmp_path) -> None:
    config = yaml.safe_load(TINY.read_text())
    config["observables"][0]["expression"] = "(" * 400 + "l[0].pt" + ")" * 400
    path = tmp_path / "deep.yml"
    path.write_text(yaml.safe_dump(config))
    result = goldmine("configure", path, "--output", tmp_path / "setup.h5")
    assert_refused(result, "observables[0]", exit_code=2)


def test_configure_refuses_a_config_that_is_not_utf8_and_keeps_non_ascii_text(tmp_path) -> None:
    latin1 = tmp_path / "latin1.yml"
    latin1.write_bytes(TINY.read_text().replace("W h production", "W h Produktion für").encode("latin-1"))
    assert_refused(goldmine("configure", latin1, "--output", tmp_path / "setup.h5"), latin1, exit_code=2)
    assert not (tmp_path / "setup.h5").exists()

    utf8 = tmp_path / "utf8.yml"
    utf8.write_text(TINY.read_text().replace("W h production", "W h → ℓ ν b b̄, Wilson-Koeffizienten für"))
    result = goldmine("configure", utf8, "--output", tmp_path / "setup.h5", "--plan", tmp_path / "plan.yml")
    assert result.returncode == 0, result.stderr


def test_configure_on_a_full_disk_leaves_neither_setup_nor_plan(full_disk) -> None:
    result = goldmine("configure", TINY, "--output", full_disk / "setup.h5", "--plan", full_disk / "plan.yml")
    assert_no_room(result, full_disk, "setup.h5", "No space left on device")


def test_configure_into_a_read_only_folder(read_only) -> None:
    result = goldmine("configure", TINY, "--output", read_only / "setup.h5", "--plan", read_only / "plan.yml")
    assert_refused(result, read_only / "setup.h5", "Read-only file system")


# ---- generate -----------------------------------------------------------------------


def test_generate_refuses_a_huge_power_in_a_card_transform_without_hanging(chain, tmp_path) -> None:
    config = yaml.safe_load((chain / "analysis.yml").read_text())
    config["parameters"][0]["transform"] = "theta + 9**9**9"
    path = tmp_path / "power.yml"
    path.write_text(yaml.safe_dump(config))
    result = goldmine("generate", "--setup", chain / "setup.h5", "--config", path, "--benchmark", "sm", "--seed", 1,
                      "--events", 10, "--output", tmp_path / "job", timeout=60)
    assert_refused(result, "parameters[0].transform", exit_code=2)
    assert not (tmp_path / "job").exists()


def test_generate_refuses_a_damaged_setup_naming_it(chain, tmp_path) -> None:
    setup = damaged(chain / "setup.h5", tmp_path / "setup.h5", zero_at=0.3, n_zero=2000)
    result = goldmine("generate", "--setup", setup, "--config", chain / "analysis.yml", "--benchmark", "sm",
                      "--seed", 1, "--events", 10, "--output", tmp_path / "job")
    assert_refused(result, setup)
    assert entries(tmp_path) == {"setup.h5"}


def test_generate_refuses_a_benchmark_the_setup_lacks(chain, tmp_path) -> None:
    result = goldmine("generate", "--setup", chain / "setup.h5", "--config", chain / "analysis.yml", "--benchmark",
                      "w_plus", "--seed", 1, "--events", 10, "--output", tmp_path / "job")
    assert_refused(result, "w_plus", exit_code=2)
    assert entries(tmp_path) == set()


def test_generate_never_overwrites_a_finished_job(chain) -> None:
    before = sha256(chain / "job" / "events.lhe.gz")
    result = goldmine("generate", "--setup", chain / "setup.h5", "--config", chain / "analysis.yml", "--benchmark",
                      "sm", "--seed", 8, "--events", 10, "--output", chain / "job")
    assert_refused(result, chain / "job")
    assert sha256(chain / "job" / "events.lhe.gz") == before


def test_generate_on_a_full_disk_leaves_no_job_and_no_process(chain, full_disk) -> None:
    result = goldmine("generate", "--setup", chain / "setup.h5", "--config", chain / "analysis.yml", "--benchmark",
                      "sm", "--seed", 1, "--events", 300, "--output", full_disk / "job")
    assert_no_room(result, full_disk, "job", "No space left on device")
    assert processes_mentioning(str(full_disk / "job")) == []


@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_generate_killed_midway_leaves_no_job_and_no_process(chain, tmp_path, signal_number) -> None:
    output = tmp_path / "job"
    process = killed_midway(["generate", "--setup", chain / "setup.h5", "--config", chain / "analysis.yml",
                             "--benchmark", "sm", "--seed", 3, "--events", 5000, "--output", output],
                            output, signal_number)
    assert process.returncode == -signal_number
    assert_no_process_left(process.tag)
    deadline = time.monotonic() + 10
    while entries(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert entries(tmp_path) == set(), "the temporary job folder goes with the killed job"


# ---- delphes ------------------------------------------------------------------------


@pytest.mark.parametrize("compressed", [True, False])
def test_delphes_refuses_hepmc_cut_mid_event(chain, tmp_path, compressed) -> None:
    with gzip.open(chain / "job" / "events.hepmc.gz", "rb") as stream:
        text = stream.read()
    cut = text[: int(len(text) * 0.6)]
    hepmc = tmp_path / ("cut.hepmc.gz" if compressed else "cut.hepmc")
    hepmc.write_bytes(gzip.compress(cut) if compressed else cut)
    result = goldmine("delphes", "--hepmc", hepmc, "--backend", "builtin", "--config", chain / "analysis.yml",
                      "--output", tmp_path / "delphes.root")
    assert_refused(result, hepmc, "truncated after event")
    assert entries(tmp_path) == {hepmc.name}


def test_delphes_refuses_a_cut_gzip_stream(chain, tmp_path) -> None:
    hepmc = damaged(chain / "job" / "events.hepmc.gz", tmp_path / "cut.hepmc.gz", cut=0.5)
    result = goldmine("delphes", "--hepmc", hepmc, "--backend", "builtin", "--config", chain / "analysis.yml",
                      "--output", tmp_path / "delphes.root")
    assert_refused(result, hepmc, "truncated")
    assert entries(tmp_path) == {hepmc.name}


def test_delphes_on_a_full_disk_leaves_no_root_file(chain, full_disk) -> None:
    result = goldmine("delphes", "--hepmc", chain / "job" / "events.hepmc.gz", "--backend", "builtin", "--config",
                      chain / "analysis.yml", "--output", full_disk / "delphes.root")
    assert_no_room(result, full_disk, "delphes.root", "No space left on device")


def test_delphes_into_a_read_only_folder(chain, read_only) -> None:
    result = goldmine("delphes", "--hepmc", chain / "job" / "events.hepmc.gz", "--backend", "builtin", "--config",
                      chain / "analysis.yml", "--output", read_only / "delphes.root")
    assert_refused(result, read_only / "delphes.root", "Read-only file system")


# ---- observables --------------------------------------------------------------------


def _observables(chain: Path, output: Path, *, root: Path | None = None, lhe: Path | None = None,
                 benchmark: str = "sm") -> subprocess.CompletedProcess:
    return goldmine("observables", "--setup", chain / "setup.h5", "--config", chain / "analysis.yml", "--input",
                    root or chain / "delphes.root", "--lhe", lhe or chain / "job" / "events.lhe.gz",
                    "--sampling-benchmark", benchmark, "--output", output)


@pytest.mark.parametrize("damage", [{"cut": 0.5}, {"zero_at": 0.5, "n_zero": 2000}], ids=["cut", "zeroed"])
def test_observables_refuses_a_damaged_root_file(chain, tmp_path, damage) -> None:
    root = damaged(chain / "delphes.root", tmp_path / "delphes.root", **damage)
    result = _observables(chain, tmp_path / "events.h5", root=root)
    assert_refused(result, root)
    assert entries(tmp_path) == {"delphes.root"}


def test_observables_refuses_a_plain_lhe_cut_mid_event(chain, tmp_path) -> None:
    with gzip.open(chain / "job" / "events.lhe.gz", "rb") as stream:
        text = stream.read()
    lhe = tmp_path / "cut.lhe"
    lhe.write_bytes(text[: int(len(text) * 0.7)])
    result = _observables(chain, tmp_path / "events.h5", lhe=lhe)
    assert_refused(result, lhe)
    assert entries(tmp_path) == {"cut.lhe"}


def test_observables_refuses_the_lhe_of_another_run(chain, tmp_path) -> None:
    other = tmp_path / "other"
    made = goldmine("generate", "--setup", chain / "setup.h5", "--config", chain / "analysis.yml", "--benchmark",
                    "sm", "--seed", 99, "--events", 300, "--output", other)
    assert made.returncode == 0, made.stderr
    result = _observables(chain, tmp_path / "events.h5", lhe=other / "events.lhe.gz")
    assert_refused(result, other / "events.lhe.gz")
    assert "events.h5" not in entries(tmp_path)


def test_observables_refuses_another_sampling_benchmark_than_the_events_had(chain, tmp_path) -> None:
    result = _observables(chain, tmp_path / "events.h5", benchmark="w_pos")
    assert_refused(result, "w_pos")
    assert entries(tmp_path) == set()


def test_observables_on_a_full_disk(chain, full_disk) -> None:
    assert_no_room(_observables(chain, full_disk / "events.h5"), full_disk, "events.h5", "No space left on device")


def test_observables_into_a_read_only_folder(chain, read_only) -> None:
    assert_refused(_observables(chain, read_only / "events.h5"), read_only / "events.h5", "Read-only file system")


# ---- combine ------------------------------------------------------------------------


def test_combine_never_writes_over_its_own_input(chain, tmp_path) -> None:
    events = shutil.copy(chain / "events.h5", tmp_path / "a.h5")
    before = sha256(Path(events))
    result = goldmine("combine", "--output", events, events, chain / "events.h5")
    assert_refused(result, events)
    assert sha256(Path(events)) == before and entries(tmp_path) == {"a.h5"}


@pytest.mark.parametrize("how", ["same path", "copy"])
def test_combine_refuses_one_file_twice(chain, tmp_path, how) -> None:
    other = chain / "events.h5" if how == "same path" else Path(shutil.copy(chain / "events.h5", tmp_path / "b.h5"))
    result = goldmine("combine", "--output", tmp_path / "combined.h5", chain / "events.h5", other)
    assert_refused(result, other)
    assert "combined.h5" not in entries(tmp_path)


@pytest.mark.parametrize("damage", [{"cut": 0.6}, {"zero_at": 0.5, "n_zero": 3000}], ids=["cut", "corrupt chunks"])
def test_combine_refuses_a_damaged_event_file(chain, tmp_path, damage) -> None:
    events = damaged(chain / "events.h5", tmp_path / "events.h5", **damage)
    result = goldmine("combine", "--output", tmp_path / "combined.h5", events)
    assert_refused(result, events)
    assert entries(tmp_path) == {"events.h5"}


def test_combine_on_a_full_disk(chain, full_disk) -> None:
    result = goldmine("combine", "--output", full_disk / "combined.h5", chain / "events.h5")
    assert_no_room(result, full_disk, "combined.h5", "No space left on device")


# ---- augment ------------------------------------------------------------------------


def _augment(chain: Path, output: Path, *, events: Path | None = None) -> subprocess.CompletedProcess:
    return goldmine("augment", "--input", events or chain / "combined.h5", "--setup", chain / "setup.h5", "--config",
                    chain / "analysis.yml", "--method", "sally", "--output", output)


def test_augment_refuses_a_damaged_combined_file(chain, tmp_path) -> None:
    events = damaged(chain / "combined.h5", tmp_path / "combined.h5", zero_at=0.5, n_zero=3000)
    assert_refused(_augment(chain, tmp_path / "data", events=events), events)
    assert entries(tmp_path) == {"combined.h5"}


def test_augment_refuses_events_of_another_setup(chain, tmp_path) -> None:
    config = yaml.safe_load((chain / "analysis.yml").read_text())
    config["observables"] = config["observables"][:-1]
    (tmp_path / "fewer.yml").write_text(yaml.safe_dump(config))
    made = goldmine("configure", tmp_path / "fewer.yml", "--output", tmp_path / "setup.h5", "--plan",
                    tmp_path / "plan.yml")
    assert made.returncode == 0, made.stderr
    result = goldmine("augment", "--input", chain / "combined.h5", "--setup", tmp_path / "setup.h5", "--config",
                      tmp_path / "fewer.yml", "--method", "sally", "--output", tmp_path / "data")
    assert_refused(result, chain / "combined.h5")
    assert "data" not in entries(tmp_path)


def test_augment_on_a_full_disk_is_an_error_not_a_sigbus(chain, full_disk) -> None:
    assert_no_room(_augment(chain, full_disk / "data"), full_disk, "data", "No space left on device")


# ---- train --------------------------------------------------------------------------


def _train(chain: Path, output: Path, *, data: Path | None = None, method: str = "sally",
           config: Path | None = None) -> list[object]:
    return ["train", "--method", method, "--data", data or chain / "sally_data", "--config",
            config or chain / "analysis.yml", "--output", output, "--device", "cpu"]


def test_train_refuses_rows_drawn_for_another_method(chain, tmp_path) -> None:
    result = goldmine(*_train(chain, tmp_path / "model", method="nde"))
    assert_refused(result, chain / "sally_data")
    assert entries(tmp_path) == set()


def test_train_refuses_a_cut_array_naming_it(chain, tmp_path) -> None:
    data = Path(shutil.copytree(chain / "sally_data", tmp_path / "data"))
    damaged(chain / "sally_data" / "x_train.npy", data / "x_train.npy", cut=0.5)
    assert_refused(goldmine(*_train(chain, tmp_path / "model", data=data)), data / "x_train.npy")
    assert entries(tmp_path) == {"data"}


@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_train_killed_midway_leaves_no_model_and_no_process(chain, tmp_path, signal_number) -> None:
    long = tiny_config(tmp_path / "long.yml", epochs=2000)
    output = tmp_path / "model"
    process = killed_midway(_train(chain, output, config=long), output, signal_number)
    assert process.returncode == -signal_number
    assert_no_process_left(process.tag)
    deadline = time.monotonic() + 10
    while entries(tmp_path) != {"long.yml"} and time.monotonic() < deadline:
        time.sleep(0.1)
    assert entries(tmp_path) == {"long.yml"}, "nothing of the model is left, nothing looks finished"


def test_train_on_a_full_disk(chain, full_disk) -> None:
    result = goldmine(*_train(chain, full_disk / "model"))
    assert_no_room(result, full_disk, "model", "No space left on device")


# ---- evaluate -----------------------------------------------------------------------


def _evaluate(chain: Path, output: Path, *, models: Path | None = None, events: Path | None = None) -> list[object]:
    return ["evaluate", "--setup", chain / "setup.h5", "--data", events or chain / "combined.h5", "--models",
            models or chain / "sally_model", "--config", chain / "analysis.yml", "--output", output]


@pytest.mark.parametrize("damage", [{"cut": 0.7}, {"zero_at": 0.6, "n_zero": 64}], ids=["cut", "zeroed"])
def test_evaluate_refuses_damaged_weights(chain, tmp_path, damage) -> None:
    model = Path(shutil.copytree(chain / "sally_model", tmp_path / "model"))
    damaged(chain / "sally_model" / "state_dict.pt", model / "state_dict.pt", **damage)
    assert_refused(goldmine(*_evaluate(chain, tmp_path / "results.h5", models=model)), model / "state_dict.pt")
    assert entries(tmp_path) == {"model"}


def test_evaluate_refuses_a_damaged_combined_file(chain, tmp_path) -> None:
    events = damaged(chain / "combined.h5", tmp_path / "combined.h5", zero_at=0.5, n_zero=3000)
    assert_refused(goldmine(*_evaluate(chain, tmp_path / "results.h5", events=events)), events)
    assert entries(tmp_path) == {"combined.h5"}


def test_evaluate_on_a_full_disk_leaves_neither_results_nor_summary(chain, full_disk) -> None:
    result = goldmine(*_evaluate(chain, full_disk / "results.h5"))
    assert_refused(result, "No space left on device")
    assert entries(full_disk) == {"filler"}


# ---- plot ---------------------------------------------------------------------------


def test_plot_refuses_a_damaged_results_file(chain, tmp_path) -> None:
    results = damaged(chain / "results.h5", tmp_path / "results.h5", zero_at=0.5, n_zero=5000)
    assert_refused(goldmine("plot", "--results", results, "--output", tmp_path / "plots"), results)
    assert entries(tmp_path) == {"results.h5"}


def test_plot_on_a_full_disk(chain, full_disk) -> None:
    result = goldmine("plot", "--results", chain / "results.h5", "--output", full_disk / "plots")
    assert_no_room(result, full_disk, "plots", "No space left on device")


def test_plot_into_a_read_only_folder(chain, read_only) -> None:
    result = goldmine("plot", "--results", chain / "results.h5", "--output", read_only / "plots")
    assert_refused(result, read_only / "plots", "Read-only file system")


# ---- goldmine run -------------------------------------------------------------------


def test_run_into_a_full_disk_leaves_no_half_prepared_run(full_disk) -> None:
    fill(full_disk, leave_kb=0)
    result = goldmine("run", TINY, "--workdir", full_disk / "run")
    assert_no_room(result, full_disk, "run", "No space left on device")


def test_run_into_a_read_only_folder(read_only) -> None:
    result = goldmine("run", TINY, "--workdir", read_only / "run")
    assert_refused(result, read_only / "run", "Read-only file system")


def test_run_status_of_a_folder_without_a_run(tmp_path) -> None:
    assert_refused(goldmine("run", "--status", "--workdir", tmp_path), tmp_path, "no goldmine run there")


def test_sigterm_stops_goldmine_run_like_ctrl_c_and_leaves_no_process(tmp_path) -> None:
    workdir = tmp_path / "run"
    stopped = stopped_run(workdir, signal.SIGTERM)
    assert stopped.returncode == 1 and "terminated (SIGTERM); run again to restart" in stopped.stdout, stopped.stdout
    assert_nothing_left_running(workdir)
    status = goldmine("run", "--status", "--workdir", workdir)
    assert status.returncode == 0 and f"{workdir}: interrupted" in status.stdout, status.stdout


def test_a_second_run_never_touches_a_live_run(tmp_path) -> None:
    workdir = tmp_path / "run"
    first = goldmine_run(str(TINY), "--workdir", str(workdir), "--jobs", "2")
    started(first, workdir)
    second = goldmine_run(str(TINY), "--workdir", str(workdir))
    out, _ = second.communicate(timeout=60)
    assert second.returncode != 0
    assert f"{workdir}: goldmine run (pid {first.pid}) is still running there" in out, out
    assert first.poll() is None and (workdir / "init").is_dir() and (workdir / "configure" / "setup.h5").is_file()
    status = goldmine("run", "--status", "--workdir", workdir)
    assert f"{workdir}: running (goldmine run pid {first.pid})" in status.stdout, status.stdout
    first.send_signal(signal.SIGTERM)
    first.communicate(timeout=60)


def test_a_killed_run_is_reported_and_the_next_run_stops_what_it_left_running(tmp_path) -> None:
    workdir = tmp_path / "run"
    killed = goldmine_run(str(TINY), "--workdir", str(workdir), "--jobs", "2")
    started(killed, workdir)
    killed.kill()
    killed.communicate(timeout=60)
    assert processes_mentioning(str(workdir)), "yadage runs on after its goldmine run is killed"
    status = goldmine("run", "--status", "--workdir", workdir)
    assert status.returncode == 0, status.stderr
    assert f"killed: goldmine run (pid {killed.pid}) is gone, but" in status.stdout, status.stdout
    leftovers = [int(pid) for pid in status.stdout.split("pids ")[1].split(";")[0].split()]
    assert leftovers and all(Path(f"/proc/{pid}").exists() for pid in leftovers)

    following = goldmine_run(str(TINY), "--workdir", str(workdir), "--jobs", "2")
    said = []
    while not said or "goldmine run: local backend" not in said[-1]:  # the work directory is its own now
        said.append(following.stdout.readline())
        assert said[-1], "".join(said)
    started(following, workdir)
    following.send_signal(signal.SIGTERM)
    out = "".join(said) + following.communicate(timeout=60)[0]
    assert f"the previous goldmine run (pid {killed.pid}) was killed; stopping what it left running" in out, out
    for pid in leftovers:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split(")")[-1][:3]
    assert_nothing_left_running(workdir)


def test_nothing_is_lost_or_half_prepared_by_a_refused_run(tmp_path) -> None:
    """A config inside the work directory (which a run clears) is refused before anything
    is removed; a card outside the config's folder is refused before the directory exists."""
    workdir = tmp_path / "run"
    workdir.mkdir()
    (workdir / ".goldmine-run.json").write_text('{"status": "finished"}')
    inside = workdir / "mine.yml"
    inside.write_text(TINY.read_text())
    assert_refused(goldmine("run", inside, "--workdir", workdir), f"{inside} lies inside the work directory")
    assert inside.read_text() == TINY.read_text()

    (tmp_path / "card.yml").write_text("jet: {radius: 0.5}\n")
    config = tiny_with_detector_card(tmp_path / "analysis", "../card.yml")
    fresh = tmp_path / "fresh"
    assert_refused(goldmine("run", config, "--workdir", fresh), "outside the config's folder")
    assert not fresh.exists(), "a refused run leaves no half-prepared work directory"
