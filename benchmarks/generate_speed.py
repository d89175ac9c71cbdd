"""Wall time of a built-in generation job with shower vs Pythia 8 alone, one run.

Pythia alone: a Python program that imports pythia8mc and generates p p → W h (W → ℓν,
h → b b̄) at 13 TeV with shower and hadronisation, ``nextBatch`` for N events, nothing
written; and the same program writing HepMC through goldmine's writer process. Each is
timed as a whole process, as the job is. The job: ``goldmine generate`` for the same
N events at the default example's ``--benchmark`` (one Pythia run whose hook records each
hard process, and away from the SM samples there: σ multiplied by the decay-averaged ratio
and the W decay redrawn; exact reweighting to every benchmark, LHE, HepMC3 with every
weight). Pythia alone generates the SM with the example's pTHatMin. The target: job ≤ 1.1 ×
Pythia alone at the SM.

    .venv/bin/python benchmarks/generate_speed.py --events 1000 --benchmark sm

Not run by CI. Figures go to benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "wh-builtin.yml"
PT_HAT_MIN = yaml.safe_load(EXAMPLE.read_text())["generation"]["builtin"].get("pt_hat_min", 0.0)
PROCESS = ["Beams:eCM = 13000", "HiggsSM:ffbar2HW = on", "24:onMode = off", "24:onIfAny = 11 13", "25:onMode = off",
           "25:onIfAny = 5", f"PhaseSpace:pTHatMin = {PT_HAT_MIN}", "Next:numberCount = 0", "Next:numberShowEvent = 0"]


PYTHIA_ALONE = """
import sys, pythia8mc
pythia = pythia8mc.Pythia("", False)
for setting in {settings!r}:
    pythia.readString(setting)
pythia.init()
done = 0
while done < {n_events}:
    done += len(pythia.nextBatch(min(100, {n_events} - done)))
"""

PYTHIA_WITH_HEPMC = """
from pathlib import Path
import numpy as np, pythia8mc
from goldmine.generate.hepmc_process import HepMCWriterProcess
from goldmine.generate.pythia import batch_size, event_columns
pythia = pythia8mc.Pythia("", False)
for setting in {settings!r}:
    pythia.readString(setting)
pythia.init()
with HepMCWriterProcess(Path({path!r}), ("Weight",)) as writer:
    done, weights = 0, []
    while done < {n_events}:
        columns, batch_weights = event_columns(pythia.nextBatch(batch_size({n_events} - done)))
        writer.put(columns)
        weights.append(batch_weights)
        done += len(batch_weights)
    writer.finish(np.concatenate(weights))
"""


def _timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def pythia_alone(n_events: int) -> float:
    """A whole Python program: import pythia8mc, init, N events with shower, no output."""
    settings = [*PROCESS, "Random:setSeed = on", "Random:seed = 1"]
    return _timed([sys.executable, "-c", PYTHIA_ALONE.format(settings=settings, n_events=n_events)])


def pythia_with_hepmc(n_events: int, folder: Path) -> float:
    """The same program writing its events as the job does (goldmine's HepMC writer process)."""
    settings = [*PROCESS, "Random:setSeed = on", "Random:seed = 1"]
    script = PYTHIA_WITH_HEPMC.format(settings=settings, n_events=n_events, path=str(folder / "direct.hepmc.gz"))
    return _timed([sys.executable, "-c", script])


def goldmine_job(n_events: int, folder: Path, benchmark: str) -> tuple[float, float]:
    goldmine = [str(Path(sys.executable).parent / "goldmine")]
    config = EXAMPLE
    subprocess.run([*goldmine, "configure", str(config), "--output", str(folder / "setup.h5"), "--plan",
                    str(folder / "plan.yml")], check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run([*goldmine, "generate", "--setup", str(folder / "setup.h5"), "--config", str(config),
                    "--benchmark", benchmark, "--seed", "1", "--events", str(n_events), "--output", str(folder / "job")],
                   check=True, capture_output=True)
    wall = time.perf_counter() - start
    return wall, os.path.getsize(folder / "job" / "events.hepmc.gz") / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs of each; medians are compared")
    parser.add_argument("--benchmark", default="sm", help="the example's benchmark the job samples at")
    arguments = parser.parse_args()
    n_events = arguments.events
    alone_runs, direct_runs, job_runs = [], [], []
    for _ in range(arguments.repeat):  # alternate, so that machine noise hits all alike
        alone_runs.append(pythia_alone(n_events))
        with tempfile.TemporaryDirectory() as folder:
            direct_runs.append(pythia_with_hepmc(n_events, Path(folder)))
            job, size = goldmine_job(n_events, Path(folder), arguments.benchmark)
        job_runs.append(job)
    alone, direct, job = (statistics.median(runs) for runs in (alone_runs, direct_runs, job_runs))
    print(f"events: {n_events}; job at {arguments.benchmark}; cpu cores: {os.cpu_count()}; medians of "
          f"{arguments.repeat} alternating runs")
    fastest = [min(runs) for runs in (alone_runs, direct_runs, job_runs)]
    print(f"fastest runs (noise on a shared machine only adds time): Pythia alone {fastest[0]:.1f} s, writing HepMC "
          f"{fastest[1]:.1f} s, job {fastest[2]:.1f} s; ratios {fastest[2] / fastest[0]:.2f} and "
          f"{fastest[2] / fastest[1]:.2f}")
    print(f"Pythia 8 alone (a program: import, init, shower + hadronisation, no output): {alone:.1f} s  "
          f"runs {_fmt(alone_runs)}")
    print(f"goldmine generate (one Pythia run, reweighting, LHE, HepMC {size:.0f} MB): {job:.1f} s  "
          f"runs {_fmt(job_runs)}")
    print(f"Pythia 8 writing the same HepMC (same writer process): {direct:.1f} s  runs {_fmt(direct_runs)}")
    print(f"ratio job / Pythia alone: {job / alone:.2f}; job / Pythia writing HepMC: {job / direct:.2f}")


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{value:.1f}" for value in values)


if __name__ == "__main__":
    main()
