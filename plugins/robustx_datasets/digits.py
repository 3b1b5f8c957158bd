"""scikit-learn's embedded 8x8 digits: a real dataset that needs no files, for smoke runs and tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import stats
from .bundle import Split, make_bundle

if TYPE_CHECKING:
    from robustx.datasets.bundle import DatasetBundle

TEST_SIZE = 360  # of 1797: the usual 80/20 split, 1437 train / 360 test
SPLIT_SEED = 0


def images_and_labels() -> Split:
    """All 1797 images as (N, 1, 8, 8) uint8: the 0..16 ink levels scaled to 0..255."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = np.rint(data.images * (255.0 / 16.0)).astype(np.uint8)[:, None, :, :]
    return x, data.target.astype(np.int64)


def _class_quotas(counts: np.ndarray, total: int) -> np.ndarray:
    """Test images per class, proportional to class size and summing to ``total`` (largest remainder)."""
    exact = counts * total / counts.sum()
    quotas = np.floor(exact).astype(int)
    by_remainder = np.argsort(-(exact - quotas), kind="stable")
    quotas[by_remainder[: total - quotas.sum()]] += 1
    return quotas


def split_indices(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A fixed stratified split: the same test images on every machine and every run.

    ``RandomState`` is used on purpose: numpy guarantees its stream never changes.
    """
    rng = np.random.RandomState(SPLIT_SEED)
    classes, counts = np.unique(labels, return_counts=True)
    test = [rng.permutation(np.flatnonzero(labels == cls))[:quota]
            for cls, quota in zip(classes, _class_quotas(counts, TEST_SIZE))]
    test_idx = np.sort(np.concatenate(test))
    train_idx = np.setdiff1d(np.arange(len(labels)), test_idx)
    return train_idx, test_idx


def load() -> DatasetBundle:
    x, y = images_and_labels()
    train_idx, test_idx = split_indices(y)
    return make_bundle("digits", (x[train_idx], y[train_idx]), (x[test_idx], y[test_idx]),
                       stats=stats.DIGITS, class_names=tuple(str(d) for d in range(10)))
