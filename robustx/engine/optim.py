"""Optimizers and learning-rate schedules named in recipes (torch's own; nothing to plug in)."""

from __future__ import annotations

from typing import Any

import torch


def build_optimizer(params: Any, spec: dict[str, Any]) -> torch.optim.Optimizer:
    opts = {k: v for k, v in spec.items() if k != "name"}
    if spec["name"] == "sgd":
        return torch.optim.SGD(params, **opts)
    if spec["name"] == "adam":
        return torch.optim.Adam(params, **opts)
    return torch.optim.AdamW(params, **opts)


def build_schedule(optimizer: torch.optim.Optimizer, spec: dict[str, Any], epochs: int,
                   steps_per_epoch: int) -> tuple[Any, bool]:
    """Return (scheduler or None, steps_per_batch). Multistep/cosine step per epoch; one-cycle per batch."""
    name = spec["name"]
    if name == "multistep":
        return torch.optim.lr_scheduler.MultiStepLR(optimizer, spec["milestones"], spec["gamma"]), False
    if name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, max(epochs, 1), spec["eta_min"]), False
    if name == "onecycle":
        max_lr = spec["max_lr"] or optimizer.param_groups[0]["lr"]
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=max_lr, epochs=max(epochs, 1), steps_per_epoch=max(steps_per_epoch, 1),
            pct_start=spec["pct_start"]), True
    return None, False
