"""FGSM with random start ("Fast is better than free", Wong et al. 2020)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .base import MixedNaturalDefense
from .overfitting import CatastrophicOverfittingMonitor
from .perturb import fgsm_rs_examples
from .schedule import EpsSchedule


class FastAdversarialTraining(MixedNaturalDefense):
    """CE on one-step FGSM-RS examples; warns when catastrophic overfitting starts."""

    name = "fgsm_rs"

    def __init__(
        self,
        eps: float,
        alpha: float,
        co_threshold: float = 0.5,
        natural_fraction: float = 0.0,
        eps_schedule: EpsSchedule | None = None,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(natural_fraction, eps_schedule, label_smoothing)
        self.eps, self.alpha = float(eps), float(alpha)
        self.monitor = CatastrophicOverfittingMonitor(co_threshold)

    def adversarial_loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        factor = self.eps_factor()
        x_adv = fgsm_rs_examples(model, x, y, self.eps * factor, self.alpha * factor, self.ctx.generator)
        return self.ce(model(x_adv), y)

    def on_epoch_end(self, epoch: int, metrics: dict[str, Any]) -> None:
        self.monitor.update(epoch, metrics)
