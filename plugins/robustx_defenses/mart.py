"""MART (Wang et al. 2020, "Improving adversarial robustness requires revisiting misclassified examples")."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from robustx.train.defense import TrainContext

from .awp import WeightPerturbation
from .base import MixedNaturalDefense
from .schedule import EpsSchedule

#: the reference code's guards: log(1.0001 - p), log(p + 1e-12), (1.0000001 - p_y)
MARGIN_GUARD, LOG_GUARD, WEIGHT_GUARD = 1.0001, 1e-12, 1.0000001


def mart_loss(logits: torch.Tensor, logits_adv: torch.Tensor, y: torch.Tensor, beta: float,
              label_smoothing: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Eq. 9: BCE(p(x'), y) + beta * mean_i KL(p(x_i) || p(x'_i)) * (1 - p_y(x_i)); returns (loss, KL term).

    BCE is the boosted cross-entropy: CE(p(x'), y) - log(1 - max_{k != y} p_k(x')). As in the
    reference code the KL's gradient flows through both the clean and the adversarial outputs,
    and so does the weight 1 - p_y(x). ``label_smoothing`` smooths the CE part only.
    """
    adv_probs = F.softmax(logits_adv, dim=1)
    top2 = torch.argsort(adv_probs, dim=1)[:, -2:]
    runner_up = torch.where(top2[:, -1] == y, top2[:, -2], top2[:, -1])  # the most likely wrong class
    boosted = (F.cross_entropy(logits_adv, y, label_smoothing=label_smoothing)
               + F.nll_loss(torch.log(MARGIN_GUARD - adv_probs + LOG_GUARD), runner_up))
    nat_probs = F.softmax(logits, dim=1)
    true_probs = nat_probs.gather(1, y.unsqueeze(1)).squeeze(1)
    kl = F.kl_div(torch.log(adv_probs + LOG_GUARD), nat_probs, reduction="none").sum(dim=1)
    robust = (kl * (WEIGHT_GUARD - true_probs)).sum() / y.shape[0]
    return boosted + beta * robust, robust


class Mart(MixedNaturalDefense):
    """Misclassification-aware adversarial training: the examples of ``attack`` (CE PGD), then :func:`mart_loss`.

    With ``awp`` (Wu et al. 2020 report MART-AWP too) the loss is taken at the weights that maximize it.
    """

    name = "mart"

    def __init__(self, attack: dict[str, Any], beta: float, natural_fraction: float = 0.0,
                 eps_schedule: EpsSchedule | None = None, label_smoothing: float = 0.0,
                 awp: WeightPerturbation | None = None) -> None:
        super().__init__(natural_fraction, eps_schedule, label_smoothing, awp)
        self.attack_spec, self.beta = dict(attack), float(beta)

    def setup(self, ctx: TrainContext) -> None:
        super().setup(ctx)
        self.attack = self.build_attack(self.attack_spec)

    def adversarial_loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x_adv = self.attack(x, y)
        if self.awp_active():
            forward = self.awp.perturbed(model, lambda f: -self._loss(f(x), f(x_adv), y, log=False))
            return self._loss(forward(x), forward(x_adv), y)
        return self._loss(model(x), model(x_adv), y)

    def _loss(self, logits: torch.Tensor, logits_adv: torch.Tensor, y: torch.Tensor, log: bool = True) -> torch.Tensor:
        loss, robust = mart_loss(logits, logits_adv, y, self.beta, self.label_smoothing)
        if log:
            self.ctx.log("mart_kl", robust.item())
        return loss
