"""Events per second of goldmine's LHE reader vs madminer 0.9.6's LHE parsing, one run.

Both read the real MadGraph fixture ``events_sm.lhe.gz`` (3000 events, 8 ``<rwgt>``
weights each). madminer (its own venv, ``GOLDMINE_MADMINER_PYTHON``) runs
``madminer.utils.interfaces.lhe.parse_lhe_file`` with no observables, its weight parsing
alone, on a copy of the file (it unzips beside the file). goldmine streams the same
events repeated ``--copies`` times in one gzipped file (its per-file start-up would
dominate 3000 events) into weights and particle arrays.

    GOLDMINE_MADMINER_PYTHON=.venv-madminer/bin/python \
        .venv/bin/python benchmarks/lhe_speed.py --copies 30

Not run by CI. Figures go to benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from goldmine.io.lhe_events import iter_lhe_events

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO.parent / "shared" / "fixtures" / "mg5-wh-ewdim6" / "events_sm.lhe.gz"
BENCHMARKS = ["sm", "w_pos", "w_neg", "pw_pos", "pw_neg", "mixed", "val_1", "val_2", "val_3"]

MADMINER = """
import json, shutil, sys, tempfile, time
from collections import OrderedDict
from madminer.utils.interfaces.lhe import parse_lhe_file
folder = tempfile.mkdtemp()
copy = shutil.copy(sys.argv[1], folder)
start = time.perf_counter()
observations, weights = parse_lhe_file(copy, "sm", OrderedDict(), benchmark_names=json.loads(sys.argv[2]), systematics_dict={})[:2]
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "events": len(next(iter(weights.values())))}))
"""


def repeated_file(copies: int, folder: Path) -> Path:
    with gzip.open(FIXTURE, "rt") as stream:
        text = stream.read()
    start, end = text.index("<event>"), text.rindex("</event>") + len("</event>\n")
    path = folder / f"events_x{copies}.lhe.gz"
    with gzip.open(path, "wt", compresslevel=6) as stream:
        stream.write(text[:start] + text[start:end] * copies + text[end:])
    return path


def goldmine_rate(path: Path) -> tuple[float, int]:
    """Steady-state rate: awkward (imported once by any goldmine process) is imported first."""
    import awkward  # noqa: F401

    start = time.perf_counter()
    n_events = 0
    for _, chunk in iter_lhe_events(path):
        n_events += len(chunk)
    return time.perf_counter() - start, n_events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=30)
    copies = parser.parse_args().copies
    python = os.environ["GOLDMINE_MADMINER_PYTHON"]
    theirs = json.loads(subprocess.run([python, "-c", MADMINER, str(FIXTURE), json.dumps(BENCHMARKS)], check=True,
                                       capture_output=True, text=True).stdout.strip().splitlines()[-1])
    with tempfile.TemporaryDirectory() as folder:
        seconds, n_events = goldmine_rate(repeated_file(copies, Path(folder)))
    ours_rate, theirs_rate = n_events / seconds, theirs["events"] / theirs["seconds"]
    print(f"madminer 0.9.6 parse_lhe_file (weights only): {theirs['events']} events in {theirs['seconds']:.2f} s "
          f"= {theirs_rate:,.0f} events/s")
    print(f"goldmine iter_lhe_events (weights + particles): {n_events} events in {seconds:.2f} s "
          f"= {ours_rate:,.0f} events/s")
    print(f"ratio: {ours_rate / theirs_rate:,.0f}x")


if __name__ == "__main__":
    main()
