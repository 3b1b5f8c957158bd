"""Vectorised batch augmentation: random crop with zero padding and horizontal flip (CIFAR style)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def random_crop(x: torch.Tensor, padding: int, generator: torch.Generator | None) -> torch.Tensor:
    """Pad by ``padding`` and crop back at a random offset per image, in one gather."""
    b, c, h, w = x.shape
    padded = F.pad(x, (padding,) * 4)
    oy = torch.randint(0, 2 * padding + 1, (b,), generator=generator).to(x.device)
    ox = torch.randint(0, 2 * padding + 1, (b,), generator=generator).to(x.device)
    rows = (oy[:, None] + torch.arange(h, device=x.device)[None, :])  # (B, H)
    cols = (ox[:, None] + torch.arange(w, device=x.device)[None, :])  # (B, W)
    bi = torch.arange(b, device=x.device)[:, None, None, None]
    ci = torch.arange(c, device=x.device)[None, :, None, None]
    return padded[bi, ci, rows[:, None, :, None], cols[:, None, None, :]]


def random_flip(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    flip = (torch.rand(x.shape[0], generator=generator) < 0.5).to(x.device)
    return torch.where(flip[:, None, None, None], x.flip(3), x)


def augment_batch(x: torch.Tensor, mode: str, generator: torch.Generator | None) -> torch.Tensor:
    if mode in ("crop", "crop_flip"):
        x = random_crop(x, 4 if x.shape[-1] >= 16 else 1, generator)
    if mode in ("flip", "crop_flip"):
        x = random_flip(x, generator)
    return x
