"""Target classes for ART's targeted mode (torchattacks picks its own the same way)."""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def pick_targets(model: nn.Module, x: torch.Tensor, y: torch.Tensor, mode: str) -> torch.Tensor:
    """``least_likely``: the lowest logit other than y; ``random``: a uniformly drawn class other than y.

    Random targets use torch's global RNG, so ``torch.manual_seed`` makes them repeat.
    """
    logits = model(x)
    y = y.to(logits.device)
    n = logits.shape[-1]
    if mode == "least_likely":
        masked = logits.float().scatter(1, y.view(-1, 1), float("inf"))
        return masked.argmin(dim=1)
    if mode == "random":
        offset = torch.randint(1, n, y.shape).to(y.device)
        return (y + offset) % n
    raise ValueError(f"unknown targeted mode {mode!r} (expected least_likely or random)")
