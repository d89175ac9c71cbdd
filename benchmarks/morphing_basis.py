"""Morphing-basis optimisation: goldmine vs madminer 0.9.6 ``set_morphing``, same problem.

For each problem, both tools keep the SM point fixed and complete the basis with the
same number of trials; the resulting bases are scored with the exact objective
L = E_θ[Σ_b w_b(θ)²] over θ uniform in the parameter box (lower is better), and the
wall time of the optimisation call alone is measured, each tool in its own process.

    .venv/bin/python benchmarks/morphing_basis.py --madminer-python .venv-madminer/bin/python

Not run by CI. Figures go to benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import time

import numpy as np

from goldmine.physics.basis import expected_squared_weights, optimize_basis
from goldmine.physics.morphing import find_components

PROBLEMS = [
    # name, max power per parameter, max overall power, range per parameter
    ("2 parameters, quadratic (W h: CWL2, CPWL2)", [2, 2], 2, [(-20.0, 20.0)] * 2),
    ("3 parameters, quadratic", [2, 2, 2], 2, [(-1.0, 1.0), (-2.0, 2.0), (-0.5, 0.5)]),
    ("3 parameters, quartic (production and decay)", [4, 4, 4], 4, [(-1.0, 1.0)] * 3),
]

MADMINER_SCRIPT = """
import json, sys, time, logging
import numpy as np
from madminer import MadMiner
logging.disable(logging.CRITICAL)
args = json.loads(sys.argv[1])
out = []
for seed in args["seeds"]:
    np.random.seed(seed)
    miner = MadMiner()
    for i, (power, (low, high)) in enumerate(zip(args["powers"], args["ranges"])):
        miner.add_parameter(lha_block="x", lha_id=i + 1, parameter_name=f"p{i}",
                            morphing_max_power=power, parameter_range=(low, high))
    miner.add_benchmark({f"p{i}": 0.0 for i in range(len(args["powers"]))}, "sm")
    start = time.perf_counter()
    miner.set_morphing(max_overall_power=args["overall"], include_existing_benchmarks=True,
                       n_trials=args["trials"])
    elapsed = time.perf_counter() - start
    basis = [list(b.values.values()) for b in miner.benchmarks.values()]
    out.append({"seconds": elapsed, "basis": basis})
print(json.dumps(out))
"""


def run_madminer(python: str, powers, overall, ranges, trials: int, seeds: list[int]) -> list[dict]:
    arguments = json.dumps({"powers": powers, "overall": overall, "ranges": ranges, "trials": trials, "seeds": seeds})
    completed = subprocess.run([python, "-c", MADMINER_SCRIPT, arguments], capture_output=True, text=True, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run_goldmine(powers, overall, ranges, trials: int, seeds: list[int]) -> list[dict]:
    components = find_components(powers, overall)
    fixed = np.zeros((1, len(powers)))
    out = []
    for seed in seeds:
        start = time.perf_counter()
        optimum = optimize_basis(components, np.array(ranges), fixed=fixed, n_trials=trials, rng=np.random.default_rng(seed))
        out.append({"seconds": time.perf_counter() - start, "basis": optimum.basis.tolist()})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--madminer-python", required=True, help="python of the madminer 0.9.6 venv")
    parser.add_argument("--goldmine-trials", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--madminer-trials", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--repeats", type=int, default=5, help="seeds per setting")
    parser.add_argument("--json", help="write all numbers here")
    args = parser.parse_args()

    seeds = list(range(args.repeats))
    rows, records = [], []
    for name, powers, overall, ranges in PROBLEMS:
        components = find_components(powers, overall)
        runs = [("madminer", t, run_madminer(args.madminer_python, powers, overall, ranges, t, seeds))
                for t in args.madminer_trials]
        runs += [("goldmine", t, run_goldmine(powers, overall, ranges, t, seeds)) for t in args.goldmine_trials]
        for tool, trials, results in runs:
            objectives = [expected_squared_weights(np.array(r["basis"]), components, np.array(ranges)) for r in results]
            seconds = [r["seconds"] for r in results]
            records.append({"problem": name, "tool": tool, "trials": trials, "objectives": objectives, "seconds": seconds})
            rows.append(
                f"| {name} | {len(components)} | {tool} | {trials} | {np.median(objectives):.4g} "
                f"[{np.min(objectives):.4g}, {np.max(objectives):.4g}] | {np.median(seconds):.3f} |"
            )
            print(rows[-1], flush=True)

    print(f"\nmachine: {platform.machine()}, python {platform.python_version()}, {args.repeats} seeds per row")
    print("| problem | components | tool | trials | L = E[sum w^2], median [min, max] | seconds (median) |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    if args.json:
        with open(args.json, "w") as stream:
            json.dump(records, stream, indent=1)


if __name__ == "__main__":
    main()
