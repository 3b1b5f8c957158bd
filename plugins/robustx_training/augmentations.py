"""Batch augmentation factories: ``factory(**params) -> augment(x, generator) -> x``.

They work on a whole batch on the training device (one gather, no per-image loop) and draw
all randomness from ``generator``, so a resumed run replays the same crops and flips.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Callable, Optional

from robustx.config.markers import Range
from robustx.host.declare import component

if TYPE_CHECKING:
    import torch

Augment = Callable[["torch.Tensor", "torch.Generator | None"], "torch.Tensor"]
Padding = Optional[Annotated[int, Range(ge=1, le=64)]]


def _pad_for(x: "torch.Tensor", padding: int | None) -> int:
    """CIFAR's 4 pixels for images of 16 px and more, 1 for tiny ones (8x8 digits)."""
    return padding if padding is not None else (4 if x.shape[-1] >= 16 else 1)


def random_crop(x: "torch.Tensor", padding: int, generator: "torch.Generator | None") -> "torch.Tensor":
    """Pad by ``padding`` and crop back at a random offset per image, in one gather."""
    import torch
    import torch.nn.functional as F

    b, c, h, w = x.shape
    padded = F.pad(x, (padding,) * 4)
    oy = torch.randint(0, 2 * padding + 1, (b,), generator=generator).to(x.device)
    ox = torch.randint(0, 2 * padding + 1, (b,), generator=generator).to(x.device)
    rows = (oy[:, None] + torch.arange(h, device=x.device)[None, :])  # (B, H)
    cols = (ox[:, None] + torch.arange(w, device=x.device)[None, :])  # (B, W)
    bi = torch.arange(b, device=x.device)[:, None, None, None]
    ci = torch.arange(c, device=x.device)[None, :, None, None]
    return padded[bi, ci, rows[:, None, :, None], cols[:, None, None, :]]


def random_flip(x: "torch.Tensor", generator: "torch.Generator | None") -> "torch.Tensor":
    import torch

    flip = (torch.rand(x.shape[0], generator=generator) < 0.5).to(x.device)
    return torch.where(flip[:, None, None, None], x.flip(3), x)


@component("crop", kind="augmentation", description="random crop after zero padding")
def crop(*, padding: Padding = None) -> Augment:
    """``padding`` pixels of zeros on each side (default 4, or 1 for images under 16 px)."""
    return lambda x, generator: random_crop(x, _pad_for(x, padding), generator)


@component("flip", kind="augmentation", description="random horizontal flip")
def flip() -> Augment:
    return random_flip


@component("crop_flip", kind="augmentation", description="random crop then flip (CIFAR standard)")
def crop_flip(*, padding: Padding = None) -> Augment:
    """Crop (as ``crop``) then flip: the standard CIFAR augmentation."""
    return lambda x, generator: random_flip(random_crop(x, _pad_for(x, padding), generator), generator)
