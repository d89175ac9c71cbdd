"""The built-in fast detector against real Delphes' CMS card on the same showered events:
selection, the default example's observables, object multiplicities, and time.

    .venv/bin/python benchmarks/detector_vs_delphes.py \
        --hepmc ../shared/fixtures/builtin-wh-delphes-300/events.hepmc.gz \
        --delphes-root ../shared/fixtures/builtin-wh-delphes-300/delphes_cms.root
    .venv/bin/python benchmarks/detector_vs_delphes.py --hepmc a.hepmc.gz b.hepmc.gz --delphes /scratch/delphes

Several files are compared as one sample (timings summed).

With ``--delphes`` (a Delphes install prefix or build tree) Delphes runs here too, and
both programs are timed as whole processes (``goldmine delphes --backend builtin`` and
``DelphesHepMC3`` reading the decompressed HepMC from a pipe), beside the floor: a process
that only reads the file as the built-in detector does (decompress, parse the final state
and the b and c quarks), and one that only decompresses it.
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
BUILTIN, DELPHES = "builtin (goldmine delphes)", "Delphes CMS card (zcat | DelphesHepMC3)"


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


def compare(delphes: dict[str, np.ndarray], builtin: dict[str, np.ndarray], *, n_bootstrap: int = 200) -> dict:
    """Passing events (ratio with the paired error), each observable's mean and quartiles
    and their ratios built-in / Delphes with bootstrap errors, multiplicity histograms."""
    passed = builtin["passed"].astype(float) - delphes["passed"].astype(float)
    table = {"passed": {"delphes": int(delphes["passed"].sum()), "builtin": int(builtin["passed"].sum()),
                        "events": len(delphes["passed"]),
                        "ratio_error": float(passed.std(ddof=1) * np.sqrt(len(passed)) / delphes["passed"].sum())}}
    rng = np.random.default_rng(0)

    def summary(values: np.ndarray) -> np.ndarray:
        return np.array([values.mean(), *np.quantile(values, QUANTILES)])

    for name in OBSERVABLES:
        ours, theirs = builtin[name], delphes[name]
        ratio = summary(ours) / summary(theirs)
        resampled = [summary(rng.choice(ours, len(ours))) / summary(rng.choice(theirs, len(theirs)))
                     for _ in range(n_bootstrap)]
        table[name] = {tool: {"mean": float(sample[name].mean()),
                              "quartiles": np.quantile(sample[name], QUANTILES).round(2).tolist()}
                       for tool, sample in (("delphes", delphes), ("builtin", builtin))}
        table[name]["ratios"] = ratio.tolist()
        table[name]["ratio_errors"] = np.std(resampled, axis=0).tolist()
    for name in ("n_leptons", "n_jets", "n_bjets", "n_photons"):
        top = int(max(delphes[name].max(), builtin[name].max()))
        table[name] = {tool: np.bincount(sample[name], minlength=top + 1).tolist()
                       for tool, sample in (("delphes", delphes), ("builtin", builtin))}
    return table


#: A whole process that only reads the HepMC file as the built-in detector does.
_READ_ONLY = ("import sys; from goldmine.io.hepmc import iter_hepmc; "
              "from goldmine.detector.fast import PARTICLES_USED; "
              "[None for _ in iter_hepmc(sys.argv[1], select=PARTICLES_USED)]")


#: A whole process that only decompresses it, in the reader's blocks.
_DECOMPRESS_ONLY = ("import sys; from isal import igzip; stream = igzip.open(sys.argv[1]); "
                    "[None for _ in iter(lambda: stream.read(4 << 20), b\"\")]")


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
    parser.add_argument("--hepmc", type=Path, nargs="+", required=True)
    parser.add_argument("--delphes-root", type=Path, nargs="+", help="Delphes' output for each --hepmc (else run "
                        "--delphes)")
    parser.add_argument("--delphes", type=Path, help="Delphes install prefix or CMake build tree")
    parser.add_argument("--config", type=Path, default=REPO / "examples" / "wh-builtin.yml")
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    if arguments.delphes_root and len(arguments.delphes_root) != len(arguments.hepmc):
        parser.error("give one --delphes-root per --hepmc")

    timings: dict[str, np.ndarray] = {}  # per program, (rounds, 2) wall and CPU seconds summed over the files
    samples: dict[str, list[dict[str, np.ndarray]]] = {"builtin": [], "delphes": []}
    with tempfile.TemporaryDirectory() as scratch:
        for index, hepmc in enumerate(arguments.hepmc):
            for name, (rounds, root) in _timed_programs(hepmc, Path(scratch) / str(index), arguments, index).items():
                if rounds:
                    timings[name] = timings.get(name, 0.0) + np.array(rounds)
                if root is not None:
                    samples["builtin" if name == BUILTIN else "delphes"].append(
                        selected_observables(root, arguments.config))
    table = compare(*({key: np.concatenate([s[key] for s in samples[tool]]) for key in samples[tool][0]}
                      for tool in ("delphes", "builtin")))
    print(markdown(table, timings))


def _timed_programs(hepmc: Path, scratch: Path, arguments: argparse.Namespace,
                    index: int) -> dict[str, tuple[list[tuple[float, float]], Path | None]]:
    """Each program's (wall, CPU) seconds on ``hepmc`` in each of ``--repeat`` rounds, and
    the ROOT file it wrote (None for the floors). A round runs every program once, one after
    the other, so that the machine's slow and quick moments fall on all of them alike."""
    scratch.mkdir()
    builtin, reference = scratch / "builtin.root", scratch / "delphes.root"
    commands = {BUILTIN: (
                    lambda repeat: f"{GOLDMINE} -q delphes --backend builtin --hepmc {hepmc} --output {builtin} "
                                   f"--seed {repeat + 1}", builtin),
                "floor: reading the HepMC (decompress, parse what the detector uses)": (
                    lambda repeat: f"{sys.executable} -c '{_READ_ONLY}' {hepmc}", None),
                "floor: decompressing it alone (ISA-L, as the reader does)": (
                    lambda repeat: f"{sys.executable} -c '{_DECOMPRESS_ONLY}' {hepmc}", None)}
    if not arguments.delphes_root:
        from goldmine.detector.delphes import default_card, find_delphes

        executable = find_delphes(3, arguments.delphes)
        commands[DELPHES] = (lambda repeat: f"zcat {hepmc} | {executable} {default_card(executable)} {reference} -",
                             reference)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for repeat in range(arguments.repeat):
        for name, (command, output) in commands.items():
            if output is not None:
                output.unlink(missing_ok=True)
            runs[name].append(_timed(command(repeat)))
    programs = {name: (runs[name], output) for name, (_, output) in commands.items()}
    if arguments.delphes_root:
        programs["Delphes (given)"] = ([], arguments.delphes_root[index])
    return programs


