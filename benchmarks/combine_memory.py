"""Peak memory and time of `goldmine combine` as the input grows.

Writes ``--files`` event files of the W h setup with ``--observables`` observables and
``--benchmarks`` benchmarks (synthetic positive weights), then combines them in a child
process and reports its peak RSS from wait4. The shuffle holds one chunk or one bucket
(``--bucket-events``) at a time, so peak RSS should not grow with the number of events.

    .venv/bin/python benchmarks/combine_memory.py --events 1000000 2000000 --observables 50 --benchmarks 10

Not run by CI. Figures go to benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

from goldmine.io.samples import SampleWriter, write_sample_summary
from goldmine.io.setup_file import write_setup_sections
from goldmine.setup import Benchmark, Observable, Parameter, Setup


def write_inputs(directory: Path, n_events: int, n_files: int, n_observables: int, n_benchmarks: int) -> list[Path]:
    parameters = (Parameter("c", "x", 1, 2, (-1.0, 1.0)),)
    benchmarks = tuple(Benchmark(f"b{i}", (i / n_benchmarks,)) for i in range(n_benchmarks))
    observables = tuple(Observable(f"x{i}", f"x{i}") for i in range(n_observables))
    setup = Setup(parameters, benchmarks, None, (), observables)
    rng = np.random.default_rng(0)
    paths = []
    per_file = n_events // n_files
    for index in range(n_files):
        path = directory / f"job{index}.h5"
        with h5py.File(path, "w") as file:
            write_setup_sections(file, setup)
            writer = SampleWriter(file, n_observables, n_benchmarks)
            for start in range(0, per_file, 250_000):
                n = min(250_000, per_file - start)
                writer.append(rng.normal(size=(n, n_observables)), rng.exponential(size=(n, n_benchmarks)),
                              np.zeros(n, dtype=int))
            write_sample_summary(file, np.eye(n_benchmarks, dtype=int)[0] * per_file, 0)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 2_000_000])
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--observables", type=int, default=50)
    parser.add_argument("--benchmarks", type=int, default=10)
    parser.add_argument("--bucket-events", type=int, default=500_000)
    args = parser.parse_args()
    goldmine = str(Path(sys.executable).parent / "goldmine")
    print("| events | observables | benchmarks | combine seconds | peak RSS (MB) |\n|---|---|---|---|---|")
    for n_events in args.events:
        with tempfile.TemporaryDirectory(prefix="goldmine-combine-") as scratch:
            paths = write_inputs(Path(scratch), n_events, args.files, args.observables, args.benchmarks)
            start = time.perf_counter()
            process = subprocess.Popen([goldmine, "-q", "combine", "--output", str(Path(scratch) / "combined.h5"),
                                        "--bucket-events", str(args.bucket_events), *map(str, paths)])
            _, status, usage = os.wait4(process.pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0
            print(f"| {n_events} | {args.observables} | {args.benchmarks} | {time.perf_counter() - start:.0f} | "
                  f"{usage.ru_maxrss / 1024:.0f} |", flush=True)


if __name__ == "__main__":
    main()
