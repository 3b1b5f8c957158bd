"""SVHN's cropped-digits format: ``train_32x32.mat`` / ``test_32x32.mat`` (MATLAB v5, read by scipy).

Each file holds ``X`` as (32, 32, 3, N) uint8 and ``y`` as (N, 1) with labels 1..10, where
10 stands for the digit 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from robustx.base.errors import DataError

from . import stats
from .bundle import Split, make_bundle
from .locate import locate, missing, reading

if TYPE_CHECKING:
    from robustx.datasets.bundle import DatasetBundle

FILES = {"train": "train_32x32.mat", "test": "test_32x32.mat"}


def find_files(root: Path) -> dict[str, Path] | None:
    paths = {split: root / name for split, name in FILES.items()}
    return paths if all(p.is_file() for p in paths.values()) else None


def read_mat(path: Path) -> Split:
    """Images as (N, 3, 32, 32) uint8 and labels 0..9."""
    from scipy.io import loadmat

    try:
        mat = loadmat(path, variable_names=("X", "y"))
    except Exception as exc:  # noqa: BLE001 - scipy raises many types for a bad file
        raise DataError(f"cannot read {path} ({type(exc).__name__}: {exc})") from None
    if "X" not in mat or "y" not in mat:
        raise DataError(f"{path} has no 'X' and 'y' variables; is it a cropped-digits (32x32) file?")
    x, y = mat["X"], np.asarray(mat["y"]).reshape(-1).astype(np.int64)
    if x.ndim != 4 or x.shape[:3] != (32, 32, 3) or x.shape[3] != len(y) or x.dtype != np.uint8:
        raise DataError(f"{path} 'X' must be uint8 of shape (32, 32, 3, {len(y)}), got {x.dtype} {x.shape}")
    if y.size and (y.min() < 1 or y.max() > 10):
        raise DataError(f"{path} labels must be 1..10, found {y.min()}..{y.max()}")
    y[y == 10] = 0
    return np.transpose(x, (3, 2, 0, 1)), y  # (H, W, C, N) -> (N, C, H, W)


def describe_search(root: Path) -> str:
    return " and ".join(str(root / n) for n in FILES.values())


def missing_files(root: Path) -> str | None:
    """For validation: None when both .mat files are there, else what to put where."""
    return missing("svhn", root, find=find_files, looked=describe_search)


def load(root: str, download: bool, url: str | None = None) -> DatasetBundle:
    files = locate("svhn", root, download, find=find_files, looked=describe_search, url=url)
    with reading("svhn"):
        train, test = read_mat(files["train"]), read_mat(files["test"])
    return make_bundle("svhn", train, test, stats=stats.SVHN, class_names=tuple(str(d) for d in range(10)))
