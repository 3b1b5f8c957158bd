"""Turn numpy splits into the tensors and facts of robustx's DatasetBundle contract."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from robustx.datasets.bundle import DatasetBundle, DatasetInfo, ImageSet

from .stats import Stats

Split = tuple[np.ndarray, np.ndarray]  # images (N, C, H, W) uint8, labels (N,) integers


def _image_set(split: Split) -> ImageSet:
    x, y = split
    return ImageSet(torch.from_numpy(np.ascontiguousarray(x, dtype=np.uint8)),
                    torch.from_numpy(np.ascontiguousarray(y, dtype=np.int64)))


def make_bundle(name: str, train: Split, test: Split, *, stats: Stats, class_names: Sequence[str]) -> DatasetBundle:
    """Wrap uint8 images and integer labels; shapes and classes come from the data itself."""
    _, channels, height, width = train[0].shape
    info = DatasetInfo(name=name, num_classes=len(class_names), in_channels=int(channels), image_size=int(height),
                       mean=tuple(stats.mean), std=tuple(stats.std), class_names=tuple(class_names))
    return DatasetBundle(train=_image_set(train), test=_image_set(test), info=info)
