"""Run the real Delphes (``DelphesHepMC2`` or ``DelphesHepMC3``) on a HepMC file.

The executable is chosen from the file's format (HepMC2 ``IO_GenEvent`` or HepMC3
``Asciiv3``) and found via ``--delphes`` (the executable or the Delphes folder),
``DELPHES_HOME`` or ``PATH``. A gzipped file is streamed to Delphes' standard input.
Delphes writes to a temporary name that is renamed once it succeeded; on failure the
error shows the tail of its log, which is kept beside the output.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from pathlib import Path

from goldmine.errors import GoldmineError, InputFileError

__all__ = ["DelphesError", "find_delphes", "hepmc_version", "run_delphes"]

_LOG_TAIL_LINES = 30


class DelphesError(GoldmineError, RuntimeError):
    """Delphes is missing or failed."""


def hepmc_version(path: Path) -> int:
    """2 or 3, from the first lines of a (possibly gzipped) HepMC ascii file."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt") as stream:
            head = "".join(stream.readline() for _ in range(5))
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise InputFileError(f"{path}: unreadable ({err})") from None
    if "HepMC::Asciiv3" in head:
        return 3
    if "HepMC::IO_GenEvent" in head or "HepMC::Version 2" in head:
        return 2
    raise InputFileError(f"{path}: not a HepMC2 (IO_GenEvent) or HepMC3 (Asciiv3) ascii file")


def find_delphes(version: int, hint: Path | None = None) -> Path:
    """The DelphesHepMC<version> executable from ``hint``, ``DELPHES_HOME`` or ``PATH``."""
    name = f"DelphesHepMC{version}"
    places = [hint, Path(os.environ["DELPHES_HOME"]) if os.environ.get("DELPHES_HOME") else None]
    for place in places:
        if place is None:
            continue
        for candidate in (place, place / name, place / "bin" / name):
            if candidate.is_file() and os.access(candidate, os.X_OK) and candidate.name.startswith("DelphesHepMC"):
                return candidate.resolve()
    found = shutil.which(name)
    if found:
        return Path(found)
    searched = ", ".join(str(p) for p in places if p) or "no --delphes, no DELPHES_HOME"
    raise DelphesError(f"{name} not found ({searched}; not on PATH). Install Delphes or use --backend builtin")


def default_card(executable: Path, name: str = "delphes_card_CMS.tcl") -> Path:
    """Delphes' own ``cards/<name>`` beside its executable (build folder or install prefix)."""
    for folder in (executable.parent, executable.parent.parent, executable.parent.parent / "share" / "Delphes"):
        if (folder / "cards" / name).is_file():
            return folder / "cards" / name
    raise DelphesError(f"no cards/{name} beside {executable}; give the Delphes card (--card or detector.card)")


def run_delphes(hepmc: Path, card: Path | None, output: Path, *, delphes: Path | None = None) -> Path:
    """Simulate ``hepmc`` with ``card`` (default: Delphes' CMS card) into ``output``;
    returns the log's path."""
    executable = find_delphes(hepmc_version(hepmc), delphes)
    card = default_card(executable) if card is None else card
    if not card.is_file():
        raise InputFileError(f"{card}: no such Delphes card")
    temporary = output.with_name(f".{output.name}.partial.root")
    log_path = output.with_name(f"{output.name}.delphes.log")
    temporary.unlink(missing_ok=True)
    streamed = hepmc.suffix == ".gz"
    command = [str(executable), str(card), str(temporary), "-" if streamed else str(hepmc)]
    with open(log_path, "w") as log:
        log.write(" ".join(command) + "\n")
        log.flush()
        if streamed:
            with gzip.open(hepmc, "rb") as source:
                process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
                try:
                    shutil.copyfileobj(source, process.stdin)
                except BrokenPipeError:
                    pass
                finally:
                    process.stdin.close()
                code = process.wait()
        else:
            code = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False).returncode
    if code != 0 or not temporary.is_file():
        temporary.unlink(missing_ok=True)
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-_LOG_TAIL_LINES:])
        raise DelphesError(f"{executable.name} failed (exit code {code}); log kept at {log_path}:\n{tail}")
    os.replace(temporary, output)
    return log_path
