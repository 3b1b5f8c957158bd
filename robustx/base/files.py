"""The files robustx writes and reads: atomic writes that leave nothing behind, errors that name the file.

Why one module: every writer must leave either the old file or the new one (never a torn file,
never a stray temporary that keeps a full disk full), every reader of a run's JSON must say which
file is damaged and what to do, and every command that writes into a run directory must find out
that it cannot *before* it computes anything (hours of attacks lost to a read-only folder).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from robustx.base.errors import RunFileError


def temp_path(path: Path) -> Path:
    """``DIR/.NAME.tmp``: the temporary beside ``path`` (``--resume`` removes any that a kill left)."""
    return path.with_name(f".{path.name}.tmp")


def reason(exc: BaseException) -> str:
    """'No space left on device' rather than '[Errno 28] No space left on device: '/x/.y.tmp''."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if "no space left on device" in str(exc).lower():  # safetensors' SafetensorError wraps the OS error
        return "No space left on device"
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _advice(exc: BaseException) -> str:
    text = f"{exc}".lower()
    if (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)) or "no space left" in text \
            or "quota" in text:
        return "free some disk space and run the command again"
    if isinstance(exc, PermissionError) or (isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EROFS,
                                                                                        errno.EPERM)):
        return "make the folder writable (or copy the run somewhere writable) and run the command again"
    return "check the disk and the folder's permissions, then run the command again"


@contextlib.contextmanager
def atomic_target(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write ``path``'s new content to; on success fsync it and rename it into place.

    On any failure (a full disk, a kill by exception, a bug) the temporary is deleted, ``path`` keeps
    its old content, and an OS-level failure becomes one line naming ``path`` and what to do.
    """
    path = Path(path)
    tmp = temp_path(path)
    try:
        yield tmp
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) or any(k in str(exc).lower() for k in ("os error", "ioerror", "no space left")):
            raise RunFileError(f"cannot write {path}: {reason(exc)}; {_advice(exc)}") from None
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (see ``atomic_target``)."""
    with atomic_target(path) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Exclusive lock on ``path`` (created if missing) for a read-merge-write (POSIX flock; a no-op elsewhere)."""
    with open(path, "a") as handle:
        try:
            import fcntl  # lazy: POSIX only
        except ImportError:  # pragma: no cover - Windows
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_text_file(path: Path, *, kind: str, hint: str) -> str:
    """The text of ``path``; a binary or unreadable file is one line naming it, what it should be, and ``hint``."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RunFileError(f"{path} is not a text file (binary content, not {kind}); {hint}") from None
    except OSError as exc:
        raise RunFileError(f"cannot read {path}: {reason(exc)}; {hint}") from None


def read_json(path: str | Path, *, hint: str) -> Any:
    """The JSON in ``path``; a truncated, binary or unreadable file is one line naming it, then ``hint``."""
    path = Path(path)
    text = read_text_file(path, kind="JSON", hint=hint)
    try:
        return json.loads(text)
    except ValueError as exc:
        where = f" at line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        state = "is empty" if not text.strip() else f"is not valid JSON (truncated or damaged{where})"
        raise RunFileError(f"{path} {state}; {hint}") from None


def read_jsonl(path: str | Path, *, hint: str) -> list[Any]:
    """One JSON value per non-empty line of ``path``; a bad line is one error naming the file and line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise RunFileError(f"{path} is not a text file (binary content, not JSON lines); {hint}") from None
    except OSError as exc:
        raise RunFileError(f"cannot read {path}: {reason(exc)}; {hint}") from None
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except ValueError:
            raise RunFileError(f"{path}: line {number} is not valid JSON (truncated or damaged); {hint}") from None
    return out


def check_writable(directory: str | Path, command: str) -> None:
    """Refuse before any work when ``command`` could not write its output into ``directory``.

    ``os.access`` alone is not enough (root passes it on a read-only mount, and ACLs or quotas can
    differ), so a probe file is also created and removed. The folder is created when missing.
    """
    directory = Path(directory)
    probe = directory / f".robustx-write-probe-{os.getpid()}-{threading.get_ident()}"  # threads of one process too
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not os.access(directory, os.W_OK):
            raise PermissionError(errno.EACCES, "Permission denied")
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        probe.unlink()
    except OSError as exc:
        raise RunFileError(f"{command}: cannot write into {directory} ({reason(exc)}); nothing was computed: "
                           "make it writable, or copy the run directory somewhere writable and pass that") from None
