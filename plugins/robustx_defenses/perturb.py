"""Inner maximizations that are part of a training method, not evaluation attacks.

FGSM-RS, the TRADES KL ascent and the C&W-loss Linf iteration are written here because
their details (model mode, random start, loss) are part of the defense being reproduced;
evaluation attacks come from the attack registry through ``TrainContext.create_attack``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Switch every submodule to eval and restore each one's own flag afterwards."""
    flags = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for module, training in flags:
            module.training = training


def project_linf(x_adv: torch.Tensor, x: torch.Tensor, eps: float) -> torch.Tensor:
    """Clip ``x_adv`` into the Linf ball of radius ``eps`` around ``x`` and into [0, 1]."""
    return torch.clamp(torch.min(torch.max(x_adv, x - eps), x + eps), 0.0, 1.0)


def uniform_like(x: torch.Tensor, low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    """U(low, high) noise shaped like ``x``, drawn from ``generator`` (which may live on another device)."""
    noise = torch.rand(x.shape, generator=generator, device=generator.device, dtype=x.dtype)
    return (noise * (high - low) + low).to(x.device)


def normal_like(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """N(0, 1) noise shaped like ``x``, drawn from ``generator``."""
    return torch.randn(x.shape, generator=generator, device=generator.device, dtype=x.dtype).to(x.device)


def logit_margin(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-example decision function g = z_y - max_{j != y} z_j (positive iff correctly classified)."""
    true = logits.gather(1, y[:, None]).squeeze(1)
    is_true = F.one_hot(y, logits.shape[1]).bool()
    best_other = logits.masked_fill(is_true, float("-inf")).amax(dim=1)
    return true - best_other


def fgsm_rs_examples(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, alpha: float, generator: torch.Generator
) -> torch.Tensor:
    """Wong et al. 2020: delta ~ U(-eps, eps), one signed-gradient step of size alpha, project, clamp.

    Like the reference code the step is taken in the model's current (training) mode, so
    BatchNorm uses batch statistics; torchattacks' FFGSM would switch to eval mode.
    """
    x = x.detach()
    delta = uniform_like(x, -eps, eps, generator)
    start = torch.clamp(x + delta, 0.0, 1.0).requires_grad_(True)
    loss = F.cross_entropy(model(start), y)
    (grad,) = torch.autograd.grad(loss, start)
    return project_linf(start.detach() + alpha * grad.sign(), x, eps).detach()


def trades_examples(
    model: nn.Module, x: torch.Tensor, eps: float, alpha: float, steps: int, generator: torch.Generator
) -> torch.Tensor:
    """Zhang et al. 2019 inner loop: signed ascent on KL(f(x) || f(x')) from x + 0.001 N(0, 1), in eval mode."""
    x = x.detach()
    with eval_mode(model):
        with torch.no_grad():
            clean_probs = F.softmax(model(x), dim=1)
        x_adv = x + 0.001 * normal_like(x, generator)
        for _ in range(steps):
            x_adv.requires_grad_(True)
            kl = F.kl_div(F.log_softmax(model(x_adv), dim=1), clean_probs, reduction="sum")
            (grad,) = torch.autograd.grad(kl, x_adv)
            x_adv = project_linf(x_adv.detach() + alpha * grad.sign(), x, eps)
    return x_adv.detach()


class CWLinfAttack:
    """Iterative Linf attack on the C&W loss max(z_y - max_{j!=y} z_j, -kappa) (Carlini & Wagner 2017).

    The decision-surface paper's AdvTrain baseline generates its examples with it (10
    iterations, step 0.1 on MNIST). Follows the attack contract: ``attack(x, y) -> x_adv``
    with ``norm`` and ``eps``; runs in eval mode and restores the model's modes.
    """

    norm = "Linf"

    def __init__(self, model: nn.Module, eps: float, alpha: float, steps: int, kappa: float = 0.0) -> None:
        self.model, self.eps, self.alpha, self.steps, self.kappa = model, eps, alpha, steps, kappa

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x = x.detach()
        x_adv = x.clone()
        with eval_mode(self.model):
            for _ in range(self.steps):
                x_adv.requires_grad_(True)
                # Ascend -margin until the example is misclassified by kappa (then the gradient is 0).
                objective = (-logit_margin(self.model(x_adv), y)).clamp(max=self.kappa).sum()
                (grad,) = torch.autograd.grad(objective, x_adv)
                x_adv = project_linf(x_adv.detach() + self.alpha * grad.sign(), x, self.eps)
        return x_adv.detach()
