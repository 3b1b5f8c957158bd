"""Training for certification: IBP training (Gowal et al. 2018) and Gaussian augmentation (Cohen et al. 2019)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from robustx.train.defense import Defense, TrainContext

from . import ibp as interval


class IBPTraining(Defense):
    """Gowal et al.'s loss kappa * CE(z(x), y) + (1 - kappa) * CE(z_hat(x, eps), y), z_hat the worst-case
    logits IBP bounds. Their schedules: clean training for ``warmup_epochs``, then eps ramps linearly from
    0 to ``eps`` and kappa from 1 to ``kappa`` over ``ramp_epochs``; both stay there afterwards.
    Logged per epoch: ``ibp_eps``, ``ibp_kappa`` and ``verified_train`` (fraction of the batch certified)."""

    name = "ibp"

    def __init__(self, eps: float, kappa: float, warmup_epochs: float, ramp_epochs: float) -> None:
        self.eps, self.kappa = float(eps), float(kappa)
        self.warmup_epochs, self.ramp_epochs = float(warmup_epochs), float(ramp_epochs)

    def setup(self, ctx: TrainContext) -> None:
        super().setup(ctx)
        interval._graph(ctx.model)  # an unsupported model fails here, before the first batch

    def progress(self) -> float:
        """0 before and at the start of the ramp, 1 at its end (fraction of the target eps in use)."""
        per_epoch = max(self.ctx.steps_per_epoch, 1)
        done = self.ctx.step + 1 - self.warmup_epochs * per_epoch
        ramp = self.ramp_epochs * per_epoch
        if done <= 0:
            return 0.0
        return 1.0 if ramp <= 0 else min(1.0, done / ramp)

    def loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        t = self.progress()
        eps, kappa = t * self.eps, 1.0 - t * (1.0 - self.kappa)
        self.ctx.log("ibp_eps", eps)
        self.ctx.log("ibp_kappa", kappa)
        clean = F.cross_entropy(model(x), y)
        if eps <= 0:
            return clean
        z_hat = interval.worst_case_logits(model, x, y, eps)
        with torch.no_grad():
            self.ctx.log("verified_train", float((z_hat.amax(1) <= 0).float().mean()))
        return kappa * clean + (1 - kappa) * F.cross_entropy(z_hat, y)


class GaussianAugmentation(Defense):
    """Cross-entropy on x + N(0, sigma^2 I), unclipped, as Cohen et al. train the base classifier of a smoothed
    one (the same sigma as the certification's). Noise from the run's seeded generator."""

    name = "gaussian_aug"

    def __init__(self, sigma: float) -> None:
        self.sigma = float(sigma)

    def loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        gen = self.ctx.generator
        noise = torch.randn(x.shape, generator=gen, device=gen.device, dtype=x.dtype).to(x.device)
        return F.cross_entropy(model(x + self.sigma * noise), y)
