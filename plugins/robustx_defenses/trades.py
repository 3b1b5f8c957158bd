"""TRADES (Zhang et al. 2019): trade natural accuracy against boundary smoothness."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .base import MixedNaturalDefense
from .perturb import trades_examples
from .schedule import EpsSchedule


class Trades(MixedNaturalDefense):
    """CE(f(x), y) + beta * KL(f(x) || f(x')), with x' the KL-maximizing point in the Linf ball.

    As in the reference code the KL is summed over the batch and divided by the batch
    size, and its gradient flows through both f(x) and f(x').
    """

    name = "trades"

    def __init__(
        self,
        beta: float,
        eps: float,
        alpha: float,
        steps: int,
        natural_fraction: float = 0.0,
        eps_schedule: EpsSchedule | None = None,
    ) -> None:
        super().__init__(natural_fraction, eps_schedule)
        self.beta, self.eps, self.alpha, self.steps = float(beta), float(eps), float(alpha), int(steps)

    def adversarial_loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        logits = model(x)
        natural = F.cross_entropy(logits, y)
        factor = self.eps_factor()
        x_adv = trades_examples(model, x, self.eps * factor, self.alpha * factor, self.steps, self.ctx.generator)
        kl = F.kl_div(F.log_softmax(model(x_adv), dim=1), F.softmax(logits, dim=1), reduction="sum") / x.shape[0]
        self.ctx.log("trades_kl", kl.item())
        return natural + self.beta * kl
