"""Drive a real MadGraph5_aMC installation for one job: cards, ``output``, ``launch`` with reweighting.

MG5_aMC is found from ``--mg5`` (the executable or the MG5 folder), else ``$MG5_HOME``,
else ``mg5_aMC`` on PATH. It always runs as ``PYTHON mg5_aMC``: ``bin/mg5_aMC`` starts with
``#!/usr/bin/env python3``, so PATH would pick its interpreter, and under ``goldmine run``
PATH starts with goldmine's own environment, whose numpy 2 breaks MG5_aMC's reweighting
(f2py needs numpy < 1.26). MadGraph's Python comes from ``--mg5-python``, else the config's
``generation.madgraph.python``, else ``$MG5_PYTHON``, else the first ``python3`` on PATH
outside goldmine's own environment. Its run directory lives beside the job's output and is
kept when MadGraph fails, so that its logs can be read; the error shows the log's tail.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from goldmine.errors import GoldmineError, InputFileError
from goldmine.generate.card_values import LHAValue
from goldmine.generate.madgraph_cards import (
    launch_script,
    param_card,
    process_card,
    reweight_card,
    run_card,
)
from goldmine.generate.madgraph_systematics import run_card_entries, variation_weight_ids
from goldmine.io.lhe_events import count_lhe_events, read_lhe_header
from goldmine.systematics import Variation

__all__ = ["MadgraphCards", "MadgraphRun", "Mg5", "find_mg5", "find_mg5_python", "lhe_cross_section", "run_madgraph"]

_LOG_TAIL_LINES = 40
_INIT = re.compile(r"<init>\s*\n([^\n]*)\n")


@dataclass(frozen=True)
class MadgraphCards:
    """The analysis's card templates (paths); no ``param``: the model's own param card."""

    process: Path
    run: Path
    param: Path | None


@dataclass(frozen=True)
class MadgraphRun:
    """What a finished run produced: the LHE file, σ ± error in pb, MG5_aMC's version, and
    the id of MadGraph's systematics weight holding each scale variation (nuisance
    benchmark → weight id)."""

    lhe: Path
    cross_section: float
    cross_section_error: float
    version: str
    variation_ids: dict[str, str] = field(default_factory=dict)


def find_mg5(explicit: Path | None) -> Path:
    """The ``mg5_aMC`` executable, or :class:`GoldmineError` saying where it was looked for."""
    candidates = []
    for root in (explicit, os.environ.get("MG5_HOME")):
        if root:
            root = Path(root)
            candidates.append(root if root.is_file() else root / "bin" / "mg5_aMC")
    on_path = shutil.which("mg5_aMC")
    candidates += [Path(on_path)] if on_path else []
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    looked = ", ".join(map(str, candidates)) or "--mg5, $MG5_HOME and PATH (all unset or empty)"
    raise GoldmineError(f"MadGraph5_aMC not found: looked at {looked}; install it or use --backend builtin")


def find_mg5_python(explicit: str | Path | None) -> Path:
    """The Python that runs MG5_aMC (see the module docstring for the order), or
    :class:`GoldmineError` saying where it was looked for."""
    named = explicit or os.environ.get("MG5_PYTHON")
    if named:
        found = shutil.which(str(named))
        if found is None:
            source = "--mg5-python or generation.madgraph.python" if explicit else "$MG5_PYTHON"
            raise GoldmineError(f"MadGraph's Python {named} (from {source}) is not an executable file")
        return Path(found)
    own = Path(sys.executable).parent
    outside = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and not _same_directory(Path(d), own)]
    found = shutil.which("python3", path=os.pathsep.join(outside))
    if found is None:
        raise GoldmineError("no Python for MadGraph5_aMC: name one with numpy < 1.26 by --mg5-python, "
                            f"generation.madgraph.python or $MG5_PYTHON (no python3 on PATH outside {own})")
    return Path(found)


def _same_directory(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


@dataclass(frozen=True)
class Mg5:
    """An MG5_aMC installation: its ``bin/mg5_aMC`` and the Python that runs it."""

    executable: Path
    python: Path

    def command(self, *arguments: str) -> list[str]:
        return [str(self.python), str(self.executable), *arguments]


def mg5_version(executable: Path) -> str:
    version_file = executable.resolve().parent.parent / "VERSION"
    if version_file.is_file():
        match = re.search(r"version\s*=\s*(\S+)", version_file.read_text())
        if match:
            return match.group(1)
    return "unknown"


def lhe_cross_section(path: Path) -> tuple[float, float]:
    """σ and its error (pb) from the ``<init>`` block of an LHE file: the sum over its
    NPRUP processes (one line each: MadGraph writes one per ``add process``), errors added
    in quadrature."""
    header = read_lhe_header(path).text
    match = _INIT.search(header)
    try:
        n_processes = int(match.group(1).split()[9]) if match else 0
        rows = header[match.end():].splitlines()[:n_processes] if match else []
        values = [(float(row.split()[0]), float(row.split()[1])) for row in rows]
    except (IndexError, ValueError):
        values = []
    if not values or len(values) != n_processes:
        raise InputFileError(f"{path}: no <init> block with a cross section per process")
    cross_sections, errors = zip(*values, strict=True)
    return math.fsum(cross_sections), math.sqrt(math.fsum(e * e for e in errors))


def _log_tail(log: Path) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-_LOG_TAIL_LINES:]) if log.is_file() else ""


def _run(command: list[str], log: Path, run_dir: Path) -> None:
    with open(log, "a") as stream:
        result = subprocess.run(command, stdout=stream, stderr=subprocess.STDOUT, cwd=run_dir, check=False)
    if result.returncode != 0:
        raise GoldmineError(f"MadGraph5_aMC failed (exit {result.returncode}) running {' '.join(command)}; "
                            f"run directory kept at {run_dir}; log {log} ends with:\n{_log_tail(log)}")


def _check_reweighting(lhe: Path, expected: list[str], mg5: Mg5, log: Path, run_dir: Path) -> None:
    """MG5_aMC can finish with exit code 0 although reweighting failed: check the weights
    (and that the file is complete: a truncated one is an error naming its last event)."""
    count_lhe_events(lhe)
    found = read_lhe_header(lhe).weight_names
    missing = [name for name in expected if name not in found]
    if missing:
        raise GoldmineError(f"{lhe}: MadGraph5_aMC wrote no reweighting weights for {', '.join(missing)} (the file "
                            f"has {list(found)}); its reweighting compiles with f2py and needs numpy < 1.26 in "
                            f"MadGraph's Python, here {mg5.python}; run directory kept at {run_dir}; log {log} "
                            f"ends with:\n{_log_tail(log)}")


def run_madgraph(mg5: Mg5, templates: MadgraphCards, run_dir: Path, *, n_events: int, seed: int, beam_energy: float,
                 parameter_values: tuple[LHAValue, ...] = (), sampling: str | None = None,
                 other_benchmarks: list[tuple[str, tuple[LHAValue, ...]]] | None = None,
                 variations: Mapping[str, Variation] | None = None) -> MadgraphRun:
    """Write the cards into ``run_dir``, generate the process, launch: with reweighting to
    ``other_benchmarks`` (signal sampled at ``sampling``, whose ``parameter_values`` go
    into the param card), or without (a background: no reweighting weights); with
    MadGraph's systematics weights for the scale ``variations`` (nuisance benchmark →
    variation; goldmine.generate.madgraph_systematics)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    cards_dir, process_dir = run_dir / "cards", run_dir / "process"
    cards_dir.mkdir(exist_ok=True)
    cards = {
        "proc_card.dat": process_card(templates.process.read_text(), process_dir),
        "run_card.dat": run_card(templates.run.read_text(), n_events=n_events, seed=seed, beam_energy=beam_energy,
                                 source=str(templates.run), entries=run_card_entries(variations or {})),
    }
    if templates.param is not None:
        cards["param_card.dat"] = param_card(templates.param.read_text(), parameter_values, source=str(templates.param))
    if other_benchmarks:
        cards["reweight_card.dat"] = reweight_card(run_dir / "rwgt", other_benchmarks, sampling=sampling)
    for name, text in cards.items():
        (cards_dir / name).write_text(text)
    launch = cards_dir / "launch.mg5"
    handed_over = [cards_dir / name for name in ("param_card.dat", "run_card.dat", "reweight_card.dat") if name in cards]
    launch.write_text(launch_script(process_dir, handed_over, reweight=bool(other_benchmarks)))
    log = run_dir / "mg5.log"
    _run(mg5.command(str(cards_dir / "proc_card.dat")), log, run_dir)
    _run(mg5.command(str(launch)), log, run_dir)
    produced = sorted((process_dir / "Events").glob("run_*/unweighted_events.lhe.gz"))
    if not produced:
        raise GoldmineError(f"MadGraph5_aMC wrote no unweighted_events.lhe.gz under {process_dir / 'Events'}; see {log}")
    _check_reweighting(produced[-1], [name for name, _ in other_benchmarks or []], mg5, log, run_dir)
    try:
        variation_ids = variation_weight_ids(read_lhe_header(produced[-1]).text, variations or {}, str(produced[-1]))
    except InputFileError as err:
        raise GoldmineError(f"{err}; run directory kept at {run_dir}; log {log} ends with:\n{_log_tail(log)}") from None
    cross_section, error = lhe_cross_section(produced[-1])
    return MadgraphRun(produced[-1], cross_section, error, mg5_version(mg5.executable), variation_ids)
