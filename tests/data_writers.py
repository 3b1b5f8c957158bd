"""Write small datasets in the genuine on-disk formats, so loaders are tested on real file layouts.

The official CIFAR, MNIST and SVHN files cannot be fetched in tests, and torchvision's readers
md5-check them anyway. These writers produce the same formats with a few random images:

* ``write_cifar10`` / ``write_cifar100``: ``cifar-10-batches-py/`` / ``cifar-100-python/`` with
  pickled batch dicts, extracted or as the original ``*-python.tar.gz``. By default the pickles
  are written byte-for-byte the way the official (Python 2) files are (protocol 2, Python 2
  ``str`` keys, ``numpy.core.multiarray._reconstruct``); ``pickle_style="py3"`` writes what
  re-pickling them with Python 3 and numpy 2 gives (``bytes`` keys, ``numpy._core``).
* ``write_mnist_idx`` / ``write_fashion_mnist``: the four idx files, raw or gzipped.
* ``write_svhn``: ``train_32x32.mat`` / ``test_32x32.mat`` with ``X`` (32, 32, 3, N) and ``y`` in 1..10.

Each returns a :class:`Written` with the exact arrays stored, in robustx's layout
(images (N, C, H, W) uint8, labels int64), for round-trip comparisons.
"""

from __future__ import annotations

import gzip
import io
import pickle
import struct
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CIFAR100_FINE = tuple(f"fine_{i:02d}" for i in range(100))
CIFAR100_COARSE = tuple(f"coarse_{i:02d}" for i in range(20))
#: a fixed fine -> coarse mapping (every superclass owns 5 fine classes, as in the real data)
CIFAR100_FINE_TO_COARSE = np.random.RandomState(100).permutation(np.repeat(np.arange(20), 5))

MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
#: dataset -> layout -> folder under root, as the loaders look for them
MNIST_FOLDERS = {
    "mnist": {"torchvision": "MNIST/raw", "folder": "mnist", "flat": ""},
    "fashion_mnist": {"torchvision": "FashionMNIST/raw", "folder": "fashion-mnist", "flat": ""},
}

PickleStyle = Literal["py2", "py3"]


@dataclass
class Written:
    """What a writer stored: the location and the exact arrays (images (N, C, H, W) uint8)."""

    path: Path
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    extra: dict[str, Any] = field(default_factory=dict)


def _images(rng: np.random.Generator, n: int, channels: int, size: int) -> np.ndarray:
    return rng.integers(0, 256, size=(n, channels, size, size), dtype=np.uint8)


# -- Python 2 style pickles -----------------------------------------------------------------------------


class _Py2Pickler:
    """Emit a protocol-2 pickle as Python 2's cPickle wrote the official CIFAR files.

    Python 3 cannot produce these (its ``bytes`` and numpy arrays pickle differently), so the
    few opcodes the CIFAR batches use are written by hand: dict, list, int, Python 2 ``str``
    (SHORT_BINSTRING/BINSTRING) and a C-ordered uint8 numpy array.
    """

    def __init__(self) -> None:
        self.out = bytearray(b"\x80\x02")  # PROTO 2

    def dump(self, obj: Any) -> bytes:
        self._emit(obj)
        self.out += b"."  # STOP
        return bytes(self.out)

    def _str(self, data: bytes) -> None:
        if len(data) < 256:
            self.out += b"U" + bytes([len(data)]) + data  # SHORT_BINSTRING
        else:
            self.out += b"T" + struct.pack("<I", len(data)) + data  # BINSTRING

    def _int(self, value: int) -> None:
        if 0 <= value < 256:
            self.out += b"K" + bytes([value])  # BININT1
        elif 0 <= value < 65536:
            self.out += b"M" + struct.pack("<H", value)  # BININT2
        else:
            self.out += b"J" + struct.pack("<i", value)  # BININT

    def _array(self, arr: np.ndarray) -> None:
        assert arr.dtype == np.uint8, "only uint8 arrays are needed"
        arr = np.ascontiguousarray(arr)
        out = self.out
        # _reconstruct(ndarray, (0,), 'b') ...
        out += b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85"
        self._str(b"b")
        out += b"\x87R"  # TUPLE3 REDUCE
        # ... then __setstate__((1, shape, dtype('u1'), False, raw bytes))
        out += b"(K\x01"
        out += b"("
        for dim in arr.shape:
            self._int(int(dim))
        out += b"t"
        out += b"cnumpy\ndtype\n"
        self._str(b"u1")
        out += b"K\x00K\x01\x87R"  # dtype('u1', 0, 1)
        out += b"(K\x03"  # dtype state: (3, '|', None, None, None, -1, -1, 0)
        self._str(b"|")
        out += b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
        out += b"\x89"  # NEWFALSE: not Fortran-ordered
        self._str(arr.tobytes())
        out += b"tb"  # TUPLE BUILD

    def _emit(self, obj: Any) -> None:
        if isinstance(obj, dict):
            self.out += b"}("
            for key, value in obj.items():
                self._emit(key)
                self._emit(value)
            self.out += b"u"  # SETITEMS
        elif isinstance(obj, (list, tuple)):
            self.out += b"]("
            for item in obj:
                self._emit(item)
            self.out += b"e"  # APPENDS
        elif isinstance(obj, bool) or obj is None:
            raise TypeError("not needed by CIFAR batches")
        elif isinstance(obj, (int, np.integer)):
            self._int(int(obj))
        elif isinstance(obj, str):
            self._str(obj.encode("latin1"))
        elif isinstance(obj, bytes):
            self._str(obj)
        elif isinstance(obj, np.ndarray):
            self._array(obj)
        else:
            raise TypeError(f"cannot write {type(obj).__name__} in a CIFAR pickle")


