"""train vs madminer 0.9.6 on the same arrays: time per epoch and validation loss.

Both train SALLY (x → t̂) and ALICES ((x, θ) → log r̂) with the same network (two
hidden layers of 100, tanh), batch size 128, AMSGrad with the learning rate decaying
from 1e-3 to 1e-4, validated on a quarter of the rows: for SALLY the same rows (the last
quarter, given to madminer explicitly); for ALICES madminer's own random quarter, since
madminer 0.9.6 does not rescale θ of separately given validation data. madminer runs
with its fastest setting on this machine (``n_workers=0``). Per-epoch times are the
medians over epochs 2..E (the first includes set-up); the tools run alternately
``--repeats`` times, back to back in pairs; the figures are medians over the runs and
the speed-up is the median of the pairs' ratios, since this shared machine's speed
drifts by tens of percent within minutes. Losses are each tool's best validation loss,
mean ± standard deviation over the runs (madminer initialises at random; goldmine runs
with seeds 0, 1, 2, ...); the loss definitions agree (goldmine's per-sample losses
average to MadMiner's). The arrays come from ``goldmine augment`` on a synthetic file.

    .venv/bin/python benchmarks/train_epoch.py --madminer-python .venv-madminer/bin/python

Not run by CI. Figures go to benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_events import EXAMPLE, write_synthetic_events

MADMINER = """
import sys, json, logging, numpy as np
logging.basicConfig(level=logging.INFO, format="%(asctime)s|%(message)s")
from madminer.ml import ScoreEstimator, ParameterizedRatioEstimator
method, d, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
# the same validation rows as goldmine's validation_split=0.25: the last quarter
columns = {"sally": ["x", "t_xz"], "alices": ["theta0", "x", "y", "r_xz", "t_xz0"]}[method]
arrays = {c: np.load(f"{d}/{c}_train.npy") for c in columns}
cut = len(arrays["x"]) - int(round(len(arrays["x"]) * 0.25))
train = {c: v[:cut] for c, v in arrays.items()}
val = {c: v[cut:] for c, v in arrays.items()}
common = dict(n_epochs=epochs, batch_size=128, optimizer="amsgrad", initial_lr=1e-3, final_lr=1e-4, n_workers=0,
              verbose="all")
if method == "sally":
    result = ScoreEstimator(n_hidden=(100, 100), activation="tanh").train(
        method="sally", x=train["x"], t_xz=train["t_xz"], x_val=val["x"], t_xz_val=val["t_xz"], **common)
else:
    # madminer 0.9.6 does not rescale theta_val when given separate validation data (only theta), so its
    # validation loss would be wrong: let it split off its own (random) 25 % instead.
    result = ParameterizedRatioEstimator(n_hidden=(100, 100), activation="tanh").train(
        method="alices", theta=arrays["theta0"], x=arrays["x"], y=arrays["y"], r_xz=arrays["r_xz"],
        t_xz=arrays["t_xz0"], alpha=1.0, validation_split=0.25, **common)
print("RESULT " + json.dumps([float(v) for v in np.ravel(result[1])]))
"""

GOLDMINE = """
import sys, json, torch
from pathlib import Path
from goldmine.inference.fit import fit
from goldmine.inference.estimators import EstimatorSettings
from goldmine.inference.training import TrainSettings
method, d, epochs, seed = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
settings = TrainSettings(epochs=epochs, batch_size=128, learning_rate=1e-3, final_learning_rate=1e-4,
                         optimizer="amsgrad", validation_split=0.25)
fitted = fit(method, d, EstimatorSettings(10, 2, (100, 100), "tanh"), settings, seed=seed, device=torch.device("cpu"))
print("RESULT " + json.dumps({"seconds": [h["seconds"] for h in fitted.result.history],
                              "validation": [h["validation_loss"] for h in fitted.result.history]}))
"""


def madminer_epochs(log: str) -> list[float]:
    """Seconds between madminer's "Epoch N" log lines (the first from the start line)."""
    stamps = [datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f")
              for m in re.finditer(r"^(\S+ \S+)\|\s+(?:Epochs:|Epoch\s+\d+:)", log, re.MULTILINE)]
    return [(b - a).total_seconds() for a, b in zip(stamps, stamps[1:])]


def run(command: list[str]) -> tuple[str, str]:
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    result = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")][-1]
    return result.removeprefix("RESULT "), completed.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--madminer-python", required=True)
    parser.add_argument("--rows", type=int, default=100_000, help="rows per method (75 %% train, 25 %% validation)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--methods", nargs="+", default=["sally", "alices"], choices=["sally", "alices"])
    parser.add_argument("--repeats", type=int, default=5, help="paired runs per tool (medians are reported)")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="goldmine-train-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    goldmine = str(Path(sys.executable).parent / "goldmine")
    events = workdir / "events.h5"
    if not events.exists():
        write_synthetic_events(events, 200_000, 10)
    config = yaml.safe_load(EXAMPLE.read_text())
    config["observables"] = [{"name": f"x{i}", "expression": f"j[{i}].pt"} for i in range(10)]
    config.pop("evaluation", None)  # its histograms name the example's observables
    config["augmentation"] = {"n_samples": args.rows, "validation_fraction": 0.0, "test_fraction": 0.2,
                              "ratio": {"theta0": {"random": {"n": 1000}}, "theta1": {"benchmark": "sm"}}}
    (workdir / "config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    subprocess.run([goldmine, "-q", "configure", str(workdir / "config.yml"), "--output", str(workdir / "setup.h5"),
                    "--plan", str(workdir / "plan.yml")], check=True)
    rows = []
    for method in args.methods:
        data = workdir / method
        if not data.exists():
            subprocess.run([goldmine, "-q", "augment", "--input", str(events), "--setup", str(workdir / "setup.h5"),
                            "--config", str(workdir / "config.yml"), "--method", method, "--output", str(data)],
                           check=True)
        mm_times, gm_times, mm_losses, gm_losses = [], [], [], []
        for repeat in range(args.repeats):
            mm_result, mm_log = run([args.madminer_python, "-c", MADMINER, method, str(data), str(args.epochs)])
            gm_result, _ = run([sys.executable, "-c", GOLDMINE, method, str(data), str(args.epochs), str(repeat)])
            mm_times.append(float(np.median(madminer_epochs(mm_log)[1:])))
            gm = json.loads(gm_result)
            gm_times.append(float(np.median(gm["seconds"][1:])))
            mm_losses.append(min(json.loads(mm_result)))
            gm_losses.append(min(gm["validation"]))
            print(f"{method}: madminer {mm_times[-1]:.2f} s/epoch, goldmine {gm_times[-1]:.2f} s/epoch", flush=True)
        mm_seconds, gm_seconds = float(np.median(mm_times)), float(np.median(gm_times))
        speedup = float(np.median(np.array(mm_times) / np.array(gm_times)))
        def spread(values: list[float]) -> str:
            return f"{np.mean(values):.4g} ± {np.std(values, ddof=1):.2g}"

        rows.append(f"| {method} | {mm_seconds:.2f} | {gm_seconds:.2f} | {speedup:.1f}x | "
                    f"{spread(mm_losses)} | {spread(gm_losses)} |")
        print(rows[-1], flush=True)
    n_train = int(args.rows * 0.75)
    print(f"\n{n_train} training rows, batch 128, 100x100 tanh, {args.epochs} epochs, medians of {args.repeats} pairs")
    print("| method | madminer s/epoch | goldmine s/epoch | speed-up | madminer best val. loss | goldmine best val. loss |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
