"""Domain exceptions. Each refines the built-in it is a kind of and carries the exit
code that the command line returns for it."""

from __future__ import annotations

__all__ = ["ConfigError", "GoldmineError", "InputFileError", "MorphingError", "OutputExistsError", "OutputWriteError",
           "UsageError"]


class GoldmineError(Exception):
    """Base class of the errors goldmine reports to the user (exit code 1)."""

    exit_code = 1


class ConfigError(GoldmineError, ValueError):
    """The analysis configuration is invalid. ``key`` is its dotted path, such as
    ``parameters[1].range`` (exit code 2, like a usage error)."""

    exit_code = 2

    def __init__(self, key: str, message: str, *, source: str | None = None) -> None:
        self.key = key
        self.message = message
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{key}: {message}" if key else f"{where}{message}")


class InputFileError(GoldmineError, OSError):
    """An input file is missing, unreadable or does not hold what the stage needs."""


class MorphingError(GoldmineError, ValueError):
    """The morphing basis cannot determine the morphing components."""


class OutputExistsError(GoldmineError, FileExistsError):
    """An output path is taken; goldmine never overwrites a finished output."""


class OutputWriteError(GoldmineError, OSError):
    """An output could not be written: the disk is full, the folder read-only, ...
    Nothing of it is left behind."""


class UsageError(GoldmineError, ValueError):
    """A stage was asked for something that does not go together (two options of which
    exactly one is needed, ...); exit code 2, like the command line's usage errors."""

    exit_code = 2
