"""Opening HDF5 files: inputs with an error that names the file, outputs that fail cleanly."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py

from goldmine.errors import GoldmineError, InputFileError

__all__ = ["open_for_reading", "open_for_writing", "raise_write_failure"]


@contextlib.contextmanager
def open_for_reading(path: str | Path) -> Iterator[h5py.File]:
    """``h5py.File(path, "r")``, closed when the block ends. A file that is missing or
    not HDF5, and HDF5's errors while the block reads it (a cut file, corrupt chunks or
    B-trees), are InputFileError naming the file."""
    try:
        file = h5py.File(path, "r")
    except OSError as err:
        msg = f"{path}: cannot open as HDF5 ({err})"
        raise InputFileError(msg) from err
    with file:
        try:
            yield file
        except GoldmineError:
            raise
        except (OSError, RuntimeError, KeyError) as err:
            msg = f"{path}: cannot read its HDF5 content, the file is damaged or incomplete ({_first_line(err)})"
            raise InputFileError(msg) from err


def _first_line(error: BaseException) -> str:
    lines = str(error).strip("'\"").splitlines()
    return lines[0] if lines else type(error).__name__


@contextlib.contextmanager
def open_for_writing(path: str | Path) -> Iterator[h5py.File]:
    """``h5py.File(path, "w")``, closed when the block ends. A write that fails (a full
    disk: ENOSPC, ...) raises its OSError at the next ``raise_write_failure`` or at the
    close, and never leaves the file in HDF5's hands.

    HDF5 does not survive a failed write: its close fails half-way, and at exit it
    retries the flush and segfaults. So HDF5 writes through ``_KeepsFailures``: a failed
    write is recorded, not reported to HDF5, and the writes after it go to memory; HDF5
    closes the file as usual and goldmine raises the recorded failure. The caller
    removes the file (it writes to a temporary name, see ``io.atomic``).
    """
    raw = _KeepsFailures(Path(path))
    try:
        with h5py.File(raw, "w") as file:
            _WRITING[file.id.id] = raw
            try:
                yield file
            finally:
                del _WRITING[file.id.id]
        if raw.failure is not None:
            raise raw.failure
    finally:
        raw.close()


def raise_write_failure(file: h5py.HLObject) -> None:
    """Raise the OSError of a failed write into ``file`` (opened by ``open_for_writing``),
    so that a long write stops at its next chunk rather than at the close."""
    raw = _WRITING.get(file.file.id.id)
    if raw is not None and raw.failure is not None:
        raise raw.failure


class _KeepsFailures(io.RawIOBase):
    """A file for HDF5's file-object driver that records its first failed write and from
    then on keeps HDF5's writes in memory (the reads see them), up to ``MEMORY`` bytes."""

    MEMORY = 256 * 2**20

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.file = open(path, "w+b", buffering=0)  # noqa: SIM115 - closed with this object
        self.failure: OSError | None = None
        self.unwritten: list[tuple[int, bytes]] = []  # (offset, data) since the failure
        self.unwritten_bytes = 0

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.file.seek(offset, whence)

    def tell(self) -> int:
        return self.file.tell()

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        start = self.file.tell()
        n_read = self.file.readinto(view) or 0
        for offset, data in self.unwritten:
            low, high = max(offset, start), min(offset + len(data), start + len(view))
            if low < high:
                view[low - start : high - start] = data[low - offset : high - offset]
                n_read = max(n_read, high - start)
        self.file.seek(start + n_read)
        return n_read

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        start, written = self.file.tell(), 0
        if self.failure is None:
            try:
                while written < len(view):  # h5py ignores short writes: finish them here
                    written += self.file.write(view[written:])
            except OSError as err:
                self.failure = err
        if written < len(view) and self.unwritten_bytes < self.MEMORY:
            self.unwritten.append((start + written, bytes(view[written:])))
            self.unwritten_bytes += len(view) - written
        self.file.seek(start + len(view))
        return len(view)

    def truncate(self, size: int | None = None) -> int:
        return self.file.truncate(size) if self.failure is None else (size or 0)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.file.close()
        super().close()


#: The files open_for_writing has open, by HDF5 file id.
_WRITING: dict[int, _KeepsFailures] = {}
