"""Batches straight from in-memory tensors on the training device (no per-sample DataLoader).

For MNIST/CIFAR/SVHN-sized data a whole split fits on the device; slicing a shuffled index
is faster than a DataLoader and keeps the loop identical to a hand-written one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import torch

from robustx.datasets.augment import augment_batch
from robustx.datasets.bundle import ImageSet

if TYPE_CHECKING:
    from robustx.base.distributed import Shard


class DeviceImageSet:
    """An ``ImageSet`` moved once to ``device`` (kept uint8 when it is, to save memory)."""

    def __init__(self, images: ImageSet, device: torch.device) -> None:
        self.x = images.x.to(device)
        self.y = images.y.to(device)
        self.device = device

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def rows(self, index: slice) -> "DeviceImageSet":
        """Rows ``index`` (e.g. this rank's part of an evaluation), without another copy to the device."""
        return DeviceImageSet(ImageSet(self.x[index], self.y[index]), self.device)

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
        shard: "Shard | None" = None,
        order: torch.Tensor | None = None,
        start_batch: int = 0,
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Batches of ``batch_size`` (a shuffled order with ``shuffle``).

        With ``shard`` (shuffled training under torchrun) every rank draws the same order from
        the shard's own generator and keeps its slice of each global batch, so the ranks' data
        are disjoint and together make the recipe's global batch; ``generator`` then serves only
        the rank's augmentation. ``order`` (from ``shuffled_order``) and ``start_batch`` continue an
        epoch that a preemption cut (robustx.base.preemption): same order, from the batch after the last one done.
        """
        n = len(self)
        if shuffle and order is None:
            order = self.shuffled_order(generator, shard)
        order = order.to(self.device) if shuffle and order is not None else None
        stop = n - n % batch_size if drop_last and n >= batch_size else n
        for start in range(start_batch * batch_size, stop, batch_size):
            if order is None:
                xb, yb = self.x[start:start + batch_size], self.y[start:start + batch_size]
            else:
                idx = order[start:start + batch_size]
                if shard is not None:
                    if len(idx) < shard.world:  # a last batch too small to give every rank an image
                        break
                    idx = shard.take(idx)
                xb, yb = self.x[idx], self.y[idx]
            xb = self.to_float(xb)
            if augment != "none":
                xb = augment_batch(xb, augment, generator)
            yield xb, yb

    def shuffled_order(self, generator: torch.Generator | None, shard: "Shard | None" = None) -> torch.Tensor:
        """The epoch's shuffled order (CPU), drawn exactly as ``batches(shuffle=True)`` draws it."""
        order_gen = shard.order_generator() if shard is not None else generator
        return torch.randperm(len(self), generator=order_gen)

    def num_batches(self, batch_size: int, drop_last: bool = False, shard: "Shard | None" = None) -> int:
        n = len(self)
        full = n // batch_size if drop_last and n >= batch_size else -(-n // batch_size)
        return full - 1 if shard is not None and not drop_last and 0 < n % batch_size < shard.world else full
