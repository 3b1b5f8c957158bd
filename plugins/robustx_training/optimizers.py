"""Optimizer factories: ``factory(param_groups, **params) -> torch.optim.Optimizer``.

robustx builds ``param_groups`` itself (parameters a module exempts with ``no_weight_decay()``
get their own group with ``weight_decay: 0``), so every optimizer honours the exemptions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from robustx.config.markers import Range
from robustx.host.declare import component

if TYPE_CHECKING:
    import torch

LearningRate = Annotated[float, Range(gt=0)]
WeightDecay = Annotated[float, Range(ge=0)]
Betas = tuple[Annotated[float, Range(ge=0, lt=1)], Annotated[float, Range(ge=0, lt=1)]]


@component("adam", kind="optimizer", description="Adam (torch.optim.Adam)")
def adam(param_groups: Any, *, lr: LearningRate = 1e-3, weight_decay: WeightDecay = 0.0,
         betas: Betas = (0.9, 0.999)) -> "torch.optim.Optimizer":
    import torch

    return torch.optim.Adam(param_groups, lr=lr, weight_decay=weight_decay, betas=tuple(betas))


@component("adamw", kind="optimizer", description="Adam with decoupled weight decay (torch.optim.AdamW)")
def adamw(param_groups: Any, *, lr: LearningRate = 1e-3, weight_decay: WeightDecay = 1e-2,
          betas: Betas = (0.9, 0.999)) -> "torch.optim.Optimizer":
    import torch

    return torch.optim.AdamW(param_groups, lr=lr, weight_decay=weight_decay, betas=tuple(betas))
