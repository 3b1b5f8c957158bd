"""Images that stay on disk: read in DataLoader workers, augmented on the device afterwards.

A dataset plugin whose split does not fit in memory returns ``ImageSet(LazyImages(...), labels)``:
the labels are a real tensor (they are cheap), the images an indexable stand-in that reads
files only when a batch needs them. ``on_device`` then gives the run a ``LoaderImageSet`` with
the same ``batches`` contract as the in-memory ``DeviceImageSet`` (which stays the default):
the same seeded order, the same per-rank shards under torchrun, the same augmentation, applied
on the device after the uint8 batch is copied there (pinned + non-blocking on CUDA).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import torch

from robustx.datasets.augment import augment_batch
from robustx.datasets.batches import DeviceImageSet
from robustx.datasets.bundle import ImageSet

if TYPE_CHECKING:
    from robustx.base.distributed import Shard

Reader = Callable[[str], torch.Tensor]  # path -> (C, H, W) uint8


class LazyImages:
    """(N, C, H, W) uint8 images read from ``files`` on demand; indexing gives a lazy subset."""

    dtype = torch.uint8

    def __init__(self, files: Sequence[str], read: Reader, chw: tuple[int, int, int]) -> None:
        self.files, self.read, self.chw = list(files), read, chw

    def __len__(self) -> int:
        return len(self.files)

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.files), *self.chw)

    def __getitem__(self, index: Any) -> "LazyImages":
        if isinstance(index, slice):
            files = self.files[index]
        else:
            files = [self.files[int(i)] for i in torch.as_tensor(index).reshape(-1)]
        return LazyImages(files, self.read, self.chw)

    def load(self, i: int) -> torch.Tensor:
        return self.read(self.files[i])

    def materialize(self) -> torch.Tensor:
        """All images as one tensor: for the few images of a preview, never for a training split."""
        if not self.files:
            return torch.zeros((0, *self.chw), dtype=torch.uint8)
        return torch.stack([self.load(i) for i in range(len(self))])

    # the tensor methods in-memory code paths call on small subsets (previews, tracked examples)
    def float(self) -> torch.Tensor:
        return self.materialize().float()

    def to(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        return self.materialize().to(*args, **kwargs)


def is_lazy(images: ImageSet) -> bool:
    return isinstance(images.x, LazyImages)


class _Rows(torch.utils.data.Dataset):
    def __init__(self, images: ImageSet) -> None:
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images.x.load(i), self.images.y[i]


class LoaderImageSet:
    """A lazy split behind a ``torch.utils.data.DataLoader`` (workers, pinned memory on CUDA)."""

    def __init__(self, images: ImageSet, device: torch.device, *, num_workers: int = 2) -> None:
        self.images, self.device, self.num_workers = images, device, num_workers
        self.y = images.y.to(device)

    @property
    def x(self) -> LazyImages:
        return self.images.x

    def __len__(self) -> int:
        return len(self.images)

    def rows(self, index: slice) -> "LoaderImageSet":
        return LoaderImageSet(ImageSet(self.images.x[index], self.images.y[index]), self.device,
                              num_workers=self.num_workers)

    def index_batches(self, batch_size: int, *, shuffle: bool, generator: torch.Generator | None,
                      drop_last: bool, shard: "Shard | None", order: torch.Tensor | None = None,
                      start_batch: int = 0) -> list[list[int]]:
        """The rows of each batch: the order and rank slices ``DeviceImageSet.batches`` would use."""
        n = len(self)
        if order is None or not shuffle:
            order = self.shuffled_order(generator, shard) if shuffle else torch.arange(n)
        order = order.cpu()
        stop = n - n % batch_size if drop_last and n >= batch_size else n
        out = []
        for start in range(start_batch * batch_size, stop, batch_size):
            idx = order[start:start + batch_size]
            if shard is not None and shuffle:
                if len(idx) < shard.world:
                    break
                idx = shard.take(idx)
            out.append(idx.tolist())
        return out

    def shuffled_order(self, generator: torch.Generator | None, shard: "Shard | None" = None) -> torch.Tensor:
        """The epoch's shuffled order, drawn exactly as ``DeviceImageSet.shuffled_order`` draws it."""
        order_gen = shard.order_generator() if shard is not None else generator
        return torch.randperm(len(self), generator=order_gen)

    def batches(self, batch_size: int, *, shuffle: bool = False, generator: torch.Generator | None = None,
                augment: Any = "none", drop_last: bool = False, shard: "Shard | None" = None,
                order: torch.Tensor | None = None,
                start_batch: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        plan = self.index_batches(batch_size, shuffle=shuffle, generator=generator, drop_last=drop_last, shard=shard,
                                  order=order, start_batch=start_batch)
        if not plan:
            return
        loader = torch.utils.data.DataLoader(_Rows(self.images), batch_sampler=plan, num_workers=self.num_workers,
                                             pin_memory=self.device.type == "cuda",
                                             persistent_workers=False)
        for xb, yb in loader:
            xb = xb.to(self.device, non_blocking=True).float().div_(255.0)
            if augment != "none":
                xb = augment_batch(xb, augment, generator)
            yield xb, yb.to(self.device, non_blocking=True)

    def num_batches(self, batch_size: int, drop_last: bool = False, shard: "Shard | None" = None) -> int:
        return len(self.index_batches(batch_size, shuffle=False, generator=None, drop_last=drop_last, shard=None)) - (
            1 if shard is not None and not drop_last and 0 < len(self) % batch_size < shard.world else 0)


def on_device(images: ImageSet, device: torch.device, *, num_workers: int = 2) -> "DeviceImageSet | LoaderImageSet":
    """In-memory splits move to the device once; lazy ones stream through a DataLoader."""
    if is_lazy(images):
        return LoaderImageSet(images, device, num_workers=num_workers)
    return DeviceImageSet(images, device)
