"""Cost of the built-in generator's systematics weights beside the hard process they vary.

Pythia 8 makes N hard processes of p p → W h at 13 TeV as a built-in job does (its hook
records each one; no shower), then ``goldmine.generate.variations.variation_ratios``
computes each event's weight ratio for two μ variations (μ_R and μ_F × 2 and × ½) and
for one PDF set (NNPDF3.1 LO): per-event calls into Pythia's PDF and coupling objects,
with the checks of the central values. Three repetitions, medians.

    .venv/bin/python benchmarks/variation_weights.py --events 20000

Not run by CI. Figures go to benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import time

from goldmine.generate.builtin import WH_COUPLING_ORDERS, pythia_settings, run_pythia
from goldmine.generate.variations import variation_ratios
from goldmine.systematics import Variation

CASES = {"two mu variations": (Variation(2.0, 2.0), Variation(0.5, 0.5)),
         "one PDF set": (Variation(pdf_set="NNPDF31_lo_as_0130"),)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    times: dict[str, list[float]] = {"hard process": [], **{name: [] for name in CASES}}
    for seed in range(1, arguments.repeats + 1):
        start = time.perf_counter()
        _, info, pythia = run_pythia(pythia_settings(6500.0, "both", shower=False), arguments.events, seed=seed,
                                     shat_bias=0.0, hepmc=None, undecayed=(25,), process_name="W h")
        times["hard process"].append(time.perf_counter() - start)
        for name, variations in CASES.items():
            start = time.perf_counter()
            variation_ratios(pythia, info, variations, WH_COUPLING_ORDERS)
            times[name].append(time.perf_counter() - start)
    for name, seconds in times.items():
        per_event = statistics.median(seconds) / arguments.events * 1e6
        print(f"{name:>20}: {per_event:7.1f} µs per event (median of {arguments.repeats})")


if __name__ == "__main__":
    main()
