"""The built-in fast detector against real Delphes' CMS card on the same showered events:
selection, the default example's observables, object multiplicities, and time.

    .venv/bin/python benchmarks/detector_vs_delphes.py \
        --hepmc ../shared/fixtures/builtin-wh-delphes-300/events.hepmc.gz \
        --delphes-root ../shared/fixtures/builtin-wh-delphes-300/delphes_cms.root
    .venv/bin/python benchmarks/detector_vs_delphes.py --hepmc events.hepmc.gz --delphes /scratch/delphes

With ``--delphes`` (a Delphes install prefix or build tree) Delphes runs here too, and
both programs are timed as whole processes (``goldmine delphes --backend builtin`` and
``DelphesHepMC3`` reading the decompressed HepMC from a pipe), beside the floor: reading
and decompressing the file alone.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import awkward as ak
import numpy as np

from goldmine.config.loader import load_config
from goldmine.io.delphes_root import iter_delphes
from goldmine.observables.objects import delphes_objects
from goldmine.observables.selection import Selection

REPO = Path(__file__).resolve().parents[1]
GOLDMINE = Path(sys.executable).parent / "goldmine"

#: The observables compared (the default example's).
OBSERVABLES = ("pt_l", "met", "mt_w", "pt_bb", "m_bb")
QUANTILES = (0.25, 0.5, 0.75)


def selected_observables(root: Path, config: Path) -> dict[str, np.ndarray]:
    """``passed`` (N,) by the config's cuts, each observable of the passing events, and the
    multiplicities ``n_leptons``, ``n_jets``, ``n_bjets``, ``n_photons`` (N,) of all events."""
    analysis = load_config(config)
    selection = Selection.build(analysis.observables, analysis.cuts, analysis.efficiencies)
    passed, values, counts = [], {name: [] for name in OBSERVABLES}, {k: [] for k in ("leptons", "jets", "bjets",
                                                                                    "photons")}
    names = [o.name for o in analysis.observables]
    for chunk in iter_delphes(root):
        objects = delphes_objects(chunk.branches)
        result = selection.apply(objects, len(chunk))
        passed.append(result.passed)
        for name in OBSERVABLES:
            values[name].append(result.observations[:, names.index(name)])
        counts["leptons"].append(ak.to_numpy(ak.num(objects["l"])))
        counts["jets"].append(ak.to_numpy(ak.num(objects["j"])))
        counts["bjets"].append(ak.to_numpy(ak.num(objects["b"])))
        counts["photons"].append(ak.to_numpy(ak.num(objects["a"])))
    return {"passed": np.concatenate(passed), **{k: np.concatenate(v) for k, v in values.items()},
            **{f"n_{k}": np.concatenate(v) for k, v in counts.items()}}


def compare(delphes: dict[str, np.ndarray], builtin: dict[str, np.ndarray]) -> dict:
    """Passing events, means and quartiles of the observables, multiplicity histograms."""
    table = {"passed": {"delphes": int(delphes["passed"].sum()), "builtin": int(builtin["passed"].sum()),
                        "events": len(delphes["passed"])}}
    for name in OBSERVABLES:
        table[name] = {
            tool: {"mean": float(np.mean(sample[name])),
                   "quartiles": np.quantile(sample[name], QUANTILES).round(2).tolist()}
            for tool, sample in (("delphes", delphes), ("builtin", builtin))
        }
        table[name]["mean_ratio"] = table[name]["builtin"]["mean"] / table[name]["delphes"]["mean"]
    for name in ("n_leptons", "n_jets", "n_bjets", "n_photons"):
        top = int(max(delphes[name].max(), builtin[name].max()))
        table[name] = {tool: np.bincount(sample[name], minlength=top + 1).tolist()
                       for tool, sample in (("delphes", delphes), ("builtin", builtin))}
    return table


def _timed(command: str) -> tuple[float, float]:
    """Wall and CPU seconds (all its processes) of a shell command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hepmc", type=Path, required=True)
    parser.add_argument("--delphes-root", type=Path, help="Delphes' output for --hepmc (else run --delphes)")
    parser.add_argument("--delphes", type=Path, help="Delphes install prefix or CMake build tree")
    parser.add_argument("--config", type=Path, default=REPO / "examples" / "wh-builtin.yml")
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        timings = {}
        builtin = scratch / "builtin.root"
        runs = []
        for repeat in range(arguments.repeat):
            builtin.unlink(missing_ok=True)
            runs.append(_timed(f"{GOLDMINE} -q delphes --backend builtin --hepmc {arguments.hepmc} "
                               f"--output {builtin} --seed {repeat + 1}"))
        timings["builtin (goldmine delphes)"] = min(runs)
        timings["floor: zcat > /dev/null"] = min(_timed(f"zcat {arguments.hepmc} > /dev/null")
                                                 for _ in range(arguments.repeat))
        reference = arguments.delphes_root
        if reference is None:
            from goldmine.detector.delphes import default_card, find_delphes

            executable = find_delphes(3, arguments.delphes)
            card = default_card(executable)
            reference = scratch / "delphes.root"
            runs = []
            for _ in range(arguments.repeat):
                reference.unlink(missing_ok=True)
                runs.append(_timed(f"zcat {arguments.hepmc} | {executable} {card} {reference} -"))
            timings["Delphes CMS card (DelphesHepMC3)"] = min(runs)
        table = compare(selected_observables(reference, arguments.config),
                        selected_observables(builtin, arguments.config))
    print(markdown(table, timings))


def markdown(table: dict, timings: dict[str, tuple[float, float]]) -> str:
    """The comparison as README's tables."""
    passed = table["passed"]
    lines = [f"events passing the cuts: Delphes {passed['delphes']}, built-in {passed['builtin']} "
             f"of {passed['events']}", "", "| observable | Delphes mean [25, 50, 75 %] | built-in mean [25, 50, 75 %] "
             "| built-in / Delphes (mean) |", "|---|---|---|---|"]
    for name in OBSERVABLES:
        row = table[name]
        cells = [f"{row[t]['mean']:.1f} {row[t]['quartiles']}" for t in ("delphes", "builtin")]
        lines.append(f"| {name} | {cells[0]} | {cells[1]} | {row['mean_ratio']:.3f} |")
    lines += ["", "| multiplicity (events with 0, 1, 2, ...) | Delphes | built-in |", "|---|---|---|"]
    for name in ("n_leptons", "n_jets", "n_bjets", "n_photons"):
        lines.append(f"| {name} | {table[name]['delphes']} | {table[name]['builtin']} |")
    lines += ["", "| program (whole process) | wall s | CPU s |", "|---|---|---|"]
    lines += [f"| {name} | {wall:.2f} | {cpu:.2f} |" for name, (wall, cpu) in timings.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
