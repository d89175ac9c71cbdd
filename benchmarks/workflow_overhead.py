"""The workflow engine's own cost: CPU of yadage's steering process and of `goldmine run`
while the steps work, and how fast a finished step's successor is submitted.

Runs `goldmine run CONFIG --jobs 2` (local backend), samples the steering process'
own user + system time from /proc (its steps run in other processes) until it exits,
and reads every step's submit and finish times from the run's steps file. Reported: the
CPU over the whole run, its start-up part (imports, loading the workflow: until the first
step is submitted) and the share of a core while the steps work (from then on); the
reaction time of a submitted step is its submit time less the last finish before it.

    .venv/bin/python benchmarks/workflow_overhead.py [--config tests/configs/wh-tiny.yml]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")
#: How goldmine run starts yadage's steering process (now, and before goldmine.workflow.steering).
STEERING_MODULES = (b"goldmine.workflow.steering", b"yadage.steering")


def _cpu_seconds(pid: int) -> float | None:
    """Own user + system time of a process (not its children), or None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime: fields 14 and 15 of stat


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = task / "children"
        if children.is_file():
            found += [int(p) for p in children.read_text().split()]
    return found


def _steering_pid(runner: int) -> int | None:
    for child in _children(runner):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if any(name in command for name in STEERING_MODULES):
            return child
    return None


def measure(config: Path, workdir: Path) -> dict[str, float]:
    started = time.monotonic()
    runner = subprocess.Popen([str(Path(sys.executable).parent / "goldmine"), "run", str(config), "--jobs", "2",
                               "--workdir", str(workdir)], cwd=REPO, stdout=subprocess.DEVNULL)
    steering, steering_cpu, runner_cpu, samples = None, 0.0, 0.0, []
    while runner.poll() is None:
        steering = steering or _steering_pid(runner.pid)
        if steering is not None:
            steering_cpu = _cpu_seconds(steering) or steering_cpu
            samples.append((time.time(), steering_cpu))
        runner_cpu = _cpu_seconds(runner.pid) or runner_cpu
        time.sleep(0.2)
    wall = time.monotonic() - started
    if runner.returncode != 0:
        raise SystemExit(f"goldmine run failed (exit {runner.returncode}); see {workdir}")
    steps = json.loads((workdir / "_goldmine" / "steps.json").read_text())
    # while the steps work: from the first step's submission (yadage started, workflow loaded)
    first = min(s["submitted"] for s in steps if s["submitted"])
    times, cpu = np.array(samples).T
    working = times >= first
    working_cpu = cpu[working][-1] - cpu[working][0]
    working_wall = times[working][-1] - times[working][0]
    finished = np.sort([s["finished"] for s in steps if s["finished"]])
    reactions = []
    for step in steps:
        before = finished[finished <= step["submitted"]]
        if len(before):
            reactions.append(step["submitted"] - before[-1])
    return {"wall_s": wall, "steering_cpu_s": steering_cpu, "runner_cpu_s": runner_cpu,
            "steering_core_percent": 100 * steering_cpu / wall, "runner_core_percent": 100 * runner_cpu / wall,
            "steering_startup_cpu_s": float(cpu[working][0]),
            "steering_core_percent_while_steps_work": 100 * working_cpu / working_wall,
            "reaction_median_s": float(np.median(reactions)), "reaction_max_s": float(np.max(reactions)),
            "steps": len(steps)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO / "tests" / "configs" / "wh-tiny.yml")
    parser.add_argument("--repeat", type=int, default=1)
    arguments = parser.parse_args()
    for _ in range(arguments.repeat):
        with tempfile.TemporaryDirectory(prefix="goldmine-overhead-") as scratch:
            figures = measure(arguments.config.resolve(), Path(scratch) / "run")
        print(json.dumps({k: round(v, 3) for k, v in figures.items()}))


if __name__ == "__main__":
    main()
