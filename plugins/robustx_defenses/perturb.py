"""Inner maximizations that are part of a training method, not evaluation attacks.

FGSM-RS and the TRADES KL ascent are written here because
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
