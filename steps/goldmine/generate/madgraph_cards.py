"""MadGraph5_aMC cards for one generation job, written from the analysis's card templates.

Only the entries a job owns change: the run card's ``nevents``, ``iseed``, ``ebeam1/2``
(and ``use_syst`` with the systematics module's arguments, goldmine.generate.madgraph_systematics);
the param card's entry of every parameter (at the sampling benchmark); everything else,
including MadGraph's formatting and comments, is kept character for character.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from goldmine.errors import ConfigError
from goldmine.generate.card_values import LHAValue

__all__ = ["launch_script", "param_card", "process_card", "reweight_card", "run_card"]

_RUN_ENTRY = r"^(\s*)([^#\s][^#\n]*?)(\s*=\s*{key}\b)"  # a value may hold spaces: a list
_BLOCK = re.compile(r"^\s*block\s+(\S+)", re.IGNORECASE)
_OUTPUT_OR_LAUNCH = re.compile(r"^\s*(output|launch)\b")


def process_card(template: str, process_dir: Path) -> str:
    """The process card with its ``output``/``launch`` lines replaced by ``output process_dir``."""
    lines = [line for line in template.splitlines() if not _OUTPUT_OR_LAUNCH.match(line)]
    return "\n".join([*lines, f"output {process_dir}"]) + "\n"


def run_card(template: str, *, n_events: int, seed: int, beam_energy: float, source: str = "run card",
             entries: Mapping[str, str] | None = None) -> str:
    """The run card with ``nevents``, ``iseed`` and both beam energies (GeV) set, and the
    optional ``entries`` (key → value), each set where the card has it, else appended."""
    values = {"nevents": str(n_events), "iseed": str(seed), "ebeam1": repr(float(beam_energy)),
              "ebeam2": repr(float(beam_energy))}
    text = template
    for key, value in {**values, **(entries or {})}.items():
        pattern = re.compile(_RUN_ENTRY.format(key=key), re.MULTILINE)
        if pattern.search(text):
            text = pattern.sub(lambda match, value=value: f"{match.group(1)}{value}{match.group(3)}", text, count=1)
        elif key in values:
            raise ConfigError("generation.madgraph.run_card", f"{source}: no '= {key}' entry")
        else:
            text = f"{text.rstrip(chr(10))}\n  {value} = {key} ! set by goldmine\n"
    return text


def param_card(template: str, values: Sequence[LHAValue], *, source: str = "param card") -> str:
    """The param card with each ``block`` ``id`` entry set to its value (MadGraph's %e format)."""
    lines = template.splitlines(keepends=True)
    wanted = {(value.block, value.lha_id): value.value for value in values}
    found: set[tuple[str, int]] = set()
    block = None
    for index, line in enumerate(lines):
        header = _BLOCK.match(line)
        if header:
            block = header.group(1).lower()
            continue
        fields = line.split("#", 1)[0].split()
        if block is None or len(fields) != 2 or not fields[0].lstrip("-").isdigit():
            continue
        key = (block, int(fields[0]))
        if key in wanted:
            start = line.index(fields[1], line.index(fields[0]) + len(fields[0]))
            lines[index] = f"{line[:start]}{wanted[key]:e}{line[start + len(fields[1]):]}"
            found.add(key)
    missing = [f"{block.upper()} {lha_id}" for block, lha_id in wanted if (block, lha_id) not in found]
    if missing:
        msg = f"{source}: the model's param card has no entry {', '.join(missing)} (check lha_block / lha_id)"
        raise ConfigError("parameters", msg)
    return "".join(lines)


def reweight_card(rwgt_dir: Path, benchmarks: Sequence[tuple[str, Sequence[LHAValue]]], *, sampling: str) -> str:
    """``change rwgt_dir``, then one ``launch --rwgt_name`` per benchmark with its ``set`` lines."""
    lines = [f"# goldmine: sampling at {sampling}, weights for the {len(benchmarks)} other benchmarks", "",
             f"change rwgt_dir {rwgt_dir}", ""]
    for name, values in benchmarks:
        lines.append(f"launch --rwgt_name={name}")
        lines += [f"  set {value.block} {value.lha_id} {value.value!r}" for value in values]
        lines.append("")
    return "\n".join(lines)


def launch_script(process_dir: Path, cards: Sequence[Path], *, reweight: bool = True) -> str:
    """MG5_aMC commands: launch with the shower, detector, analysis and MadSpin off and
    reweighting on (or off: a background), handing over the job's cards."""
    switches = ["shower=OFF", "detector=OFF", "analysis=OFF", "madspin=OFF", f"reweight={'ON' if reweight else 'OFF'}"]
    return "\n".join([f"launch {process_dir}", *switches, "done", *map(str, cards), "done"]) + "\n"
