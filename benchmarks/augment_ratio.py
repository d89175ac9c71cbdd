"""augment vs madminer 0.9.6 ``SampleAugmenter.sample_train_ratio``, same file, same run.

Both draw ``--samples`` rows for a ratio method: θ0 at ``--thetas`` random points (flat
over [-20, 20]²), θ1 = sm, from the train partition (80 % of the events, no validation
partition), without restricting events to the closest benchmark. Each tool runs in
its own process; wall time (including start-up) and peak RSS come from wait4.

    .venv/bin/python benchmarks/augment_ratio.py --events 100000 --samples 1000000 \\
        --thetas 1000 --madminer-python .venv-madminer/bin/python
    .venv/bin/python benchmarks/augment_ratio.py --events 10000000 --samples 1000000 --thetas 1000

Not run by CI. Figures go to benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_events import EXAMPLE, write_synthetic_events

MADMINER = """
import sys, logging
import numpy as np
logging.disable(logging.CRITICAL)
from madminer.sampling import SampleAugmenter, random_morphing_points, benchmark
path, n_samples, n_thetas, folder = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
np.random.seed(1)
SampleAugmenter(path).sample_train_ratio(
    theta0=random_morphing_points(n_thetas, [("flat", -20.0, 20.0), ("flat", -20.0, 20.0)]),
    theta1=benchmark("sm"), n_samples=n_samples, folder=folder, filename="train",
    sample_only_from_closest_benchmark=False, test_split=0.2, validation_split=0.0, partition="train")
"""


def measure(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS in MB of a child process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{command[0]} failed:\n{process.stderr.read().decode()[-3000:]}")
    return elapsed, usage.ru_maxrss / 1024.0


def goldmine_config(path: Path, n_samples: int, n_thetas: int, n_observables: int) -> None:
    config = yaml.safe_load(EXAMPLE.read_text())
    config["observables"] = [{"name": f"x{i}", "expression": f"j[{i}].pt"} for i in range(n_observables)]
    config.pop("evaluation", None)  # its histograms name the example's observables
    config["augmentation"] = {
        "n_samples": n_samples, "validation_fraction": 0.0, "test_fraction": 0.2,
        "ratio": {"theta0": {"random": {"n": n_thetas}}, "theta1": {"benchmark": "sm"}},
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--thetas", type=int, default=1000)
    parser.add_argument("--observables", type=int, default=10)
    parser.add_argument("--madminer-python", help="python of the madminer 0.9.6 venv; omit to run goldmine only")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="goldmine-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    events = workdir / f"events_{args.events}.h5"
    if not events.exists():
        write_synthetic_events(events, args.events, args.observables)
    config = workdir / "config.yml"
    goldmine_config(config, args.samples, args.thetas, args.observables)
    goldmine = str(Path(sys.executable).parent / "goldmine")
    subprocess.run([goldmine, "-q", "configure", str(config), "--output", str(workdir / "setup.h5"),
                    "--plan", str(workdir / "plan.yml")], check=True)

    results = {}
    output = workdir / "goldmine_out"
    shutil.rmtree(output, ignore_errors=True)
    results["goldmine"] = measure([goldmine, "-q", "augment", "--input", str(events), "--setup",
                                   str(workdir / "setup.h5"), "--config", str(config), "--method", "alices",
                                   "--output", str(output), "--seed", "1"])
    if args.madminer_python:
        folder = workdir / "madminer_out"
        folder.mkdir(exist_ok=True)
        results["madminer"] = measure([args.madminer_python, "-c", MADMINER, str(events), str(args.samples),
                                       str(args.thetas), str(folder)])

    print(f"events {args.events}, samples {args.samples}, theta0 points {args.thetas}, "
          f"observables {args.observables}")
    print("| tool | seconds | peak RSS (MB) |\n|---|---|---|")
    for tool, (seconds, rss) in results.items():
        print(f"| {tool} | {seconds:.1f} | {rss:.0f} |")
    if "madminer" in results:
        print(f"speed-up: {results['madminer'][0] / results['goldmine'][0]:.1f}x")
    print(json.dumps({tool: {"seconds": s, "peak_rss_mb": r} for tool, (s, r) in results.items()}))


if __name__ == "__main__":
    main()
