"""Helpers of the tests that start `goldmine run` and stop it: a tiny run, waiting for its
steps, and the processes left behind."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "tests" / "configs" / "wh-tiny.yml"
BIN = Path(sys.executable).parent


def goldmine_run(*arguments: str, **popen: object) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "goldmine"), "run", *arguments], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, preexec_fn=default_sigint, **popen)


def default_sigint() -> None:
    """Ctrl-C's default action in the child, even where the tests run with SIGINT ignored
    (a shell ignores it in commands it starts in the background: ``(pytest &)``), which
    Python would keep and so never raise KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def processes_mentioning(text: str) -> list[str]:
    """Command lines of this machine's processes that contain ``text``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in command:
            found.append(command)
    return found


def tiny_with_detector_card(folder: Path, card: str) -> Path:
    """The tiny config, written into ``folder``, with its detector card at ``card``."""
    folder.mkdir(exist_ok=True)
    config = yaml.safe_load(TINY.read_text())
    config["detector"] = {"backend": "builtin", "card": card}
    path = folder / "analysis.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def started(run: subprocess.Popen, workdir: Path) -> None:
    """Wait until ``run`` has its generation steps going."""
    deadline = time.monotonic() + 120
    while not list(workdir.glob("generate_*/_packtivity/*.run.log")):
        assert run.poll() is None and time.monotonic() < deadline, run.stdout.read() if run.stdout else ""
        time.sleep(0.5)


def assert_nothing_left_running(workdir: Path) -> None:
    deadline = time.monotonic() + 30
    while processes_mentioning(str(workdir)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert processes_mentioning(str(workdir)) == [], "yadage and its steps end with goldmine run"


def stopped_run(workdir: Path, signal_number: int) -> subprocess.CompletedProcess:
    """A tiny run into ``workdir``, sent ``signal_number`` once its generation steps work;
    its exit code and output. The run must be marked interrupted."""
    run = goldmine_run(str(TINY), "--workdir", str(workdir), "--jobs", "2")
    started(run, workdir)
    run.send_signal(signal_number)
    out, _ = run.communicate(timeout=60)
    assert json.loads((workdir / ".goldmine-run.json").read_text())["status"] == "interrupted"
    return subprocess.CompletedProcess(run.args, run.returncode, out)
