"""A packtivity executor that runs ``docker-encapsulated`` steps in the current environment.

The step specs under ``specs/steps/`` name one image per stage; on a machine where the
``goldmine`` command is installed, the same spec can run its command directly. Importing
this module (``yadage-run --plugins goldmine.workflow.local_executor``) registers the
implementation ``goldmine-local``; packtivity selects it when the file named by
``PACKTIVITY_SYNCCONFIGFILE`` says ``executor: {docker-encapsulated: goldmine-local}``
(what :mod:`goldmine.workflow.runner` writes).

The step runs in its own work directory with the environment of the yadage process;
its output goes to the step's ``_packtivity/<step>.run.log``, exactly where the docker
executor writes the container's output, so a failed step is read the same way in
every mode.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import packtivity.logutils as logutils
from packtivity.handlers.execution_handlers import executor

from goldmine.workflow.runner import LOCAL_EXECUTOR

__all__ = ["run_in_current_environment"]


@executor("docker-encapsulated", LOCAL_EXECUTOR)
def run_in_current_environment(
    config: Any, environment: dict[str, Any], state: Any, job: dict[str, Any], metadata: dict[str, Any]
) -> None:
    """Run the step's command (or script) with ``sh`` in the step's work directory."""
    if "command" in job:
        argv, stdin = ["sh", "-c", job["command"]], None
    elif "script" in job:
        argv, stdin = ["sh", "-c", job["interpreter"]], job["script"]
    else:
        raise RuntimeError(f"step {metadata['name']}: neither a command nor a script: {sorted(job)}")
    workdir = Path(state.readwrite[0])
    workdir.mkdir(parents=True, exist_ok=True)
    with logutils.setup_logging_topic(config, metadata, state, "step", return_logger=True) as log:
        log.info("running in %s: %s", workdir, argv[-1])
        with logutils.setup_logging_topic(config, metadata, state, "run", return_logger=True) as run_log:
            process = subprocess.Popen(
                argv, cwd=workdir, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )
            if stdin:
                process.stdin.write(stdin)  # type: ignore[union-attr]
                process.stdin.close()  # type: ignore[union-attr]
            for line in process.stdout:  # type: ignore[union-attr]
                run_log.info(line.rstrip("\n"))
            code = process.wait()
        if code != 0:
            log.error("step %s failed with exit code %d", metadata["name"], code)
            raise RuntimeError(f"step {metadata['name']} failed with exit code {code}: {argv[-1]}")
