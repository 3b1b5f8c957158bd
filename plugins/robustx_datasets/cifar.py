"""CIFAR-10 and CIFAR-100 in their original python-pickle format, extracted or still in the tar.gz.

torchvision's readers insist on the md5 of the official files; this one reads any archive in
the genuine layout (so tests can write small ones). The batches are pickles, and a pickle can
run arbitrary code, so they are read with an unpickler that can build numpy arrays and nothing
else (see :class:`RestrictedUnpickler`).
"""

from __future__ import annotations

import io
import pickle
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from robustx.base.errors import DataError

from . import stats
from .bundle import Split, make_bundle
from .locate import locate, missing, reading, show_dir

if TYPE_CHECKING:
    from robustx.datasets.bundle import DatasetBundle


def _numpy_reconstruct() -> Any:
    try:  # numpy >= 2 (``numpy.core`` is then a deprecated alias)
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickle CIFAR batches: only numpy array reconstruction may be looked up.

    The genuine files are Python 2 pickles that name ``numpy.core.multiarray._reconstruct``,
    ``numpy.ndarray`` and ``numpy.dtype``; numpy 2 writes ``numpy._core.multiarray``. Anything
    else (``os.system``, ``builtins.eval`` ...) is refused before it can be called.
    """

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def __init__(self, file: io.BufferedIOBase, source: str) -> None:
        super().__init__(file, encoding="latin1")  # Python 2 str -> str, as numpy's own loader does
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            raise DataError(f"{self.source}: refusing to unpickle {module}.{name}; a CIFAR batch only needs "
                            f"numpy arrays, so this file is not a genuine CIFAR batch (it may be malicious)")
        if name == "_reconstruct":
            return _numpy_reconstruct()
        return np.ndarray if name == "ndarray" else np.dtype


def unpickle(raw: bytes, source: str) -> dict[str, Any]:
    """Restricted-unpickle one batch/meta file into a dict with str keys."""
    try:
        obj = RestrictedUnpickler(io.BytesIO(raw), source).load()
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - truncated or foreign files fail in many ways
        raise DataError(f"{source}: not a readable CIFAR pickle ({type(exc).__name__}: {exc})") from None
    if not isinstance(obj, dict):
        raise DataError(f"{source}: expected a pickled dict, got {type(obj).__name__}")
    return {(k.decode("latin1") if isinstance(k, bytes) else k): v for k, v in obj.items()}


@dataclass(frozen=True)
class CifarLayout:
    """The file names of one CIFAR variant."""

    name: str
    folder: str
    archive: str
    train: tuple[str, ...]
    test: tuple[str, ...]
    meta: str
    statistics: stats.Stats

    @property
    def members(self) -> tuple[str, ...]:
        return (*self.train, *self.test, self.meta)


CIFAR10 = CifarLayout("cifar10", "cifar-10-batches-py", "cifar-10-python.tar.gz",
                      tuple(f"data_batch_{i}" for i in range(1, 6)), ("test_batch",), "batches.meta", stats.CIFAR10)
CIFAR100 = CifarLayout("cifar100", "cifar-100-python", "cifar-100-python.tar.gz",
                       ("train",), ("test",), "meta", stats.CIFAR100)


def find_source(layout: CifarLayout, root: Path) -> Path | None:
    """The extracted folder (preferred: no decompression) or the original archive."""
    folder, archive = root / layout.folder, root / layout.archive
    if folder.is_dir() and all((folder / m).is_file() for m in layout.members):
        return folder
    if archive.is_file():
        return archive
    return None


def describe_search(layout: CifarLayout, root: Path) -> str:
    text = f"{show_dir(root / layout.folder)} and {root / layout.archive}"
    folder = root / layout.folder
    if folder.is_dir():
        missing = [m for m in layout.members if not (folder / m).is_file()]
        text += f"; {show_dir(folder)} lacks {', '.join(missing)}"
    return text


def read_files(layout: CifarLayout, source: Path) -> dict[str, dict[str, Any]]:
    """Every batch and the meta file, unpickled, from the folder or straight from the tar."""
    if source.is_dir():
        return {m: unpickle((source / m).read_bytes(), str(source / m)) for m in layout.members}
    wanted = {f"{layout.folder}/{m}": m for m in layout.members}
    found: dict[str, dict[str, Any]] = {}
    try:
        with tarfile.open(source, "r:*") as tar:
            for info in tar:  # one sequential pass: seeking back in a .gz stream decompresses again
                name = info.name.removeprefix("./")
                if name in wanted and info.isfile():
                    handle = tar.extractfile(info)
                    assert handle is not None
                    found[wanted[name]] = unpickle(handle.read(), f"{source}:{name}")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DataError(f"{layout.name}: cannot read {source} ({exc}); download the archive again") from None
    missing = [f"{layout.folder}/{m}" for m in layout.members if m not in found]
    if missing:
        raise DataError(f"{layout.name}: {source} lacks {', '.join(missing)}; the archive is incomplete, "
                        f"download it again")
    return found


def _batch(batch: dict[str, Any], label_key: str, source: str) -> Split:
    try:
        data, labels = batch["data"], batch[label_key]
    except KeyError as exc:
        raise DataError(f"{source}: batch has no {exc.args[0]!r} entry (keys: {', '.join(map(str, batch))})") from None
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        shape = getattr(data, "shape", type(data).__name__)
        raise DataError(f"{source}: 'data' must be a uint8 array of shape (N, 3072), got {shape}")
    labels = np.asarray(labels, dtype=np.int64)
    if labels.shape != (len(data),):
        raise DataError(f"{source}: {len(data)} images but {labels.size} labels")
    # each row: 1024 red, then 1024 green, then 1024 blue values, each a row-major 32x32 plane
    return data.reshape(-1, 3, 32, 32), labels


def _join(batches: list[Split]) -> Split:
    return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])


def _names(meta: dict[str, Any], key: str, source: str) -> tuple[str, ...]:
    if key not in meta:
        raise DataError(f"{source}: meta file has no {key!r} entry")
    return tuple(n.decode("latin1") if isinstance(n, bytes) else str(n) for n in meta[key])


def missing_files(layout: CifarLayout, root: Path) -> str | None:
    """For validation: None when the folder or archive is there, else what to put where."""
    return missing(layout.name, root, find=lambda base: find_source(layout, base),
                   looked=lambda base: describe_search(layout, base))


def load(layout: CifarLayout, root: str, download: bool, *, label: str = "labels",
         url: str | None = None) -> DatasetBundle:
    """Load CIFAR-10 (``label="labels"``) or CIFAR-100 (``label="fine_labels"``/``"coarse_labels"``)."""
    source = locate(layout.name, root, download, find=lambda base: find_source(layout, base),
                    looked=lambda base: describe_search(layout, base), url=url)
    where = str(source)
    with reading(layout.name):
        files = read_files(layout, source)
        train = _join([_batch(files[m], label, f"{where}/{m}") for m in layout.train])
        test = _join([_batch(files[m], label, f"{where}/{m}") for m in layout.test])
        names_key = "label_names" if label == "labels" else label.replace("_labels", "_label_names")
        class_names = _names(files[layout.meta], names_key, f"{where}/{layout.meta}")
    for split, tag in ((train, "train"), (test, "test")):
        if split[1].size and (split[1].min() < 0 or split[1].max() >= len(class_names)):
            raise DataError(f"{layout.name}: {tag} labels outside 0..{len(class_names) - 1} in {where}")
    return make_bundle(layout.name, train, test, stats=layout.statistics, class_names=class_names)
