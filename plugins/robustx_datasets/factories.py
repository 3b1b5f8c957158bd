"""The dataset factories robustx sees: thin, annotated, and free of heavy imports.

Each factory imports its reader only when called, so ``robustx list datasets`` stays fast.
The core validates recipe parameters against these signatures (robustx/config/params.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from robustx.host.declare import component

if TYPE_CHECKING:
    from robustx.datasets.bundle import DatasetBundle


@component("digits", kind="dataset", aliases=("sklearn_digits",),
           description="scikit-learn 8x8 digits, 1x8x8, 10 classes, embedded (no files)")
def digits(*, root: str = "", download: bool = True) -> DatasetBundle:
    """scikit-learn's 8x8 digits, embedded: no files, no download (``root`` is ignored)."""
    from . import digits as reader

    return reader.load()


@component("mnist", kind="dataset", description="MNIST handwritten digits, 1x28x28, 10 classes (idx files)")
def mnist(*, root: str, download: bool = True, url: str | None = None) -> DatasetBundle:
    """MNIST idx files from root/MNIST/raw/, root/mnist/ or root/ (raw or .gz)."""
    from . import idx

    return idx.load(idx.MNIST, root, download, url)


@component("fashion_mnist", kind="dataset", aliases=("fashion-mnist", "fmnist"),
           description="Fashion-MNIST clothing, 1x28x28, 10 classes (idx files)")
def fashion_mnist(*, root: str, download: bool = True, url: str | None = None) -> DatasetBundle:
    """Fashion-MNIST idx files from root/FashionMNIST/raw/, root/fashion-mnist/, root/ or Debian's package."""
    from . import idx

    return idx.load(idx.FASHION_MNIST, root, download, url)


@component("cifar10", kind="dataset", aliases=("cifar-10",),
           description="CIFAR-10, 3x32x32, 10 classes (python pickle archive)")
def cifar10(*, root: str, download: bool = True, url: str | None = None) -> DatasetBundle:
    """CIFAR-10 from root/cifar-10-batches-py/ or root/cifar-10-python.tar.gz."""
    from . import cifar

    return cifar.load(cifar.CIFAR10, root, download, url=url)


@component("cifar100", kind="dataset", aliases=("cifar-100",),
           description="CIFAR-100, 3x32x32, 100 fine or 20 coarse classes (python pickle archive)")
def cifar100(*, root: str, download: bool = True, url: str | None = None,
             label: Literal["fine", "coarse"] = "fine") -> DatasetBundle:
    """CIFAR-100 with its 100 fine or 20 coarse (superclass) labels."""
    from . import cifar

    return cifar.load(cifar.CIFAR100, root, download, label=f"{label}_labels", url=url)


@component("svhn", kind="dataset", description="SVHN cropped digits, 3x32x32, 10 classes (.mat files)")
def svhn(*, root: str, download: bool = True, url: str | None = None) -> DatasetBundle:
    """SVHN cropped digits from root/train_32x32.mat and root/test_32x32.mat (label 10 read as 0)."""
    from . import svhn as reader

    return reader.load(root, download, url)


def _missing_files(reader: str, layout: str | None = None) -> Callable[..., str | None]:
    """A factory's ``missing_files(root, **params) -> str | None``: what ``recipe validate`` asks when
    downloading is off (robustx.config.data_source.check_data_available); the reader is imported only then."""

    def missing_files(root: Path, **_params: Any) -> str | None:
        module = importlib.import_module(f".{reader}", __package__)
        return module.missing_files(*((getattr(module, layout),) if layout else ()), root)

    return missing_files


mnist.missing_files = _missing_files("idx", "MNIST")  # type: ignore[attr-defined]
fashion_mnist.missing_files = _missing_files("idx", "FASHION_MNIST")  # type: ignore[attr-defined]
cifar10.missing_files = _missing_files("cifar", "CIFAR10")  # type: ignore[attr-defined]
cifar100.missing_files = _missing_files("cifar", "CIFAR100")  # type: ignore[attr-defined]
svhn.missing_files = _missing_files("svhn")  # type: ignore[attr-defined]
