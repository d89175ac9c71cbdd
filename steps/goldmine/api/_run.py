"""run: the whole chain as the yadage workflow, locally or in the stage images."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from goldmine.errors import InputFileError

__all__ = ["DEFAULT_CONFIG", "run"]

#: The config ``run`` uses when given none, relative to the checkout.
DEFAULT_CONFIG = Path("examples") / "wh-builtin.yml"


def run(config: str | Path | None = None, workdir: str | Path = "goldmine-run", *, backend: str = "local",
        jobs: int = 1, events: int = 0, device: str = "auto", toplevel: str | Path | None = None,
        report: Callable[[str], None] = print) -> Any:
    """Run the workflow (workflows/goldmine.yml of ``toplevel``, default the checkout
    goldmine is installed from) on ``config`` (default examples/wh-builtin.yml there) in
    ``workdir`` (a previous goldmine run there is removed first): ``backend`` ``local``
    (each step's command in this environment), ``podman`` or ``docker`` (the stage
    images); ``jobs`` steps at once; ``events`` per generation job (0: the config's).
    ``report`` receives the per-stage progress lines. Returns a
    :class:`goldmine.workflow.runner.RunResult` (results.h5, plots, summary.md, seconds,
    steps per stage); raises WorkflowError unless every stage finished with its outputs."""
    with warnings.catch_warnings():  # yadage-schemas still imports the deprecated pkg_resources
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
        from goldmine.workflow.runner import RunRequest, default_toplevel
        from goldmine.workflow.runner import run as run_workflow

    top = (Path(toplevel) if toplevel is not None else default_toplevel()).resolve()
    config = Path(config) if config is not None else top / DEFAULT_CONFIG
    if not config.is_file():
        raise InputFileError(f"{config}: no such file (CONFIG)")
    request = RunRequest(config=config.resolve(), workdir=Path(workdir).resolve(), toplevel=top, backend=backend,
                         jobs=jobs, events=events, device=device)
    return run_workflow(request, report=report)
