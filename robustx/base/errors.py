"""One exception family. The CLI turns any of these into a single clean line."""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Iterable


class RobustxError(Exception):
    """Base class of every error robustx reports to users as one line."""


class Preempted(RobustxError):
    """A run or an evaluation stopped on a signal after saving its state; ``exit_code`` = 128 + signal."""

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.signum = signum
        self.exit_code = 128 + int(signum)


class UnknownNameError(RobustxError, KeyError):
    """A registry, recipe or key name that does not exist."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class DuplicateNameError(RobustxError):
    """Two plugins registered the same name."""


class RecipeError(RobustxError):
    """A recipe that cannot be read or does not validate."""


class ParamError(RecipeError, ValueError):
    """A parameter with a wrong type or an out-of-range value."""


class DataError(RobustxError):
    """A dataset that cannot be found or read."""


class CheckpointError(RobustxError):
    """A model or checkpoint that cannot be saved or loaded."""


class DivergenceError(RobustxError):
    """Training produced a non-finite or exploding loss, or non-finite weights."""


class PluginError(RobustxError):
    """A plugin that misbehaves at registration time."""


def did_you_mean(name: str, choices: Iterable[str], n: int = 3) -> str:
    """Return ' (did you mean 'x'?)' or '' - the suffix every unknown-name error uses."""
    choices = sorted(set(choices))
    matches = difflib.get_close_matches(name, choices, n=n, cutoff=0.55)
    if not matches:
        lowered = name.lower()
        matches = [c for c in choices if lowered and (lowered in c.lower() or c.lower() in lowered)][:n]
    if not matches:
        return ""
    quoted = ", ".join(f"'{m}'" for m in matches)
    return f" (did you mean {quoted}?)"


class RunFileError(RobustxError):
    """A file that cannot be read (truncated, binary) or written (full disk, read-only folder); names the file."""


def short(value: object, limit: int = 80) -> str:
    """A bounded repr of a user's value for an error message (never the whole of a huge or nested value).

    Why: a YAML alias bomb or a pasted 100 MB string must not make the *error* cost minutes and gigabytes.
    ``reprlib`` caps depth and items per level, then the text is cut to ``limit`` characters.
    """

    shortener = reprlib.Repr()
    shortener.maxlevel, shortener.maxstring, shortener.maxother = 3, limit, limit
    shortener.maxlist = shortener.maxtuple = shortener.maxdict = shortener.maxset = 6
    text = shortener.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
