"""Schedule factories: ``factory(optimizer, *, epochs, steps_per_epoch, **params) -> (scheduler, per_batch)``.

``scheduler`` is a torch LR scheduler or None; ``per_batch`` says whether robustx steps it after
every batch (one-cycle) or after every epoch. ``epochs`` and ``steps_per_epoch`` come from the run.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

from robustx.config.markers import Range
from robustx.host.declare import component

Epoch = Annotated[int, Range(ge=0)]


@component("multistep", kind="schedule", description="multiply lr by gamma at epoch milestones (per epoch)")
def multistep(optimizer: Any, *, epochs: int, steps_per_epoch: int, milestones: list[Epoch] = [100, 150],
              gamma: Annotated[float, Range(gt=0)] = 0.1) -> tuple[Any, bool]:
    import torch

    return torch.optim.lr_scheduler.MultiStepLR(optimizer, list(milestones), gamma), False


@component("cosine", kind="schedule", description="cosine annealing to eta_min over the run (per epoch)")
def cosine(optimizer: Any, *, epochs: int, steps_per_epoch: int,
           eta_min: Annotated[float, Range(ge=0)] = 0.0) -> tuple[Any, bool]:
    import torch

    return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, max(epochs, 1), eta_min), False


@component("onecycle", kind="schedule", description="one-cycle policy up to max_lr (per batch)")
def onecycle(optimizer: Any, *, epochs: int, steps_per_epoch: int,
             max_lr: Optional[Annotated[float, Range(gt=0)]] = None,
             pct_start: Annotated[float, Range(gt=0, lt=1)] = 0.3) -> tuple[Any, bool]:
    """``max_lr`` defaults to the optimizer's lr."""
    import torch

    return torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=max_lr or optimizer.param_groups[0]["lr"], epochs=max(epochs, 1),
        steps_per_epoch=max(steps_per_epoch, 1), pct_start=pct_start), True
