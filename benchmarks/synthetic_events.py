"""A synthetic combined event file for benchmarks, in the layout both tools read.

The setup is that of examples/wh-builtin.yml (CWL2, CPWL2 in [-20, 20], quadratic
morphing, 9 benchmarks); each event has a positive squared amplitude
(1 + CWL2 z1/20 + CPWL2 z2/20)² + 0.05 and ``n_observables`` gaussian observables.
Written chunk by chunk, so any size fits in memory.

    .venv/bin/python benchmarks/synthetic_events.py --events 10000000 --output big.h5
"""

from __future__ import annotations

import argparse
from pathlib import Path

import h5py
import numpy as np

from goldmine.config.loader import load_config
from goldmine.config.setup_builder import build_setup
from goldmine.io.samples import SampleWriter, write_sample_summary
from goldmine.io.setup_file import write_setup_sections
from goldmine.setup import Observable

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "wh-builtin.yml"


def write_synthetic_events(path: Path, n_events: int, n_observables: int, *, seed: int = 0, chunk: int = 500_000) -> None:
    config = load_config(EXAMPLE)
    setup = build_setup(config, rng=np.random.default_rng(0))
    observables = tuple(Observable(f"x{i}", f"x{i}") for i in range(n_observables))
    setup = type(setup)(setup.parameters, setup.benchmarks, setup.morpher, setup.systematics, observables)
    thetas = setup.benchmark_values / 20.0
    rng = np.random.default_rng(seed)
    with h5py.File(path, "w") as file:
        write_setup_sections(file, setup)
        writer = SampleWriter(file, n_observables, len(thetas))
        for start in range(0, n_events, chunk):
            n = min(chunk, n_events - start)
            z = rng.uniform(-1.0, 1.0, size=(n, 2))
            weights = ((1.0 + z @ thetas.T) ** 2 + 0.05) * 0.1 / n_events
            observations = np.column_stack([z, rng.normal(size=(n, n_observables - 2))])
            writer.append(observations, weights, np.zeros(n, dtype=int))
        write_sample_summary(file, np.eye(len(thetas), dtype=int)[0] * n_events, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--observables", type=int, default=10)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    write_synthetic_events(args.output, args.events, args.observables)


if __name__ == "__main__":
    main()
