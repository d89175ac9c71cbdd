"""Write-then-rename, so that a killed or failed step never leaves a file that looks finished;
the temporary name is removed on failure, and by ``io.janitor`` when the process is killed.

A write that fails for want of space or permission (disk full, a read-only folder) becomes
one OutputWriteError naming the output and the reason, with the temporary name removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from goldmine.errors import GoldmineError, OutputExistsError, OutputWriteError
from goldmine.io import janitor

__all__ = ["atomic_directory", "atomic_path", "published_together", "reserve", "write_errors_named"]

#: errno values that mean "no room here": a full disk or quota, a file too large.
NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
#: errno values that mean "may not write here", when they concern the output's folder.
NOT_WRITABLE = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _within(filename: object, folder: Path) -> bool:
    if not isinstance(filename, (str, bytes, os.PathLike)):
        return False
    path = Path(os.fsdecode(filename)).resolve()
    return path == folder or folder in path.parents


def _write_errno(error: BaseException | None, folder: Path) -> int | None:
    """The errno behind a failed write into ``folder``, also where a library raised its
    own exception from it (its cause or context)."""
    while error is not None:
        if isinstance(error, OSError) and error.errno in NO_ROOM:
            return error.errno
        if isinstance(error, OSError) and error.errno in NOT_WRITABLE and _within(error.filename, folder):
            return error.errno
        error = error.__cause__ or error.__context__
    return None


def _free_space(folder: Path) -> str:
    try:
        return f"{shutil.disk_usage(folder).free / 1e6:.1f} MB free in {folder}"
    except OSError:
        return f"{folder} not accessible"


@contextlib.contextmanager
def write_errors_named(target: Path) -> Iterator[None]:
    """Turn a write failure inside the block into OutputWriteError naming ``target``."""
    try:
        yield
    except GoldmineError:
        raise
    except Exception as err:
        code = _write_errno(err, target.parent.resolve())
        if code is None:
            raise
        space = f" ({_free_space(target.parent)})" if code in NO_ROOM else ""
        msg = f"{target}: cannot write: {os.strerror(code)}{space}; nothing of it is left"
        raise OutputWriteError(msg) from err


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it to ``target`` on success.

    On any exception the temporary file is removed and ``target`` is left untouched.
    The temporary name starts with a dot and ends in ``.partial``, so globs for the
    real output never match it.
    """
    target = Path(target)
    with write_errors_named(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
        os.close(handle)
        temporary = Path(name)
        with janitor.removed_if_killed(temporary):
            try:
                yield temporary
                os.chmod(temporary, 0o666 & ~_umask())
                os.replace(temporary, target)
            except BaseException:
                temporary.unlink(missing_ok=True)
                raise


@contextlib.contextmanager
def atomic_directory(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary directory beside ``target``; rename it to ``target`` on success.

    ``target`` must not exist or be an empty directory. On any exception the temporary
    directory and everything in it are removed.
    """
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        msg = f"{target}: output directory exists and is not empty; remove it or choose another"
        raise OutputExistsError(msg)
    with write_errors_named(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
        with janitor.removed_if_killed(temporary):
            try:
                yield temporary
                os.chmod(temporary, 0o777 & ~_umask())
                if target.exists():
                    target.rmdir()
                os.replace(temporary, target)
            except BaseException:
                shutil.rmtree(temporary, ignore_errors=True)
                raise


@contextlib.contextmanager
def published_together(*targets: str | os.PathLike[str]) -> Iterator[None]:
    """Outputs that belong together (each written atomically in the block): if the block
    fails, those it already wrote are removed, so that none is left looking finished
    without the others."""
    before = {Path(target): _identity(Path(target)) for target in targets}
    try:
        yield
    except BaseException:
        for target, identity in before.items():
            if _identity(target) != identity:
                target.unlink(missing_ok=True)
        raise


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_ino, status.st_mtime_ns


def reserve(path: Path, n_bytes: int) -> None:
    """Allocate ``n_bytes`` of ``path`` on disk now, so that a full disk is an ENOSPC
    here rather than a SIGBUS when a memory map of the file is written later."""
    with open(path, "r+b") as file:
        os.posix_fallocate(file.fileno(), 0, n_bytes)
