"""Fetch a dataset's files with urllib: announced, shown, verified, then renamed into place.

A file is streamed into a hidden ``.NAME.PID.part`` beside its destination while its checksum
is computed; only a complete, verified file is renamed to ``NAME`` (an atomic rename on one
file system), so a partial or corrupt download never looks like data. Any failure (network,
truncated body, checksum, Ctrl-C) removes the part file and ends in one line that says what
to put where by hand.

Mirrors: ``data.url`` (the dataset's folder URL, or the file's URL for one-file datasets),
else ``$ROBUSTX_MIRROR`` (a base URL: files are fetched as BASE/NAME), else the official URLs.
The checksum is checked whichever URL is used.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

from robustx.base.errors import DataError
from robustx.base.progress import progress_bar

from .sources import Resource, Source

MIRROR_ENV = "ROBUSTX_MIRROR"
#: "NAME=ALGO:HEX[,NAME=ALGO:HEX]": expect these checksums instead of the published ones, for a
#: mirror that serves re-packed files, and for tests that serve small genuine-format archives
CHECKSUM_ENV = "ROBUSTX_CHECKSUM_OVERRIDE"
TIMEOUT_S = 30.0
CHUNK = 1 << 20
SCHEMES = ("http://", "https://", "file://")


class DownloadFailed(Exception):
    """One attempt at one URL failed; the reason is already a short phrase."""


def say(message: str) -> None:
    """Status lines go to stderr, like the run's own, so stdout stays the result."""
    print(f"robustx: {message}", file=sys.stderr, flush=True)


def human_size(n: int | None) -> str:
    if n is None:
        return "size unknown"
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def show_checksum(checksum: str) -> str:
    algorithm, _, digest = checksum.partition(":")
    return f"{algorithm} {digest}"


def overrides() -> dict[str, str]:
    """$ROBUSTX_CHECKSUM_OVERRIDE as {filename: "algo:hex"}, each entry checked."""
    table: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in os.environ.get(CHECKSUM_ENV, "").split(","))):
        name, _, checksum = item.partition("=")
        algorithm, _, digest = checksum.partition(":")
        if not name or algorithm not in ("md5", "sha256") or not digest:
            raise DataError(f"{CHECKSUM_ENV}: '{item}' must look like NAME=md5:HEX or NAME=sha256:HEX")
        table[name] = f"{algorithm}:{digest.lower()}"
    return table


def expected_checksum(resource: Resource) -> str:
    override = overrides().get(resource.filename)
    if override is None:
        return resource.checksum
    say(f"{CHECKSUM_ENV}: expecting {show_checksum(override)} for {resource.filename} "
        f"instead of the published {show_checksum(resource.checksum)}")
    return override


def mirror(source: Source, url: str | None) -> str | None:
    """data.url, else $ROBUSTX_MIRROR (None: the official URLs), checked before anything is fetched."""
    base = url or os.environ.get(MIRROR_ENV, "").strip() or None
    if base is None:
        return None
    where = "data.url" if url else MIRROR_ENV
    if not base.startswith(SCHEMES):
        raise DataError(f"{where}: '{base}' must start with http://, https:// or file://")
    names = [f.filename for f in source.files]
    if _named_file(base, names) and len(names) > 1:
        raise DataError(f"{where}: '{base}' names one file, but {source.dataset} needs {len(names)} "
                        f"({', '.join(names)}); give the URL of the folder that holds them")
    return base


def _named_file(base: str, names: list[str]) -> str | None:
    last = base.rsplit("/", 1)[-1]
    return last if last in names else None


def candidate_urls(resource: Resource, base: str | None) -> tuple[str, ...]:
    """Where to fetch ``resource`` from: the mirror's file (or the file it names), else the official URLs."""
    if base is None:
        return resource.urls
    if _named_file(base, [resource.filename]):
        return (base,)
    return (f"{base.rstrip('/')}/{resource.filename}",)


def remove_stale_parts(dest: Path) -> None:
    """Part files left by a killed download (their process is gone) are just wasted disk."""
    for part in dest.parent.glob(f".{dest.name}.*.part"):
        pid = part.name[len(dest.name) + 2:-len(".part")]
        if pid.isdigit() and not _alive(int(pid)):
            part.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return " ".join(str(exc.reason).split())
    if isinstance(exc, http.client.IncompleteRead):
        return f"connection closed after {len(exc.partial)} more bytes, {exc.expected} missing"
    return " ".join(str(exc).split()) or type(exc).__name__


def download_one(url: str, dest: Path, checksum: str, size_hint: int) -> None:
    """Stream ``url`` into a part file beside ``dest``, verify ``checksum``, rename; raise DownloadFailed."""
    algorithm, _, digest = checksum.partition(":")
    hasher = hashlib.new(algorithm, usedforsecurity=False)
    part = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    request = urllib.request.Request(url, headers={"User-Agent": "robustx"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response, part.open("wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            say(f"downloading {url} ({human_size(total or size_hint)}) into {dest.parent}/")
            bar = progress_bar(total=total or size_hint, desc=dest.name, unit="B", unit_scale=True)
            received = 0
            try:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    hasher.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            finally:
                bar.close()
            out.flush()
            os.fsync(out.fileno())
        if total is not None and received != total:
            raise DownloadFailed(f"connection closed after {received} of {total} bytes")
        if hasher.hexdigest() != digest:
            raise DownloadFailed(f"{algorithm} mismatch: got {hasher.hexdigest()}, expected {digest}")
        os.replace(part, dest)
    except DownloadFailed:
        part.unlink(missing_ok=True)
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:  # URLError, timeouts, IncompleteRead, bad URL
        part.unlink(missing_ok=True)
        raise DownloadFailed(_reason(exc)) from None
    except BaseException:  # Ctrl-C: no half-written file either
        part.unlink(missing_ok=True)
        raise
    say(f"{dest.name}: {algorithm} verified")


def fetch_source(source: Source, root: Path, *, url: str | None = None) -> None:
    """Every file of ``source`` not yet in ``root/source.folder``, each from its first working URL."""
    base = mirror(source, url)
    folder = root / source.folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{source.dataset}: cannot create {folder} to download into "
                        f"({exc.strerror or exc}); set data.root=DIR") from None
    for resource in source.files:
        dest = folder / resource.filename
        if dest.is_file():
            continue
        urls = candidate_urls(resource, base)
        checksum = expected_checksum(resource)
        remove_stale_parts(dest)
        failures = []
        for candidate in urls:
            try:
                download_one(candidate, dest, checksum, resource.size)
                break
            except DownloadFailed as exc:
                failures.append(f"{candidate}: {exc}")
        else:
            raise DataError(f"{source.dataset}: could not download {resource.filename} ({'; '.join(failures)}); "
                            f"put {resource.filename} ({show_checksum(checksum)}) in {folder}/ by hand, "
                            f"or point {MIRROR_ENV} or data.url at a mirror")
