"""One training epoch: the loop a researcher would write by hand, with the defense's loss inside."""

from __future__ import annotations

import time
from typing import Any

import torch
from torch import nn

from ..defense import Defense, TrainContext
from ..progress import progress_bar
from .batches import DeviceImageSet


def train_one_epoch(model: nn.Module, defense: Defense, data: DeviceImageSet, optimizer: torch.optim.Optimizer,
                    *, ctx: TrainContext, batch_size: int, augment: str, scheduler: Any = None,
                    grad_clip: float | None = None, progress: bool = True) -> dict[str, float]:
    """Train for one pass over ``data``; returns train_loss, the defense's stats and seconds.

    The loss is accumulated on the device (no per-batch host sync), so the loop costs what a
    hand-written one costs.
    """
    model.train()
    ctx.stats = {}
    total = torch.zeros((), device=data.device)
    batches = 0
    start = time.perf_counter()
    bar = progress_bar(total=data.num_batches(batch_size), desc=f"epoch {ctx.epoch}", enabled=progress,
                       unit="batch")
    for x, y in data.batches(batch_size, shuffle=True, generator=ctx.generator, augment=augment):
        loss = defense.loss(model, x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        total += loss.detach()
        batches += 1
        ctx.step += 1
        bar.update(1)
    bar.close()
    metrics = {"train_loss": float(total) / max(batches, 1), "seconds": time.perf_counter() - start}
    metrics.update({k: v / max(batches, 1) for k, v in ctx.stats.items()})
    return metrics
