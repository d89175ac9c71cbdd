"""What the yadage engine did, step by step, as a JSON file that ``goldmine run`` reads.

:class:`StepRecorder` is an adage tracker (``YADAGE_CUSTOM_TRACKER=
goldmine.workflow.progress:StepRecorder``, the file from ``GOLDMINE_STEPS_FILE``): on
every change it rewrites the file with one record per step — stage, state, submit and
finish times, work directory and published outputs — so the runner can show per-stage
progress while the workflow runs and check the outputs when it ends. :func:`read_steps`
and :func:`stage_counts` read it back.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ENVIRONMENT_VARIABLE", "Step", "StepRecorder", "read_steps", "stage_counts"]

ENVIRONMENT_VARIABLE = "GOLDMINE_STEPS_FILE"

_SCATTER_INDEX = re.compile(r"_\d+$")


@dataclass(frozen=True)
class Step:
    """One workflow step: ``stage`` (its name less the scatter index), ``state`` one of
    DEFINED, RUNNING, SUCCESS, FAILED; times in seconds since the epoch."""

    name: str
    stage: str
    state: str
    submitted: float | None
    finished: float | None
    workdir: str | None
    outputs: Any = field(default=None)


class StepRecorder:
    """An adage tracker that writes every step's record to ``$GOLDMINE_STEPS_FILE``."""

    def __init__(self) -> None:
        self.path = Path(os.environ[ENVIRONMENT_VARIABLE])
        self.last: str | None = None

    def initialize(self, adageobj: Any) -> None:
        self.track(adageobj)

    def finalize(self, adageobj: Any) -> None:
        self.track(adageobj)

    def track(self, adageobj: Any) -> None:
        records = [_record(adageobj.dag.getNode(node)) for node in adageobj.dag.nodes()]
        text = json.dumps([r for r in records if r["stage"] != "init"], default=str)
        if text == self.last:
            return
        temporary = self.path.with_name(f".{self.path.name}.partial")
        temporary.write_text(text)
        os.replace(temporary, self.path)
        self.last = text


def _record(node: Any) -> dict[str, Any]:
    state = getattr(node.task, "state", None)
    readwrite = getattr(state, "readwrite", None) or [None]
    successful = str(node.state) == "SUCCESS"
    outputs = node.result if successful else None
    outputs = outputs.json() if hasattr(outputs, "json") else outputs  # packtivity's typed leafs
    return {
        "name": node.name,
        "stage": _SCATTER_INDEX.sub("", node.name),
        "state": str(node.state),
        "submitted": node.submit_time,
        "finished": node.ready_by_time,
        "workdir": readwrite[0],
        "outputs": outputs,
    }


def read_steps(path: Path) -> list[Step]:
    """The records last written by :class:`StepRecorder` (none before its first write)."""
    try:
        return [Step(**record) for record in json.loads(path.read_text())]
    except FileNotFoundError:
        return []


def stage_counts(steps: Sequence[Step]) -> dict[str, dict[str, int]]:
    """Per stage, in order of first appearance: how many steps are in each state."""
    counts: dict[str, dict[str, int]] = {}
    for step in steps:
        per_state = counts.setdefault(step.stage, {})
        per_state[step.state] = per_state.get(step.state, 0) + 1
    return counts
