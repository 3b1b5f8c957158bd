"""torchattacks' APGD and AutoAttack-rand without the silent clean-image fallback on randomized models.

torchattacks' APGD keeps an adversarial only if ONE forward pass of the (EOT) model misclassifies
it, and MultiAttack does the same between its attacks; on a randomized model every other example
comes back as the clean image, so the attack looks weaker than it is. Here APGD returns its
highest-loss iterate (torchattacks' own ``best_loss`` mode; the loss is the EOT model's, i.e. an
expected loss), and an ensemble keeps, per example, the candidate with the highest expected loss
over the evaluator's ``predictions`` stochastic passes (:func:`robustx.evaluation.stochastic.keep_worst`).
Imported only when such an attack is built (it imports torchattacks).
"""

from __future__ import annotations

import torch
import torchattacks
from torch import nn
from torchattacks.attack import Attack

from robustx.evaluation.stochastic import base_model, keep_worst

from .autoattack_config import PUBLISHED, RAND_EOT_ITER, Budget


class ExpectedLossAPGD(torchattacks.APGD):
    """APGD returning the iterate with the best (expected) loss over all restarts, never the clean image."""

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        images = images.clone().detach().to(self.device)
        labels = labels.clone().detach().to(self.device)
        _, adv_images = self.perturb(images, labels, best_loss=True)
        return adv_images


class ExpectedLossEnsemble(Attack):
    """Run every attack on every example; keep per example the one with the highest expected loss."""

    def __init__(self, model: nn.Module, attacks: list[Attack], predictions: int) -> None:
        super().__init__("ExpectedLossEnsemble", model)
        self.attacks = attacks
        self.predictions = predictions
        self.supported_mode = ["default"]

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        images = images.clone().detach().to(self.device)
        labels = labels.clone().detach().to(self.device)
        candidates = [attack(images, labels) for attack in self.attacks]
        return keep_worst(base_model(self.model), candidates, labels, self.predictions)


def rand_autoattack(model: nn.Module, *, norm: str, eps: float, budget: Budget = PUBLISHED) -> ExpectedLossEnsemble:
    """AutoAttack 'rand' (APGD-CE + APGD-DLR with EOT) for an :class:`~robustx.evaluation.stochastic.EOTModel`.

    The EOT model already averages ``model.samples`` passes per gradient, so each APGD adds only
    enough ``eot_iter`` to reach the published 20 gradient samples per step; ``budget`` gives the APGD
    iterations (the published 100, or fewer for ``autoattack_fast``).
    """
    eot_iter = max(1, round(RAND_EOT_ITER / max(1, getattr(model, "samples", 1))))
    attacks = [ExpectedLossAPGD(model, norm=norm, eps=eps, steps=budget.apgd_steps, n_restarts=1, loss=loss,
                                eot_iter=eot_iter,
                                seed=0) for loss in ("ce", "dlr")]
    return ExpectedLossEnsemble(model, attacks, getattr(model, "predictions", 10))