def py2_pickle(obj: Any) -> bytes:
    """``obj`` (dicts/lists of str, bytes, ints and uint8 arrays) as a Python 2 cPickle protocol-2 pickle."""
    return _Py2Pickler().dump(obj)


def cifar_pickle(obj: dict[str, Any], style: PickleStyle = "py2") -> bytes:
    """A CIFAR batch or meta dict, pickled like the official files (py2) or re-pickled by Python 3 (py3)."""
    if style == "py2":
        return py2_pickle(obj)
    keyed = {k.encode("latin1"): v for k, v in obj.items()}
    return pickle.dumps(keyed, protocol=3)  # protocol 3: plain bytes + numpy _reconstruct, no extra globals


# -- CIFAR --------------------------------------------------------------------------------------------


def _cifar_rows(x: np.ndarray) -> np.ndarray:
    """(N, 3, 32, 32) -> (N, 3072): all red values, then green, then blue, each plane row-major."""
    return x.reshape(len(x), 3 * 32 * 32)


def _batch(x: np.ndarray, labels: dict[str, np.ndarray], batch_label: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"batch_label": batch_label}
    for key, value in labels.items():
        entry[key] = [int(v) for v in value]  # plain ints: the genuine files hold Python lists
    entry["data"] = _cifar_rows(x)
    entry["filenames"] = [f"image_{i:05d}.png" for i in range(len(x))]
    return entry


