"""``train.ema``: an exponential moving average of the weights (Gowal et al. 2020, Rebuffi et al. 2021).

torch's ``AveragedModel`` with ``get_ema_multi_avg_fn(decay)`` does the averaging, with
``use_buffers=True``: BatchNorm statistics are averaged like the weights, as in the papers' code
(the averaged weights never see the raw model's batch statistics otherwise). It is updated after
every optimizer step that really happens (an optimizer step-post hook, so an fp16 step skipped on
inf is not averaged). For the first ``warmup_steps`` steps it copies the raw weights instead, so
a long ``decay`` does not drag the random initialization along.

The run validates, keeps as best, saves and evaluates the averaged weights; the raw weights and
this state both go into the checkpoint, so ``--resume`` continues bit for bit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import nn

if TYPE_CHECKING:
    from robustx.config.models import EMASettings


class WeightAverage:
    """The EMA of ``model``: ``module`` is the averaged copy, ``update()`` folds in the current weights."""

    def __init__(self, model: nn.Module, *, decay: float, warmup_steps: int = 0) -> None:
        from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn  # lazy: loads torch

        self.model, self.decay, self.warmup_steps = model, float(decay), int(warmup_steps)
        self.averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(self.decay), use_buffers=True)
        self.averaged.requires_grad_(False)
        self.updates = 0
        self._hook: Any = None

    @property
    def module(self) -> nn.Module:
        """The averaged model (same class and state-dict keys as the raw one)."""
        return self.averaged.module

    def attach(self, optimizer: torch.optim.Optimizer) -> None:
        """Update after each step of ``optimizer``."""
        self._hook = optimizer.register_step_post_hook(lambda *_args: self.update())

    def update(self) -> None:
        if self.updates < self.warmup_steps:
            self.averaged.n_averaged.zero_()  # AveragedModel copies when nothing has been averaged yet
        self.averaged.update_parameters(self.model)
        self.updates += 1

    def state_dict(self) -> dict[str, Any]:
        return {"averaged": self.averaged.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.averaged.load_state_dict(state["averaged"])
        self.updates = int(state["updates"])


def build_ema(model: nn.Module, spec: EMASettings | None, optimizer: torch.optim.Optimizer) -> WeightAverage | None:
    """The recipe's ``train.ema`` attached to ``optimizer`` (None when the recipe has none)."""
    if not spec:
        return None
    ema = WeightAverage(model, decay=spec.decay, warmup_steps=spec.warmup_steps)
    ema.attach(optimizer)
    return ema
