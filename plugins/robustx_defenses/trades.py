"""TRADES (Zhang et al. 2019): trade natural accuracy against boundary smoothness."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .awp import WeightPerturbation
from .base import MixedNaturalDefense
from .perturb import trades_examples
from .schedule import EpsSchedule


class Trades(MixedNaturalDefense):
    """CE(f(x), y) + beta * KL(f(x) || f(x')), with x' the KL-maximizing point in the Linf ball.

    As in the reference code the KL is summed over the batch and divided by the batch
    size, and its gradient flows through both f(x) and f(x'). ``label_smoothing`` applies to
    the CE term; with ``awp`` (Wu et al. 2020's TRADES-AWP) x' is found first, then the whole
    loss is taken at the weights that maximize it.
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
        label_smoothing: float = 0.0,
        awp: WeightPerturbation | None = None,
    ) -> None:
        super().__init__(natural_fraction, eps_schedule, label_smoothing, awp)
        self.beta, self.eps, self.alpha, self.steps = float(beta), float(eps), float(alpha), int(steps)

    def adversarial_loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.awp_active():
            x_adv = self._examples(model, x)
            forward = self.awp.perturbed(model, lambda f: -self._objective(f(x), f(x_adv), y, log=False))
            return self._objective(forward(x), forward(x_adv), y)
        logits = model(x)  # the natural forward first (BatchNorm statistics as before AWP existed)
        x_adv = self._examples(model, x)
        return self._objective(logits, model(x_adv), y)

    def _examples(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        factor = self.eps_factor()
        return trades_examples(model, x, self.eps * factor, self.alpha * factor, self.steps, self.ctx.generator)

    def _objective(self, logits: torch.Tensor, logits_adv: torch.Tensor, y: torch.Tensor,
                   log: bool = True) -> torch.Tensor:
        natural = self.ce(logits, y)
        kl = F.kl_div(F.log_softmax(logits_adv, dim=1), F.softmax(logits, dim=1), reduction="sum") / y.shape[0]
        if log:
            self.ctx.log("trades_kl", kl.item())
        return natural + self.beta * kl
