"""One training epoch: the loop a researcher would write by hand, with the defense's loss inside."""

from __future__ import annotations

import time
from typing import Any, Callable

import torch
from torch import nn

from robustx.base.progress import progress_bar
from robustx.datasets.batches import DeviceImageSet
from robustx.evaluation.stochastic import training_phase
from robustx.train.defense import Defense, TrainContext
from robustx.train.divergence import DivergenceGuard
from robustx.train.position import EpochInterrupted, EpochPosition
from robustx.train.precision import StepPrecision


def train_one_epoch(model: nn.Module, defense: Defense, data: DeviceImageSet, optimizer: torch.optim.Optimizer,
                    *, ctx: TrainContext, batch_size: int, augment: str, scheduler: Any = None,
                    grad_clip: float | None = None, progress: bool = True,
                    guard: DivergenceGuard | None = None, precision: StepPrecision | None = None,
                    shard: tuple[int, int] | None = None, stop: Callable[[], int | None] | None = None,
                    position: EpochPosition | None = None) -> dict[str, float]:
    """Train for one pass over ``data``; returns train_loss, the defense's stats and seconds.

    The loss is accumulated on the device (no per-batch host sync), so the loop costs what a
    hand-written one costs. ``guard`` (default: a fresh one) raises ``DivergenceError`` on a
    non-finite or exploding loss or non-finite weights. ``precision`` (default fp32) wraps the
    whole defense loss in autocast, so the training-time attack runs under it too. ``shard``
    (rank, world) trains on this rank's slice of every global batch (robustx.base.distributed).

    ``stop`` is asked after every batch (robustx.base.preemption); when it returns a signal number the
    loop raises ``EpochInterrupted`` with the epoch's ``EpochPosition``. ``position`` continues an
    epoch so cut: same order, from the next batch, with the loss and statistics accumulated so far.
    """
    guard = guard or DivergenceGuard()
    precision = precision or StepPrecision(device=data.device)
    guard.start_epoch(ctx.epoch)
    model.train()
    ctx.stats = dict(position.stats) if position else {}
    total = position.loss_total.to(data.device).clone() if position else torch.zeros((), device=data.device)
    batches = position.batch if position else 0
    order = position.order if position else data.shuffled_order(ctx.generator, shard)
    lr = position.lr if position else optimizer.param_groups[0]["lr"]
    start = time.perf_counter()
    bar = progress_bar(total=data.num_batches(batch_size, shard=shard), desc=f"epoch {ctx.epoch}",
                       enabled=progress, unit="batch")
    bar.update(batches)
    for x, y in data.batches(batch_size, shuffle=True, generator=ctx.generator, augment=augment, shard=shard,
                             order=order, start_batch=batches):
        with training_phase(), precision.autocast():  # noise off and autocast on, in the training attack too
            loss = defense.loss(model, precision.layout(x), y)
        guard.observe(loss, batches + 1)
        optimizer.zero_grad(set_to_none=True)
        precision.backward_step(loss, optimizer, model, grad_clip)
        if scheduler is not None:
            scheduler.step()
        total += loss.detach()
        batches += 1
        ctx.step += 1
        bar.update(1)
        signum = stop() if stop is not None else None
        if signum:
            bar.close()
            guard.check()  # a diverged batch is reported, never checkpointed
            raise EpochInterrupted(EpochPosition(ctx.epoch, batches, order, total, dict(ctx.stats), lr), signum)
    bar.close()
    guard.check()
    guard.check_weights(model)
    metrics = {"train_loss": float(total) / max(batches, 1), "seconds": time.perf_counter() - start}
    metrics.update({k: v / max(batches, 1) for k, v in ctx.stats.items()})
    return metrics
