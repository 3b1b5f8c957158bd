"""Signed-gradient ascent on the C&W margin loss, projected on the Linf ball (PGD with the C&W objective)."""

from __future__ import annotations

import torch
from torch import nn

from robustx.base.functional import logit_margin
from robustx.evaluation.attack_guard import check_images, finish, model_guard


class CWLinf:
    """``attack(x, y) -> x_adv``; runs the model in eval mode and restores every module's mode."""

    norm = "Linf"

    def __init__(self, model: nn.Module, *, eps: float, alpha: float, steps: int, kappa: float,
                 random_start: bool) -> None:
        self.model, self.eps, self.alpha, self.steps = model, eps, alpha, steps
        self.kappa, self.random_start = kappa, random_start

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        check_images(x, "cw_linf")
        x = x.detach()
        with model_guard(self.model):
            self.model.eval()
            x_adv = x.clone()
            if self.random_start:
                x_adv = (x_adv + torch.empty_like(x).uniform_(-self.eps, self.eps)).clamp(0, 1)
            for _ in range(self.steps):
                x_adv.requires_grad_(True)
                # Ascend -margin until the example is misclassified by kappa (then the gradient is 0).
                objective = (-logit_margin(self.model(x_adv), y)).clamp(max=self.kappa).sum()
                (grad,) = torch.autograd.grad(objective, x_adv)
                x_adv = x_adv.detach() + self.alpha * grad.sign()
                x_adv = torch.min(torch.max(x_adv, x - self.eps), x + self.eps).clamp(0, 1)
        return finish(x_adv, x)
