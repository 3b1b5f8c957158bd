"""Finding a dataset's files under ``root``, downloading on request, and one-line errors.

Every file-based dataset follows the same steps, so they live here once: look in the
known places; if nothing is there and ``download`` is set, fetch and look again;
otherwise say exactly where we looked and how to fix it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from robustx.errors import DataError

T = TypeVar("T")

FIX_SUFFIX = "set data.root=DIR, or pass data.download=true"


def show_dir(path: Path) -> str:
    """A folder as users should read it in messages: with a trailing slash."""
    return str(path).rstrip("/") + "/"


def locate(
    dataset: str,
    root: str,
    download: bool,
    *,
    find: Callable[[Path], T | None],
    fetch: Callable[[Path], None],
    looked: Callable[[Path], str],
    put_there: str,
) -> T:
    """Return ``find(root)``'s result, downloading first when allowed; else raise a DataError.

    ``looked(root)`` describes the places searched; ``put_there`` completes the sentence
    "put ... there" (e.g. "the CIFAR-10 python archive").
    """
    base = Path(root).expanduser()
    found = find(base)
    if found is None and download:
        base.mkdir(parents=True, exist_ok=True)
        with reading(dataset):
            fetch(base)
        found = find(base)
        if found is None:
            raise DataError(f"{dataset}: the download into {base} finished but no data was found "
                            f"(looked for {looked(base)}); remove partial files and try again")
    if found is not None:
        return found
    if not base.exists():
        raise DataError(f"{dataset}: data root {base} does not exist; create it and put {put_there} there, "
                        f"{FIX_SUFFIX}")
    if not base.is_dir():
        raise DataError(f"{dataset}: data root {base} is not a directory; {FIX_SUFFIX}")
    raise DataError(f"{dataset}: no data in {base} (looked for {looked(base)}); put {put_there} there, "
                    f"{FIX_SUFFIX}")


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


def download_failed(dataset: str, url: str, exc: BaseException, put_there: str, root: Path) -> DataError:
    """The one-line error for a failed download (network, checksum, disk)."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return DataError(f"{dataset}: downloading {url} failed ({reason}); put {put_there} in {root} by hand "
                     f"and run again with data.download=false")
