"""Progress of long work: a bar on a terminal, a periodic log line elsewhere.

A stage run by hand on a terminal shows a tqdm bar (events, epochs, grid points, with rate
and time left) on stderr; under ``goldmine run``, REANA or any other log (stderr not a
terminal) it logs one line every ``interval`` seconds, so that a long step's log says how far
it is. ``GOLDMINE_PROGRESS`` = ``bar``, ``log`` or ``off`` overrides the choice. Callers
update once per chunk, batch or epoch, never per event: the cost is one call per update.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from types import TracebackType

__all__ = ["INTERVAL_SECONDS", "Progress"]

log = logging.getLogger(__name__)

#: Seconds between two log lines when there is no terminal to draw a bar on.
INTERVAL_SECONDS = 30.0


def _mode() -> str:
    chosen = os.environ.get("GOLDMINE_PROGRESS", "").strip().lower()
    if chosen in ("bar", "log", "off"):
        return chosen
    return "bar" if sys.stderr.isatty() else "log"


class Progress:
    """``with Progress(total, "generate", "events") as progress: ... progress.update(n)``:
    ``total`` units of work (None: unknown), ``what`` is being done, counted in ``unit``; a
    log line at most every ``interval`` seconds (default :data:`INTERVAL_SECONDS`)."""

    def __init__(self, total: int | None, what: str, unit: str, *, interval: float | None = None) -> None:
        self.total, self.what, self.unit = total, what, unit
        self.interval = INTERVAL_SECONDS if interval is None else interval
        self.done = 0
        self._mode = _mode()
        self._bar = None
        self._start = self._last = time.monotonic()
        if self._mode == "bar":
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=what, unit=f" {unit}", file=sys.stderr, leave=False, dynamic_ncols=True)

    def update(self, n: int) -> None:
        """``n`` more units done."""
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
            return
        now = time.monotonic()
        if self._mode == "log" and now - self._last >= self.interval:
            self._last = now
            log.info("%s", self.line(now - self._start))

    def line(self, elapsed: float) -> str:
        """One line: units done (of the total), rate and time left, after ``elapsed`` s."""
        rate = self.done / elapsed if elapsed > 0 else 0.0
        of = f" of {self.total}" if self.total else ""
        left = ""
        if self.total and rate > 0:
            minutes, seconds = divmod(round((self.total - self.done) / rate), 60)
            left = f", {minutes} min {seconds:02d} s left"
        share = f" ({100 * self.done / self.total:.0f} %)" if self.total else ""
        return f"{self.what}: {self.done}{of} {self.unit}{share}, {rate:.3g} {self.unit}/s{left}"

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
