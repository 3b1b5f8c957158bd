"""``data.extra``: every training batch mixes a fixed share of a second labelled source, on the device.

Gowal et al. 2020 / Rebuffi et al. 2021 / Wang et al. 2023 train on batches that are 70% generated
(or pseudo-labelled) images. As in their samplers, an epoch is one pass over the original training
set in batches of ``batch_size - k`` images, and each batch is completed with ``k = round(fraction *
batch_size)`` extra images drawn with replacement from the extra source (with the run's seeded
generator, so a resumed run draws the same ones); the whole batch is then augmented together.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import torch

from robustx.datasets.augment import augment_batch
from robustx.datasets.batches import DeviceImageSet

if TYPE_CHECKING:
    from robustx.base.distributed import Shard


class MixedImageSet:
    """The training split with ``fraction`` of every batch drawn from ``extra`` (both on one device)."""

    def __init__(self, main: Any, extra: DeviceImageSet, fraction: float) -> None:
        if not 0 < fraction < 1:
            raise ValueError(f"fraction must be in (0, 1), got {fraction}")
        self.main, self.extra, self.fraction = main, extra, float(fraction)
        self.device = main.device

    def __len__(self) -> int:
        return len(self.main)

    def split(self, batch_size: int) -> tuple[int, int]:
        """(original, extra) images per batch of ``batch_size``; at least one of each."""
        extra = min(max(round(self.fraction * batch_size), 1), batch_size - 1)
        return batch_size - extra, extra

    def shuffled_order(self, generator: torch.Generator | None, shard: "Shard | None" = None) -> torch.Tensor:
        return self.main.shuffled_order(generator, shard)

    def num_batches(self, batch_size: int, drop_last: bool = False, shard: "Shard | None" = None) -> int:
        return self.main.num_batches(self.split(batch_size)[0], drop_last=drop_last, shard=shard)

    def batches(self, batch_size: int, *, shuffle: bool = False, generator: torch.Generator | None = None,
                augment: str = "none", drop_last: bool = False, shard: "Shard | None" = None,
                **position: Any) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Batches of ``batch_size``: the original images (shuffled as without extra data) + extra draws.

        ``position`` (``order``, ``start_batch``) is passed to the original split's batches unchanged.
        """
        n_main, n_extra = self.split(batch_size)
        draw_gen = generator if generator is not None else torch.Generator().manual_seed(0)
        for xb, yb in self.main.batches(n_main, shuffle=shuffle, generator=generator, augment="none",
                                        drop_last=drop_last, shard=shard, **position):
            k = max(1, round(len(yb) * n_extra / n_main))  # a short last batch keeps the mix
            idx = torch.randint(len(self.extra), (k,), generator=draw_gen, device=draw_gen.device).to(self.device)
            xb = torch.cat([xb, self.extra.to_float(self.extra.x[idx])])
            yb = torch.cat([yb, self.extra.y[idx]])
            if augment != "none":
                xb = augment_batch(xb, augment, generator)
            yield xb, yb
