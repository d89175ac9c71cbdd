"""Events per second of the observables stage vs madminer 0.9.6's DelphesReader, one run.

Both read the real Delphes fixture (60 events, CMS card) with the same five observable
definitions. madminer (its numpy<2 venv) analyses the file as it is; goldmine, whose
per-file overhead would dominate 60 events, reads the same events repeated
``--copies`` times in one Delphes-layout file, with weights from ``Weight.Weight``.

    GOLDMINE_MADMINER_DELPHES_PYTHON=.venv-madminer-np1/bin/python \
        .venv/bin/python benchmarks/observables_speed.py --copies 1000

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

import awkward as ak
import uproot

from goldmine.io.provenance import Provenance
from goldmine.io.setup_file import read_setup
from goldmine.observables.run import extract_observables
from goldmine.observables.selection import Selection
from goldmine.setup import Observable

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "mg5-wh-ewdim6"
DEFINITIONS = [("pt_l", "l[0].pt", True), ("eta_l", "l[0].eta", True), ("mt_w", "(l[0] + met).mt", True),
               ("n_jets", "len(j)", False), ("dphi_lj", "l[0].deltaphi(j[0])", True)]
BENCHMARKS = ["sm", "w_pos", "w_neg", "pw_pos", "pw_neg", "mixed", "val_1", "val_2", "val_3"]

MADMINER = """
import json, sys, time
from madminer.delphes import DelphesReader
args = json.loads(sys.argv[1])
reader = DelphesReader(args["setup"])
reader.add_sample(hepmc_filename=args["hepmc"], sampled_from_benchmark="sm", weights="lhe",
                  lhe_filename=args["lhe"], delphes_filename=args["delphes"])
for name, expression, required in args["definitions"]:
    reader.add_observable(name, expression, required=required)
start = time.perf_counter()
reader.analyse_delphes_samples(delete_delphes_files=False)
print(json.dumps({"seconds": time.perf_counter() - start, "events": 60}))
"""


def _setup_with_observables(directory: Path) -> Path:
    """A setup.h5 for the fixture's benchmarks and DEFINITIONS, written by goldmine configure."""
    import yaml

    examples = Path(__file__).resolve().parents[1] / "examples"
    raw = yaml.safe_load((examples / "wh-madgraph.yml").read_text())
    raw["observables"] = [{"name": n, "expression": e, "required": r} for n, e, r in DEFINITIONS]
    raw["cuts"] = []
    for key in ("process_card", "run_card", "param_card"):
        raw["generation"]["madgraph"][key] = str((examples / raw["generation"]["madgraph"][key]).resolve())
    config = directory / "analysis.yml"
    config.write_text(yaml.safe_dump(raw))
    setup = directory / "setup.h5"
    subprocess.run(["goldmine", "-q", "configure", str(config), "--output", str(setup), "--plan",
                    str(directory / "plan.yml")], check=True)
    return setup


def _madminer(python: str, setup: Path, directory: Path) -> dict:
    with gzip.open(FIXTURES / "events_sm.lhe.gz", "rt") as stream:
        head, rest = stream.read().split("<event>", 1)
    lhe = directory / "events_60.lhe.gz"
    with gzip.open(lhe, "wt") as stream:
        stream.write(head + "</event>".join(("<event>" + rest).split("</event>")[:60]) + "</event>\n</LesHouchesEvents>\n")
    for name in ("events_sm_60.hepmc2.gz", "delphes_sm_60.root"):
        (directory / name).write_bytes((FIXTURES / name).read_bytes())
    arguments = {"setup": str(setup), "hepmc": str(directory / "events_sm_60.hepmc2.gz"), "lhe": str(lhe),
                 "delphes": str(directory / "delphes_sm_60.root"), "definitions": DEFINITIONS}
    completed = subprocess.run([python, "-c", MADMINER, json.dumps(arguments)], capture_output=True, text=True,
                               check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _replicated(directory: Path, copies: int) -> Path:
    from goldmine.io.delphes_root import OBJECT_BRANCHES
    from goldmine.io.delphes_writer import DelphesTreeWriter

    tree = uproot.open(FIXTURES / "delphes_sm_60.root")["Delphes"]
    arrays = tree.arrays([*OBJECT_BRANCHES, "Weight.Weight"], library="ak")
    collections: dict[str, dict[str, ak.Array]] = {}
    for name in [*OBJECT_BRANCHES, "Weight.Weight"]:
        outer, inner = name.split(".")
        collections.setdefault(outer, {})[inner] = arrays[name]
    per_basket = 100  # 6000 events per basket, as ROOT's auto-flush gives Delphes files of this size
    chunk = {outer: ak.concatenate([ak.zip(fields)] * per_basket) for outer, fields in collections.items()}
    path = directory / "replicated.root"
    with uproot.recreate(path) as file:
        writer = DelphesTreeWriter(file, ("Weight", *BENCHMARKS[1:]))
        for _ in range(max(copies // per_basket, 1)):
            writer.extend(chunk)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=1000, help="copies of the 60 fixture events for goldmine")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        setup_path = _setup_with_observables(directory)
        python = os.environ.get("GOLDMINE_MADMINER_DELPHES_PYTHON")
        theirs = _madminer(python, setup_path, directory) if python else None

        events = _replicated(directory, args.copies)
        setup = read_setup(setup_path)
        selection = Selection.build([Observable(n, e, None, r) for n, e, r in DEFINITIONS])
        start = time.perf_counter()
        summary = extract_observables(setup, selection, events, directory / "events.h5", sampling_benchmark="sm",
                                      provenance=Provenance.capture())
        seconds = time.perf_counter() - start
    ours_rate = summary.n_input / seconds
    print(f"goldmine: {summary.n_input} events in {seconds:.2f} s = {ours_rate:,.0f} events/s "
          f"({summary.n_passed} passed)")
    if theirs:
        their_rate = theirs["events"] / theirs["seconds"]
        print(f"madminer: {theirs['events']} events in {theirs['seconds']:.2f} s = {their_rate:,.1f} events/s")
        print(f"ratio: {ours_rate / their_rate:,.0f}x")


if __name__ == "__main__":
    main()
