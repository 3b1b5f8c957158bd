"""MNIST and Fashion-MNIST: the idx file format, raw or gzipped, in the usual folder layouts.

idx header: two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions,
then each dimension as a big-endian uint32; the values follow in row-major order.
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from robustx.base.errors import DataError

from . import stats
from .bundle import make_bundle
from .locate import locate, missing, reading, show_dir

if TYPE_CHECKING:
    from robustx.datasets.bundle import DatasetBundle

#: idx type code -> numpy dtype (big-endian for multi-byte types)
_IDX_DTYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
               0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}

#: role -> canonical file name (torchvision's names; ".gz" and "train-images.idx3-ubyte" also work)
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

#: absolute folders searched after ``root`` (Debian's dataset-fashion-mnist package); tests patch this
SYSTEM_DIRS: dict[str, tuple[str, ...]] = {"fashion_mnist": ("/usr/share/datasets/fashion-mnist",)}

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


@dataclass(frozen=True)
class IdxDataset:
    """Where one idx dataset lives and what it is."""

    name: str
    folders: tuple[str, ...]  # relative to root; "" is root itself (downloads go into sources.py's folder)
    stats: stats.Stats
    class_names: tuple[str, ...]


MNIST = IdxDataset("mnist", ("MNIST/raw", "mnist", ""), stats.MNIST,
                   tuple(str(d) for d in range(10)))
FASHION_MNIST = IdxDataset("fashion_mnist", ("FashionMNIST/raw", "fashion-mnist", ""),
                           stats.FASHION_MNIST, FASHION_MNIST_CLASSES)


def _variants(name: str) -> tuple[str, ...]:
    dotted = name.replace("-idx", ".idx")  # the names inside the original yann.lecun.com archives
    return (name, name + ".gz", dotted, dotted + ".gz")


def search_dirs(ds: IdxDataset, root: Path) -> list[Path]:
    return [root / f if f else root for f in ds.folders] + [Path(d) for d in SYSTEM_DIRS.get(ds.name, ())]


def _files_in(folder: Path) -> dict[str, Path]:
    """The idx files of each role present in ``folder`` (the uncompressed one preferred: faster)."""
    found = {}
    for role, name in FILES.items():
        for candidate in _variants(name):
            if (folder / candidate).is_file():
                found[role] = folder / candidate
                break
    return found


def find_files(ds: IdxDataset, root: Path) -> dict[str, Path] | None:
    """The first searched folder that holds all four files, as role -> path."""
    for folder in search_dirs(ds, root):
        found = _files_in(folder)
        if len(found) == len(FILES):
            return found
    return None


def describe_search(ds: IdxDataset, root: Path) -> str:
    names = ", ".join(f"{n}[.gz]" for n in FILES.values())
    text = f"{names} in {', '.join(show_dir(d) for d in search_dirs(ds, root))}"
    for folder in search_dirs(ds, root):
        found = _files_in(folder)
        if found:  # a partial copy: say what is missing, that is the likely fix
            missing = ", ".join(FILES[r] for r in FILES if r not in found)
            text += f"; {show_dir(folder)} lacks {missing}"
    return text


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """Read one idx file (gzipped if its name ends in .gz), checking header and size."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"cannot read {path}: {exc}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(f"{path} is not an idx file (header {raw[:4].hex() or 'empty'}); "
                        f"expected magic 0x0000080{ndim}")
    if raw[3] != ndim:
        raise DataError(f"{path} has {raw[3]} dimensions, expected {ndim}")
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    dtype = _IDX_DTYPES[raw[2]]
    offset = 4 + 4 * ndim
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(raw) - offset != expected:
        raise DataError(f"{path} holds {len(raw) - offset} data bytes but its header {dims} needs {expected}; "
                        f"the file is truncated or corrupt")
    return np.frombuffer(raw, dtype=dtype, offset=offset).reshape(dims).astype(dtype.newbyteorder("="))


def _split(files: dict[str, Path], split: str) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(files[f"{split}_images"], 3)
    labels = read_idx(files[f"{split}_labels"], 1)
    if images.dtype != np.uint8:
        raise DataError(f"{files[f'{split}_images']} stores {images.dtype} values; image files must be unsigned bytes")
    if len(images) != len(labels):
        raise DataError(f"{files[f'{split}_images']} has {len(images)} images but "
                        f"{files[f'{split}_labels']} has {len(labels)} labels")
    return images[:, None, :, :], labels.astype(np.int64)


def missing_files(ds: IdxDataset, root: Path) -> str | None:
    """For validation: None when the four files are found, else what to put where."""
    return missing(ds.name, root, find=lambda base: find_files(ds, base), looked=lambda base: describe_search(ds, base))


def load(ds: IdxDataset, root: str, download: bool, url: str | None = None) -> DatasetBundle:
    """Load an idx dataset found under ``root`` (or downloaded into ``root/<Title>/raw``)."""
    files = locate(ds.name, root, download, find=lambda base: find_files(ds, base),
                   looked=lambda base: describe_search(ds, base), url=url)
    with reading(ds.name):
        train, test = _split(files, "train"), _split(files, "test")
    return make_bundle(ds.name, train, test, stats=ds.stats, class_names=ds.class_names)
