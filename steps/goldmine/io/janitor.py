"""Temporary outputs removed even when this process dies without a chance to (SIGKILL, the
OOM killer, a default SIGTERM).

On the first :func:`removed_if_killed`, a small helper process starts in a session of its own (so
that a signal to our process group spares it) and reads our pipe: "+path" and "-path"
lines add and drop a path. When the pipe closes (we exited, however) it removes the
paths still registered, and ends. Writing a line costs microseconds; the helper, one
Python start (≈ 20 ms), once per process.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

__all__ = ["removed_if_killed"]

_HELPER = """
import json, os, shutil, sys
pending = set()
for line in sys.stdin.buffer:
    sign, path = line[:1], json.loads(line[1:])
    (pending.add if sign == b"+" else pending.discard)(path)
for path in pending:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.unlink(path)
"""

_helper: subprocess.Popen | None = None
_owner: int | None = None


@contextlib.contextmanager
def removed_if_killed(path: Path) -> Iterator[None]:
    """Have ``path`` (a file or a directory tree) removed if this process dies inside the
    block; after it (``path`` renamed or removed by us) it is left alone."""
    _send(b"+", path)
    try:
        yield
    finally:
        _send(b"-", path)


def _send(sign: bytes, path: Path) -> None:
    global _helper, _owner
    if _helper is None or _owner != os.getpid():  # a forked child starts its own
        _helper = subprocess.Popen([sys.executable, "-I", "-S", "-c", _HELPER], stdin=subprocess.PIPE,
                                   start_new_session=True)
        _owner = os.getpid()
        atexit.register(_close, _helper)
    _helper.stdin.write(sign + json.dumps(os.fspath(Path(path).resolve())).encode() + b"\n")
    _helper.stdin.flush()


def _close(helper: subprocess.Popen) -> None:
    """At a normal exit: nothing is pending, the helper ends as soon as it reads EOF."""
    helper.stdin.close()
    with contextlib.suppress(subprocess.TimeoutExpired):  # if so, it ends on its own
        helper.wait(timeout=10)
