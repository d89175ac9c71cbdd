"""Run the real Delphes (``DelphesHepMC2`` or ``DelphesHepMC3``) on a HepMC file.

The executable is chosen from the file's format (HepMC2 ``IO_GenEvent`` or HepMC3
``Asciiv3``) and found via ``--delphes`` (the executable, the Delphes folder of a `make`
build, an install prefix or a CMake build tree), ``DELPHES_HOME`` or ``PATH``. A gzipped file is streamed to Delphes' standard input.
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


def _candidates(place: Path, name: str) -> list[Path]:
    """Where DelphesHepMC<n> may sit in ``place``: the executable itself, the folder of a
    `make` build or an install prefix (``bin/``), or a CMake build tree (``readers/``)."""
    return [place, place / name, place / "bin" / name, place / "readers" / name]


def find_delphes(version: int, hint: Path | None = None) -> Path:
    """The DelphesHepMC<version> executable from ``hint``, ``DELPHES_HOME`` or ``PATH``;
    the error lists every path tried."""
    name = f"DelphesHepMC{version}"
    places = [hint, Path(os.environ["DELPHES_HOME"]) if os.environ.get("DELPHES_HOME") else None]
    tried = []
    for place in places:
        if place is None:
            continue
        for candidate in _candidates(place, name):
            if candidate.is_file() and os.access(candidate, os.X_OK) and candidate.name.startswith("DelphesHepMC"):
                return candidate.resolve()
            tried.append(str(candidate))
    found = shutil.which(name)
    if found:
        return Path(found)
    sources = ("--delphes", "DELPHES_HOME")
    given = ", ".join(f"{source} {place}" for source, place in zip(sources, places) if place) or "no --delphes, no DELPHES_HOME"
    tried_text = f"tried {', '.join(tried)} and " if tried else "tried "
    raise DelphesError(f"{name} not found ({given}; {tried_text}{name} on PATH). "
                       "Install Delphes or use --backend builtin")


def _cmake_source_dir(build: Path) -> Path | None:
    """The source folder of a CMake build tree, from its CMakeCache.txt."""
    cache = build / "CMakeCache.txt"
    if not cache.is_file():
        return None
    for line in cache.read_text(errors="replace").splitlines():
        if line.startswith("CMAKE_HOME_DIRECTORY:"):
            return Path(line.split("=", 1)[1])
    return None


def default_card(executable: Path, name: str = "delphes_card_CMS.tcl") -> Path:
    """Delphes' own ``cards/<name>`` beside its executable: a `make` build or install prefix
    (``cards/``, ``share/Delphes/cards``), or the source tree of a CMake build tree."""
    folders = [executable.parent, executable.parent.parent, executable.parent.parent / "share" / "Delphes"]
    source = _cmake_source_dir(executable.parent.parent)
    folders += [source] if source else []
    for folder in folders:
        if (folder / "cards" / name).is_file():
            return folder / "cards" / name
    tried = ", ".join(str(folder / "cards" / name) for folder in folders)
    raise DelphesError(f"no Delphes card {name} (tried {tried}); give the Delphes card (--card or detector.card)")


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
