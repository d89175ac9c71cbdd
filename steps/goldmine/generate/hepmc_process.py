"""HepMC written by a forked child process while Pythia runs in this one.

Formatting and compressing a showered event (≈ 2.7 ms of text and gzip) takes a fifth of
the time Pythia needs to make it (≈ 13 ms), so in a second process it costs the job's
wall time little (the two processes still share the machine: Pythia ran 3-5 % slower
beside it here). The child keeps a :class:`~goldmine.io.hepmc_file.SpooledHepMC`:
events come batch by batch, the weights of all events at the end.

The child ends with its parent: the kernel sends it SIGTERM when the parent dies
(``PR_SET_PDEATHSIG``: a SIGKILLed ``goldmine generate`` would otherwise leave it blocked
on the queue forever), and on SIGTERM it removes its spool and exits.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue as queues
import signal
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from goldmine.io.hepmc_file import SpooledHepMC, spool_path
from goldmine.io.hepmc_writer import HepMCBatch

__all__ = ["HepMCWriterProcess"]


class HepMCWriterProcess:
    """Context manager: :meth:`put` batches of events, then :meth:`finish` with their weights.

    Leaving the context waits for the child to write the file and raises RuntimeError if
    it failed; leaving it without :meth:`finish` (an exception) makes the child discard
    what it spooled.
    """

    def __init__(self, path: Path, weight_names: tuple[str, ...]) -> None:
        self.path = Path(path)
        self.weight_names = weight_names
        context = multiprocessing.get_context("fork")
        self._queue = context.Queue(maxsize=2)  # two batches in flight bound the memory
        self._errors = context.SimpleQueue()
        self._process = context.Process(target=_write, args=(self._queue, self.path, weight_names, self._errors,
                                                             os.getpid()), daemon=True)
        self._finished = False

    def __enter__(self) -> HepMCWriterProcess:
        self._process.start()
        return self

    def put(self, batch: HepMCBatch) -> None:
        """Hand the events of ``batch`` to the child (blocks while two batches wait); raise
        the child's failure if it has ended."""
        self._hand_over(batch)

    def finish(self, weights: np.ndarray) -> None:
        """Hand over the weights (n_events, W) of every event put; the child writes the file."""
        self._hand_over(np.asarray(weights, dtype=np.float64))
        self._finished = True

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if not self._finished:
            self._tell_to_discard()
        self._process.join()
        if exc_type is None and (not self._errors.empty() or self._process.exitcode != 0):
            raise self._failure()

    def _hand_over(self, item: Any) -> None:
        while True:  # a child that failed reads no more: never wait on it forever
            try:
                self._queue.put(item, timeout=0.5)
                return
            except queues.Full:
                if not self._process.is_alive():
                    self._process.join()
                    raise self._failure() from None

    def _failure(self) -> Exception:
        """The child's error: an OSError where it had an errno (a full disk: for
        ``io.atomic`` to name the output), else a RuntimeError."""
        if self._errors.empty():
            return RuntimeError(f"{self.path}: the HepMC writer process ended with exit code {self._process.exitcode}")
        message, errno = self._errors.get()
        if errno is not None:
            return OSError(errno, f"writing HepMC failed: {message}", str(self.path))
        return RuntimeError(f"{self.path}: writing HepMC failed: {message}")

    def _tell_to_discard(self) -> None:
        while self._process.is_alive():  # a full queue and a dead child must not block us
            try:
                self._queue.put(None, timeout=0.5)
                return
            except queues.Full:
                continue


_PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


def _terminated(signal_number: int, frame: Any) -> None:
    raise SystemExit(128 + signal_number)


def _end_with_parent(parent: int) -> None:
    """SIGTERM when the parent dies (Linux), and at once if it already has."""
    signal.signal(signal.SIGTERM, _terminated)
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:
        raise SystemExit(128 + signal.SIGTERM)


def _write(queue: Any, path: Path, weight_names: tuple[str, ...], errors: Any, parent: int) -> None:
    """Child process: spool batches until the weights (write the file) or None (discard)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it tells us
    _end_with_parent(parent)
    hepmc: SpooledHepMC | None = None
    item: Any = None
    try:
        hepmc = SpooledHepMC(path, weight_names)
        while isinstance(item := queue.get(), HepMCBatch):
            hepmc.add(item)
        if item is None:
            hepmc.discard()
        else:
            hepmc.finish(item)
    except Exception as err:  # noqa: BLE001 - any failure is reported to the parent, which raises
        errors.put((f"{type(err).__name__}: {err}", getattr(err, "errno", None)))
        if hepmc is not None:
            hepmc.discard()
        while isinstance(item, HepMCBatch):  # drain until the parent's last word, so it never blocks
            item = queue.get()
    finally:
        # Whatever ends the child (SIGTERM's SystemExit may come at any bytecode, even inside
        # the spool's creation or a handler above), no spool outlives it: removed by its path.
        spool_path(path).unlink(missing_ok=True)