def _write_members(root: Path, folder: str, members: dict[str, bytes], as_tar: bool, archive: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    if not as_tar:
        target = root / folder
        target.mkdir(parents=True, exist_ok=True)
        for name, data in members.items():
            (target / name).write_bytes(data)
        return target
    path = root / archive
    with tarfile.open(path, "w:gz") as tar:
        folder_info = tarfile.TarInfo(folder)
        folder_info.type, folder_info.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(folder_info)
        for name, data in members.items():
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return path


def write_cifar10(
    root: str | Path, n_train: int = 50, n_test: int = 20, as_tar: bool = False, seed: int = 0,
    pickle_style: PickleStyle = "py2",
) -> Written:
    """``root/cifar-10-batches-py/`` (or ``root/cifar-10-python.tar.gz``): 5 train batches, a test batch, meta."""
    rng = np.random.default_rng(seed)
    x_train, x_test = _images(rng, n_train, 3, 32), _images(rng, n_test, 3, 32)
    y_train, y_test = rng.integers(0, 10, n_train), rng.integers(0, 10, n_test)
    members: dict[str, bytes] = {}
    for i, chunk in enumerate(np.array_split(np.arange(n_train), 5), start=1):
        batch = _batch(x_train[chunk], {"labels": y_train[chunk]}, f"training batch {i} of 5")
        members[f"data_batch_{i}"] = cifar_pickle(batch, pickle_style)
    members["test_batch"] = cifar_pickle(_batch(x_test, {"labels": y_test}, "testing batch 1 of 1"), pickle_style)
    meta = {"num_cases_per_batch": max(1, n_train // 5), "label_names": list(CIFAR10_CLASSES), "num_vis": 3072}
    members["batches.meta"] = cifar_pickle(meta, pickle_style)
    members["readme.html"] = b"<html>small test copy of CIFAR-10</html>"
    path = _write_members(Path(root), "cifar-10-batches-py", members, as_tar, "cifar-10-python.tar.gz")
    return Written(path, x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64), CIFAR10_CLASSES)


def write_cifar100(
    root: str | Path, n_train: int = 50, n_test: int = 20, as_tar: bool = False, seed: int = 0,
    pickle_style: PickleStyle = "py2",
) -> Written:
    """``root/cifar-100-python/`` (or the tar.gz): train, test and meta with fine and coarse labels.

    ``Written.y_*`` are the fine labels; ``extra`` holds ``coarse_train``, ``coarse_test``, ``coarse_names``.
    """
    rng = np.random.default_rng(seed)
    x_train, x_test = _images(rng, n_train, 3, 32), _images(rng, n_test, 3, 32)
    fine_train, fine_test = rng.integers(0, 100, n_train), rng.integers(0, 100, n_test)
    coarse_train, coarse_test = CIFAR100_FINE_TO_COARSE[fine_train], CIFAR100_FINE_TO_COARSE[fine_test]
    members = {
        "train": cifar_pickle(_batch(x_train, {"fine_labels": fine_train, "coarse_labels": coarse_train}, "training"),
                              pickle_style),
        "test": cifar_pickle(_batch(x_test, {"fine_labels": fine_test, "coarse_labels": coarse_test}, "testing"),
                             pickle_style),
        "meta": cifar_pickle({"fine_label_names": list(CIFAR100_FINE), "coarse_label_names": list(CIFAR100_COARSE)},
                             pickle_style),
    }
    path = _write_members(Path(root), "cifar-100-python", members, as_tar, "cifar-100-python.tar.gz")
    extra = {"coarse_train": coarse_train.astype(np.int64), "coarse_test": coarse_test.astype(np.int64),
             "coarse_names": CIFAR100_COARSE}
    return Written(path, x_train, fine_train.astype(np.int64), x_test, fine_test.astype(np.int64), CIFAR100_FINE,
                   extra)


# -- MNIST-style idx -----------------------------------------------------------------------------------


def idx_bytes(array: np.ndarray) -> bytes:
    """An unsigned-byte idx file: magic 0x0000080<ndim>, big-endian uint32 dims, row-major data."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def write_idx(path: str | Path, array: np.ndarray, gz: bool = False) -> Path:
    """Write one idx file (``path`` gets ``.gz`` appended when ``gz``)."""
    path = Path(f"{path}.gz") if gz else Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def write_mnist_idx(
    root: str | Path, n_train: int = 60, n_test: int = 20, gz: bool = True,
    layout: Literal["torchvision", "folder", "flat"] = "torchvision", seed: int = 0,
    dataset: Literal["mnist", "fashion_mnist"] = "mnist", size: int = 28,
) -> Written:
    """The four idx files in ``root/MNIST/raw/`` (torchvision), ``root/mnist/`` (folder) or ``root/`` (flat).

    For ``dataset="fashion_mnist"`` the folders are ``FashionMNIST/raw`` and ``fashion-mnist``.
    """
    rng = np.random.default_rng(seed)
    x_train, x_test = _images(rng, n_train, 1, size), _images(rng, n_test, 1, size)
    y_train, y_test = rng.integers(0, 10, n_train), rng.integers(0, 10, n_test)
    folder = Path(root) / MNIST_FOLDERS[dataset][layout]
    arrays = {"train_images": x_train[:, 0], "train_labels": y_train, "test_images": x_test[:, 0],
              "test_labels": y_test}
    for role, name in MNIST_FILES.items():
        write_idx(folder / name, arrays[role], gz=gz)
    return Written(folder, x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64),
                   tuple(str(d) for d in range(10)))


def write_fashion_mnist(root: str | Path, **kwargs: Any) -> Written:
    """Like :func:`write_mnist_idx`, in Fashion-MNIST's folders."""
    return write_mnist_idx(root, dataset="fashion_mnist", **kwargs)


# -- SVHN ----------------------------------------------------------------------------------------------


def write_svhn(root: str | Path, n_train: int = 40, n_test: int = 20, seed: int = 0) -> Written:
    """``root/train_32x32.mat`` and ``root/test_32x32.mat``; digit 0 is stored as label 10, as in SVHN."""
    from scipy.io import savemat

    rng = np.random.default_rng(seed)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    out = {}
    for split, n in (("train", n_train), ("test", n_test)):
        x = _images(rng, n, 3, 32)
        y = rng.integers(0, 10, n)
        y[: min(n, 2)] = 0  # make sure the 0 -> 10 mapping is exercised
        stored = np.where(y == 0, 10, y).astype(np.uint8).reshape(n, 1)
        savemat(root / f"{split}_32x32.mat", {"X": np.transpose(x, (2, 3, 1, 0)), "y": stored})
        out[split] = (x, y.astype(np.int64))
    return Written(root, *out["train"], *out["test"], tuple(str(d) for d in range(10)))