def markdown(table: dict, timings: dict[str, np.ndarray]) -> str:
    """The comparison as README's tables; ``timings``: (rounds, 2) wall and CPU seconds per
    program."""
    passed = table["passed"]
    lines = [f"events passing the cuts: Delphes {passed['delphes']}, built-in {passed['builtin']} of "
             f"{passed['events']} (ratio {passed['builtin'] / passed['delphes']:.3f} ± {passed['ratio_error']:.3f})",
             "", "| observable | Delphes mean [25, 50, 75 %] | built-in mean [25, 50, 75 %] "
             "| built-in / Delphes: mean [25, 50, 75 %] |", "|---|---|---|---|"]
    for name in OBSERVABLES:
        row = table[name]
        cells = [f"{row[t]['mean']:.1f} {row[t]['quartiles']}" for t in ("delphes", "builtin")]
        ratios = [f"{r:.3f} ± {e:.3f}" for r, e in zip(row["ratios"], row["ratio_errors"], strict=True)]
        lines.append(f"| {name} | {cells[0]} | {cells[1]} | {ratios[0]} [{', '.join(ratios[1:])}] |")
    lines += ["", "| multiplicity (events with 0, 1, 2, ...) | Delphes | built-in |", "|---|---|---|"]
    for name in ("n_leptons", "n_jets", "n_bjets", "n_photons"):
        lines.append(f"| {name} | {table[name]['delphes']} | {table[name]['builtin']} |")
    lines += ["", "| program (whole process, fastest run) | wall s | CPU s |", "|---|---|---|"]
    lines += [f"| {name} | {rounds[:, 0].min():.2f} | {rounds[:, 1].min():.2f} |" for name, rounds in timings.items()]
    if DELPHES in timings:
        ratio = timings[DELPHES][:, 1] / timings[BUILTIN][:, 1]
        lines += ["", f"CPU of Delphes over the built-in detector's, round by round: {ratio.min():.1f}–"
                      f"{ratio.max():.1f}x (median {np.median(ratio):.1f}x, {len(ratio)} rounds)"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
