"""Finding a dataset's files under the data root, downloading them when allowed, one-line errors.

Every file-based dataset follows the same steps, so they live here once: look in the
known places; if nothing is there and downloading is allowed, fetch (see download.py) and
look again; otherwise say where we looked and which files, with which checksums, to put
in which folder. The same sentence serves ``recipe validate`` (:func:`missing`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from robustx.base.errors import DataError
from robustx.base.network import offline

from .sources import SOURCES

T = TypeVar("T")


def show_dir(path: Path) -> str:
    """A folder as users should read it in messages: with a trailing slash."""
    return str(path).rstrip("/") + "/"


def wanted_files(dataset: str, root: Path) -> str:
    """'put A (md5 ...), B (md5 ...) in FOLDER/': the exact files and folder for doing it by hand."""
    source = SOURCES[dataset]
    files = ", ".join(f"{r.filename} ({r.algorithm} {r.digest})" for r in source.files)
    return f"put {files} in {show_dir(root / source.folder)}"


def missing(dataset: str, root: Path, *, find: Callable[[Path], object | None], looked: Callable[[Path], str]) -> str | None:
    """None when ``find`` sees the data under ``root``; else the one line explaining what to do."""
    if find(root) is not None:
        return None
    why = "ROBUSTX_OFFLINE=1 is set" if offline() else "data.download=false"
    if not root.exists():
        head = f"{dataset}: data.root {root} does not exist"
    elif not root.is_dir():
        head = f"{dataset}: data.root {root} is not a directory"
    else:
        head = f"{dataset}: no data in data.root {show_dir(root)} (looked for {looked(root)})"
    allow = "" if offline() else ", or set data.download=true"
    return f"{head} and downloading is off ({why}); {wanted_files(dataset, root)}{allow}"


def locate(
    dataset: str,
    root: str,
    download: bool,
    *,
    find: Callable[[Path], T | None],
    looked: Callable[[Path], str],
    url: str | None = None,
) -> T:
    """Return ``find(root)``'s result, downloading first when allowed; else raise a one-line DataError."""
    base = Path(root).expanduser()
    found = find(base)
    if found is not None:
        return found
    if download and not offline():
        if base.exists() and not base.is_dir():
            raise DataError(f"{dataset}: data.root {base} is not a directory; set data.root=DIR")
        from .download import fetch_source

        fetch_source(SOURCES[dataset], base, url=url)
        found = find(base)
        if found is None:
            raise DataError(f"{dataset}: the download into {show_dir(base)} finished but no data was found "
                            f"(looked for {looked(base)})")
        return found
    raise DataError(missing(dataset, base, find=find, looked=looked) or f"{dataset}: no data in {base}")


@contextmanager
def reading(dataset: str) -> Iterator[None]:
    """Start every DataError raised while reading files with the dataset's name, like the others."""
    try:
        yield
    except DataError as exc:
        message = str(exc)
        if message.startswith(f"{dataset}: "):
            raise
        raise DataError(f"{dataset}: {message}") from None
