"""Shared behaviour of adversarial training methods: natural batches and attack building."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from robustx.defense import Attack, Defense


class MixedNaturalDefense(Defense):
    """A defense whose batches are adversarial, except a random ``natural_fraction`` of them.

    The seed report's "95% adversarial / 5% natural" mix: with probability
    ``natural_fraction`` a whole batch is trained on clean inputs instead, which costs
    nothing extra (Wu et al. 2021 mix inside the objective instead). The fraction used
    is logged as ``natural_fraction`` (1 or 0 per batch, so its epoch mean is the fraction).
    """

    def __init__(self, natural_fraction: float = 0.0) -> None:
        self.natural_fraction = float(natural_fraction)

    def loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        natural = self._draw_natural()
        self.ctx.log("natural_fraction", 1.0 if natural else 0.0)
        return self.natural_loss(model, x, y) if natural else self.adversarial_loss(model, x, y)

    def natural_loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The loss of a natural batch; plain cross-entropy unless a method says otherwise."""
        return F.cross_entropy(model(x), y)

    def adversarial_loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _draw_natural(self) -> bool:
        if self.natural_fraction <= 0:
            return False  # draw nothing, so other random choices do not depend on the mix
        draw = torch.rand((), generator=self.ctx.generator, device=self.ctx.generator.device)
        return bool(draw < self.natural_fraction)

    def build_attack(self, spec: dict[str, Any]) -> Attack:
        """Build one attack component (a copy of ``spec``) on the training model."""
        return self.ctx.create_attack(dict(spec), self.ctx.model)


def attack_labels(specs: list[dict[str, Any]]) -> list[str]:
    """Log-key names for a list of attack specs: the attack name, numbered only when repeated."""
    names = [str(spec.get("name", "attack")) for spec in specs]
    return [name if names.count(name) == 1 else f"{name}_{i}" for i, name in enumerate(names)]
