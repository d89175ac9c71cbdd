"""``goldmine run``: the yadage workflow of a checkout, run locally or in containers.

The recipe: prepare the run directory (a previous goldmine run there is removed, so old
and new outputs never mix; the config and the files it names are copied into
``init/``, the folder yadage hands to the first steps and containers mount); start
``yadage-run`` on ``workflows/goldmine.yml`` with one of three executors; show per-stage
progress from the step records (:mod:`goldmine.workflow.progress`); when yadage stops,
print the failed step's log tail, or check that every stage ran as many steps as the
plan asks for and that every output they published exists (yadage reports success even
when a scatter produced nothing).

Backends: ``local`` runs each step's command in this environment through the packtivity
executor of :mod:`goldmine.workflow.local_executor`; ``docker`` runs the stage images;
``podman`` the same through a ``docker`` shim that execs podman. The same step specs
serve all three.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from goldmine.config.loader import load_config
from goldmine.errors import GoldmineError
from goldmine.io.atomic import write_errors_named
from goldmine.workflow import progress
from goldmine.workflow.status import MARKER, META, RunStatus, group_members, read_status

__all__ = ["BACKENDS", "LOCAL_EXECUTOR", "RunRequest", "RunResult", "WorkflowError", "default_toplevel",
           "expected_steps", "missing_outputs", "run"]

BACKENDS = ("local", "podman", "docker")
WORKFLOW = Path("workflows") / "goldmine.yml"
LOG_TAIL_LINES = 40
#: Seconds between yadage's looks at its graph. Its default, 0.02 s, cost the steering
#: process most of a core while the steps worked (benchmarks/workflow_overhead.py); a
#: finished step's successors now start within this interval.
UPDATE_INTERVAL = 0.5
#: packtivity's name for the executor of :mod:`goldmine.workflow.local_executor`
LOCAL_EXECUTOR = "goldmine-local"


class WorkflowError(GoldmineError):
    """The workflow failed, was interrupted, or left outputs missing (exit code 1)."""

    exit_code = 1


@dataclass(frozen=True)
class RunRequest:
    """One ``goldmine run``: paths absolute; ``events`` 0 keeps the config's events per job."""

    config: Path
    workdir: Path
    toplevel: Path
    backend: str = "local"
    jobs: int = 1
    events: int = 0
    device: str = "auto"


@dataclass(frozen=True)
class RunResult:
    """Where a finished run left its results, and its per-stage step counts."""

    workdir: Path
    plots: Path
    summary: Path
    results: Path
    seconds: float
    steps: dict[str, int]


def default_toplevel() -> Path:
    """The checkout this package runs from (it holds ``workflows/`` and ``specs/``), else
    the current directory."""
    checkout = Path(__file__).resolve().parents[3]
    return checkout if (checkout / WORKFLOW).is_file() else Path.cwd()


