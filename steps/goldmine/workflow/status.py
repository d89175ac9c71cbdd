"""The state of a ``goldmine run`` directory, read from its marker and the processes alive.

``goldmine run`` keeps ``.goldmine-run.json`` in its work directory: the request, a status
(running, finished, failed, interrupted, incomplete), its own pid and its yadage's, which
leads a process group of its own (the steps run in it). A marker that says "running"
while that goldmine run is gone means it was killed (SIGKILL, a lost node): what it
started may still run unsupervised. :func:`read_status` tells which, and
``goldmine run --status`` prints it; the next ``goldmine run`` there stops the leftovers.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldmine.errors import GoldmineError
from goldmine.workflow import progress

__all__ = ["MARKER", "META", "RunStatus", "command_line", "group_members", "read_status"]

MARKER = ".goldmine-run.json"
META = "_goldmine"


@dataclass(frozen=True)
class RunStatus:
    """``status`` as the marker has it, or "killed" for a running marker whose goldmine
    run is gone; ``alive``: that goldmine run's pid while it lives; ``leftovers``: pids
    of its yadage process group still running in this directory."""

    workdir: Path
    status: str
    marker: dict[str, Any]
    alive: int | None = None
    leftovers: tuple[int, ...] = ()
    stages: dict[str, dict[str, int]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The status in words, one line per fact, for ``goldmine run --status``."""
        yadage = self.marker.get("yadage_pid")
        if self.alive:
            head = f"running (goldmine run pid {self.alive})"
        elif self.status == "killed" and self.leftovers:
            head = (f"killed: goldmine run (pid {self.marker.get('pid')}) is gone, but {len(self.leftovers)} processes "
                    f"of its yadage (process group {yadage}) still run: pids {' '.join(map(str, self.leftovers))}; "
                    "`goldmine run` into this directory stops them, or kill the group")
        elif self.status == "killed":
            head = f"killed: goldmine run (pid {self.marker.get('pid')}) is gone and nothing of it runs"
        elif self.status == "finished":
            head = f"finished in {float(self.marker.get('seconds', 0)):.0f} s"
        else:
            head = self.status
        lines = [f"{self.workdir}: {head}", f"config: {self.marker.get('config')}"]
        for stage, per_state in self.stages.items():
            counts = ", ".join(f"{n} {state.lower()}" for state, n in sorted(per_state.items()))
            lines.append(f"  {stage:<12} {counts}")
        return lines


def read_status(workdir: Path) -> RunStatus:
    """The state of the run in ``workdir``; GoldmineError if it holds no goldmine run."""
    marker_path = workdir / MARKER
    try:
        marker = json.loads(marker_path.read_text())
    except FileNotFoundError:
        raise GoldmineError(f"{workdir}: no goldmine run there (no {MARKER})") from None
    except (OSError, json.JSONDecodeError) as err:
        raise GoldmineError(f"{marker_path}: unreadable run marker ({err})") from None
    stages = progress.stage_counts(progress.read_steps(workdir / META / "steps.json"))
    status = str(marker.get("status", "unknown"))
    if status != "running":
        return RunStatus(workdir, status, marker, stages=stages)
    pid = int(marker.get("pid", 0) or 0)
    if pid and pid != os.getpid() and "goldmine" in command_line(pid):
        return RunStatus(workdir, status, marker, alive=pid, stages=stages)
    group = int(marker.get("yadage_pid", 0) or 0)
    leftovers = tuple(p for p in group_members(group) if str(workdir) in command_line(p)) if group else ()
    return RunStatus(workdir, "killed", marker, leftovers=leftovers, stages=stages)


def command_line(pid: int) -> str:
    """The command line of process ``pid``, "" if there is none."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def group_members(group: int) -> list[int]:
    """Processes of the process group ``group`` (from /proc)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # pgrp
            members.append(int(stat.parent.name))
    return members
