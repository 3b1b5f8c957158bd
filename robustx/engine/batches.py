"""Batches straight from in-memory tensors on the training device (no per-sample DataLoader).

For MNIST/CIFAR/SVHN-sized data a whole split fits on the device; slicing a shuffled index
is faster than a DataLoader and keeps the loop identical to a hand-written one.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from ..data import ImageSet
from .augment import augment_batch


class DeviceImageSet:
    """An ``ImageSet`` moved once to ``device`` (kept uint8 when it is, to save memory)."""

    def __init__(self, images: ImageSet, device: torch.device) -> None:
        self.x = images.x.to(device)
        self.y = images.y.to(device)
        self.device = device

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def to_float(self, x: torch.Tensor) -> torch.Tensor:
        return x.float().div_(255.0) if x.dtype == torch.uint8 else x.float()

    def batches(
        self,
        batch_size: int,
        *,
        shuffle: bool = False,
        generator: torch.Generator | None = None,
        augment: str = "none",
        drop_last: bool = False,
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self)
        order = torch.randperm(n, generator=generator).to(self.device) if shuffle else None
        stop = n - n % batch_size if drop_last and n >= batch_size else n
        for start in range(0, stop, batch_size):
            if order is None:
                xb, yb = self.x[start:start + batch_size], self.y[start:start + batch_size]
            else:
                idx = order[start:start + batch_size]
                xb, yb = self.x[idx], self.y[idx]
            xb = self.to_float(xb)
            if augment != "none":
                xb = augment_batch(xb, augment, generator)
            yield xb, yb

    def num_batches(self, batch_size: int, drop_last: bool = False) -> int:
        n = len(self)
        return n // batch_size if drop_last and n >= batch_size else -(-n // batch_size)
