"""Wall time of a built-in generation job with shower vs Pythia 8 alone, one run.

Pythia alone: p p → W h (W → ℓν, h → b b̄) at 13 TeV with shower and hadronisation,
``nextBatch`` for N events, nothing written. The job: ``goldmine generate`` for the same
N events (Pythia hard process, exact reweighting to 9 benchmarks, LHE, Pythia shower of
the LHE, HepMC3 with every weight). The issue's target: job ≤ 1.1 × Pythia alone.

    .venv/bin/python benchmarks/generate_speed.py --events 1000

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

REPO = Path(__file__).resolve().parents[1]


def pythia_alone(n_events: int) -> tuple[float, float]:
    """Seconds for Pythia's initialisation and for its N events."""
    import pythia8mc

    start = time.perf_counter()
    pythia = pythia8mc.Pythia("", False)
    for setting in ["Beams:eCM = 13000", "HiggsSM:ffbar2HW = on", "24:onMode = off", "24:onIfAny = 11 13",
                    "25:onMode = off", "25:onIfAny = 5", "Next:numberCount = 0", "Next:numberShowEvent = 0",
                    "Random:setSeed = on", "Random:seed = 1"]:
        pythia.readString(setting)
    pythia.init()
    initialised = time.perf_counter()
    done = 0
    while done < n_events:
        done += len(pythia.nextBatch(min(100, n_events - done)))
    return initialised - start, time.perf_counter() - initialised


def goldmine_job(n_events: int, folder: Path) -> tuple[float, float]:
    goldmine = [str(Path(sys.executable).parent / "goldmine")]
    config = REPO / "examples" / "wh-builtin.yml"
    subprocess.run([*goldmine, "configure", str(config), "--output", str(folder / "setup.h5"), "--plan",
                    str(folder / "plan.yml")], check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run([*goldmine, "generate", "--setup", str(folder / "setup.h5"), "--config", str(config),
                    "--benchmark", "sm", "--seed", "1", "--events", str(n_events), "--output", str(folder / "job")],
                   check=True, capture_output=True)
    wall = time.perf_counter() - start
    return wall, os.path.getsize(folder / "job" / "events.hepmc.gz") / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs of each; medians are compared")
    arguments = parser.parse_args()
    n_events = arguments.events
    alone_runs, job_runs = [], []
    for _ in range(arguments.repeat):  # alternate, so that machine noise hits both alike
        init, events = pythia_alone(n_events)
        alone_runs.append(init + events)
        with tempfile.TemporaryDirectory() as folder:
            job, size = goldmine_job(n_events, Path(folder))
        job_runs.append(job)
    alone, job = statistics.median(alone_runs), statistics.median(job_runs)
    print(f"events: {n_events}; cpu cores: {os.cpu_count()}; medians of {arguments.repeat} alternating runs")
    print(f"Pythia 8 alone (init, shower + hadronisation, no output): {alone:.1f} s  runs {_fmt(alone_runs)}")
    print(f"goldmine generate (hard process, reweighting, LHE, shower, HepMC {size:.0f} MB): {job:.1f} s  "
          f"runs {_fmt(job_runs)}")
    print(f"ratio job / Pythia alone: {job / alone:.2f}")


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{value:.1f}" for value in values)


if __name__ == "__main__":
    main()