def run(request: RunRequest, report: Callable[[str], None] = print) -> RunResult:
    """Run the whole workflow for ``request``; raise :class:`WorkflowError` unless every
    stage finished with all its outputs."""
    if request.backend not in BACKENDS:
        raise GoldmineError(f"unknown backend {request.backend!r}; choose one of {', '.join(BACKENDS)}")
    if not (request.toplevel / WORKFLOW).is_file():
        raise GoldmineError(f"{request.toplevel / WORKFLOW}: no workflow there; give the checkout with --toplevel")
    analysis = load_config(request.config)  # fails early, naming the key, before anything is written
    analysis.generated("goldmine run (the workflow generates the events; brought events go through the stages "
                       "from observables on, docs/tutorial/08-bring-your-own-events.ipynb)")
    if request.backend != "local":
        _check_images(request.backend, request.toplevel)
    config_in_init = _prepare_workdir(request, analysis.input_files, report)
    meta = request.workdir / META
    steps_file = meta / "steps.json"
    command = _yadage_command(request, config_in_init)
    environment = _environment(request, meta, steps_file)
    _write_marker(request, "running", pid=os.getpid())
    report(f"goldmine run: {request.backend} backend, {request.jobs} job(s) at a time, work directory {request.workdir}")

    started = time.monotonic()
    with open(meta / "yadage.log", "w") as yadage_log:
        process = subprocess.Popen(command, cwd=request.workdir, env=environment, stdout=yadage_log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        _write_marker(request, "running", pid=os.getpid(), yadage_pid=process.pid)
        try:
            with _sigterm_as(_Terminated):
                code = _follow(process, steps_file, started, report)
        except (KeyboardInterrupt, _Terminated) as stop:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait()
            what = "terminated (SIGTERM)" if isinstance(stop, _Terminated) else "interrupted"
            _write_marker(request, "interrupted")
            raise WorkflowError(f"{what}; run again to restart {request.workdir} from scratch") from None
    seconds = time.monotonic() - started
    steps = progress.read_steps(steps_file)

    failed = [step for step in steps if step.state == "FAILED"]
    if failed or code != 0:
        _write_marker(request, "failed")
        raise WorkflowError(_failure_message(failed, code, meta / "yadage.log"))
    problems = missing_outputs(steps, expected_steps(request.workdir / "configure" / "plan.yml"))
    if problems:
        _write_marker(request, "incomplete")
        raise WorkflowError("yadage finished, but the run is incomplete:\n  " + "\n  ".join(problems))
    _write_marker(request, "finished", seconds=seconds)
    plot = next(step for step in steps if step.stage == "plot")
    evaluate = next(step for step in steps if step.stage == "evaluate")
    return RunResult(request.workdir, Path(plot.outputs["plots"]), Path(plot.outputs["summary"]),
                     Path(evaluate.outputs["results"]), seconds,
                     {stage: sum(c.values()) for stage, c in progress.stage_counts(steps).items()})


def expected_steps(plan_path: Path) -> dict[str, int]:
    """How many steps each stage must run, from the plan ``configure`` wrote."""
    try:
        plan = yaml.safe_load(plan_path.read_text())
    except FileNotFoundError:
        raise WorkflowError(f"{plan_path}: missing; the configure step did not run") from None
    n_jobs, n_methods, n_members = plan["n_jobs"], len(plan["methods"]), len(plan["ensemble_members"])
    return {"configure": 1, "generate": n_jobs, "delphes": n_jobs, "observables": n_jobs, "combine": 1,
            "augment": n_methods, "train": n_methods * n_members, "evaluate": 1, "plot": 1}


def missing_outputs(steps: Sequence[progress.Step], expected: dict[str, int]) -> list[str]:
    """What is wrong with a finished run: stages whose successful steps are fewer (or
    more) than ``expected``, and published paths that do not exist."""
    problems = []
    counts = {stage: per_state.get("SUCCESS", 0) for stage, per_state in progress.stage_counts(steps).items()}
    for stage, wanted in expected.items():
        if counts.get(stage, 0) != wanted:
            problems.append(f"{stage}: {counts.get(stage, 0)} step(s) succeeded, the plan asks for {wanted}")
    for step in steps:
        outputs = step.outputs
        if _unshowered(outputs):  # a generate job without shower writes no HepMC (generation.*.shower: false)
            outputs = {key: value for key, value in outputs.items() if key != "hepmc"}
        for path in _output_paths(outputs):
            if not Path(path).exists():
                problems.append(f"{step.name}: published {path}, which does not exist")
    return problems


def _unshowered(outputs: Any) -> bool:
    """Whether these are a generate step's outputs whose summary says it showered nothing."""
    if not isinstance(outputs, dict) or "hepmc" not in outputs or not isinstance(outputs.get("summary"), str):
        return False
    try:
        return json.loads(Path(outputs["summary"]).read_text()).get("showered_events", 0) is None
    except (OSError, json.JSONDecodeError):
        return False  # no readable summary: the HepMC must be there


def _output_paths(outputs: Any) -> list[str]:
    """Every published value that is an absolute path (plan lists and numbers are not)."""
    if isinstance(outputs, dict):
        return [p for value in outputs.values() for p in _output_paths(value)]
    if isinstance(outputs, list):
        return [p for value in outputs for p in _output_paths(value)]
    return [outputs] if isinstance(outputs, str) and outputs.startswith("/") else []


def _prepare_workdir(request: RunRequest, input_files: Sequence[Path], report: Callable[[str], None]) -> Path:
    """An empty run directory with ``init/`` holding the config and the files it names
    (at the same paths relative to the config); returns the config's path there.

    Everything that could refuse the run is checked before the directory is touched: the
    files the config names lie in its folder and outside the run directory (which is
    cleared), and no live ``goldmine run`` uses the directory; the leftovers of a killed
    one (its yadage process group) are stopped."""
    workdir = request.workdir
    config_folder = request.config.parent.resolve()
    copies = []
    for source in [request.config, *input_files]:
        try:
            relative = source.resolve().relative_to(config_folder)
        except ValueError:
            raise GoldmineError(f"{request.config}: names {source}, outside the config's folder; the workflow "
                                "copies only the config's folder tree into its init directory") from None
        if source.resolve().is_relative_to(workdir.resolve()):
            raise GoldmineError(f"{source} lies inside the work directory {workdir}, which goldmine run clears; "
                                "keep the config and its cards elsewhere")
        copies.append((source, relative))
    if workdir.exists() and any(workdir.iterdir()):
        if not (workdir / MARKER).is_file():
            raise GoldmineError(f"{workdir}: exists and is not a goldmine run directory; choose another --workdir")
        previous = read_status(workdir)
        if previous.alive:
            raise GoldmineError(f"{workdir}: goldmine run (pid {previous.alive}) is still running there; wait for it, "
                                f"stop it (kill {previous.alive}) or choose another --workdir")
        if previous.leftovers:
            _stop_leftovers(previous, report)
        report(f"{workdir}: removing the previous run ({previous.status}) to restart cleanly")
        shutil.rmtree(workdir)
    init = workdir / "init"
    try:
        with write_errors_named(workdir):  # a full disk or a read-only folder: one line, no half-made run
            (workdir / META).mkdir(parents=True)
            init.mkdir()
            for source, relative in copies:
                (init / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, init / relative)
            _write_marker(request, "prepared")
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return init / request.config.resolve().relative_to(config_folder)


def _stop_leftovers(previous: RunStatus, report: Callable[[str], None]) -> None:
    """Stop the yadage process group (and its steps) of a killed goldmine run."""
    group = int(previous.marker["yadage_pid"])
    report(f"{previous.workdir}: the previous goldmine run (pid {previous.marker.get('pid')}) was killed; stopping "
           f"what it left running (yadage's process group {group}: {len(previous.leftovers)} processes)")
    os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while group_members(group) and time.monotonic() < deadline:
        time.sleep(0.1)
    if group_members(group):
        os.killpg(group, signal.SIGKILL)


def _check_images(engine: str, toplevel: Path) -> None:
    """Every step spec's image must be there before the run starts (none is pulled)."""
    if shutil.which(engine) is None:
        raise GoldmineError(f"--backend {engine}: no `{engine}` command on PATH")
    missing = []
    for spec in sorted((toplevel / "specs" / "steps").glob("*.yml")):
        environment = yaml.safe_load(spec.read_text())["environment"]
        image = f"{environment['image']}:{environment['imagetag']}"
        if subprocess.run([engine, "image", "inspect", image], capture_output=True).returncode != 0:
            missing.append(image)
    if missing:
        raise GoldmineError(f"{engine} has no image {', '.join(missing)}; build them with "
                            f"`ENGINE={engine} bash images/build.sh`")


def _yadage_command(request: RunRequest, config: Path) -> list[str]:
    command = [sys.executable, "-W", "ignore", "-m", "goldmine.workflow.steering",
               "-t", str(request.toplevel), "-b", f"multiproc:{request.jobs}", "-u", str(UPDATE_INTERVAL),
               "-p", f"config={json.dumps(str(config))}", "-p", f"events={request.events}",
               "-p", f"device={request.device}", "--no-visualize"]
    if request.backend == "local":
        command += ["--plugins", "goldmine.workflow.local_executor"]
    return [*command, str(request.workdir), str(WORKFLOW)]


def _environment(request: RunRequest, meta: Path, steps_file: Path) -> dict[str, str]:
    environment = dict(os.environ)
    environment[progress.ENVIRONMENT_VARIABLE] = str(steps_file)
    environment["YADAGE_CUSTOM_TRACKER"] = "goldmine.workflow.progress:StepRecorder"
    environment["PYTHONWARNINGS"] = "ignore"
    # yadage re-derives every step's expected outputs on every look at its graph
    # ("prepublishing"), which cost its steering process most of a core while the steps
    # worked; the real outputs extend the graph as well, as soon as a step finishes.
    environment["YADAGE_IGNORE_PREPUBLISHING"] = "1"
    # the steps' own commands: this interpreter's goldmine first on PATH
    environment["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), environment.get("PATH", "")])
    environment.update(step_threads(request.jobs, environment))
    if request.backend == "local":
        # packtivity's handler selection: docker-encapsulated steps go to the local executor
        sync_config = meta / "packtivity-local.yml"
        sync_config.write_text(yaml.safe_dump({"executor": {"docker-encapsulated": LOCAL_EXECUTOR}}))
        environment["PACKTIVITY_SYNCCONFIGFILE"] = str(sync_config)
    else:
        environment["PACKTIVITY_DOCKER_NOPULL"] = "1"  # the images are built locally (images/build.sh)
    if request.backend == "podman":
        shim = meta / "bin" / "docker"
        shim.parent.mkdir()
        shim.write_text('#!/bin/sh\nexec podman "$@"\n')
        shim.chmod(0o755)
        environment["PATH"] = os.pathsep.join([str(shim.parent), environment["PATH"]])
    return environment


def step_threads(jobs: int, environment: Mapping[str, str]) -> dict[str, str]:
    """Intra-op threads per step (OpenMP, MKL, OpenBLAS): this machine's cores shared out
    among ``jobs`` concurrent steps, unless the caller set ``OMP_NUM_THREADS``. Left to
    themselves, two trainings on two cores each run two threads that wait on one another
    at every small matrix product: 10-100× slower than one thread each."""
    if "OMP_NUM_THREADS" in environment:
        return {}
    threads = str(max(1, len(os.sched_getaffinity(0)) // max(jobs, 1)))
    return {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads}


class _Terminated(Exception):
    """SIGTERM arrived: stop the workflow as Ctrl-C does."""


@contextlib.contextmanager
def _sigterm_as(exception: type[BaseException]) -> Iterator[None]:
    """Raise ``exception`` in the main thread on SIGTERM (a batch system's or a user's
    ``kill``), so that the run stops its steps and says so instead of vanishing."""
    def handler(signal_number: int, frame: Any) -> None:
        raise exception

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _follow(process: subprocess.Popen, steps_file: Path, started: float, report: Callable[[str], None]) -> int:
    """Report each change of the per-stage step counts until yadage exits; its exit code."""
    shown: dict[str, str] = {}
    while True:
        code = process.poll()
        for stage, per_state in progress.stage_counts(progress.read_steps(steps_file)).items():
            line = _progress_line(per_state)
            if shown.get(stage) != line:
                shown[stage] = line
                minutes, seconds = divmod(int(time.monotonic() - started), 60)
                report(f"[{minutes:02d}:{seconds:02d}] {stage:<12} {line}")
        if code is not None:
            return code
        time.sleep(0.5)


def _progress_line(per_state: dict[str, int]) -> str:
    total = sum(per_state.values())
    parts = [f"{per_state.get('SUCCESS', 0)}/{total} done"]
    parts += [f"{per_state[state]} {label}" for state, label in (("RUNNING", "submitted"), ("FAILED", "failed"))
              if per_state.get(state)]
    return ", ".join(parts)


def _failure_message(failed: Sequence[progress.Step], code: int, yadage_log: Path) -> str:
    if not failed:
        tail = _tail(yadage_log)
        return f"yadage exited with code {code} before any step failed; {yadage_log} ends:\n{tail}"
    parts = []
    for step in failed:
        log = Path(step.workdir or "") / "_packtivity" / f"{step.name}.run.log"
        parts.append(f"step {step.name} failed; {log} ends:\n{_tail(log)}")
    return "\n".join(parts)


def _tail(path: Path) -> str:
    """The last lines of a log, without packtivity's time/logger/level columns."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "    (no log written)"
    messages = [line.split(" | ", 3)[-1] for line in lines[-LOG_TAIL_LINES:]]
    return "\n".join(f"    {message}" for message in messages)


def _write_marker(request: RunRequest, status: str, **extra: Any) -> None:
    record = {**{k: str(v) for k, v in asdict(request).items()}, "status": status, **extra}
    temporary = request.workdir / f".{MARKER}.partial"
    with write_errors_named(request.workdir / MARKER):
        temporary.write_text(json.dumps(record, indent=1))
        os.replace(temporary, request.workdir / MARKER)
