"""Shared behaviour of adversarial training methods: natural batches, attack building, eps warm-up."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from robustx.train.defense import Attack, Defense, TrainContext

from .awp import WeightPerturbation
from .schedule import EpsSchedule, scaled_spec


class MixedNaturalDefense(Defense):
    """A defense whose batches are adversarial, except a random ``natural_fraction`` of them.

    The seed report's "95% adversarial / 5% natural" mix: with probability
    ``natural_fraction`` a whole batch is trained on clean inputs instead, which costs
    nothing extra (Wu et al. 2021 mix inside the objective instead). The fraction used
    is logged as ``natural_fraction`` (1 or 0 per batch, so its epoch mean is the fraction).

    ``eps_schedule`` ramps every attack's ``eps`` and ``alpha`` by :meth:`eps_factor`
    (logged as ``eps_factor``); attacks from :meth:`build_attack` follow it automatically.
    """

    def __init__(self, natural_fraction: float = 0.0, eps_schedule: EpsSchedule | None = None,
                 label_smoothing: float = 0.0, awp: WeightPerturbation | None = None) -> None:
        self.natural_fraction = float(natural_fraction)
        self.eps_schedule = eps_schedule or EpsSchedule()
        self.label_smoothing = float(label_smoothing)
        self.awp = awp or WeightPerturbation()

    def ce(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The training cross-entropy, with the recipe's ``label_smoothing`` (never used by attacks)."""
        return F.cross_entropy(logits, y, label_smoothing=self.label_smoothing)

    def awp_active(self) -> bool:
        """Whether this step trains at AWP-perturbed weights (logged per batch as ``awp``)."""
        active = self.awp.active(self.ctx.epoch)
        if self.awp.gamma > 0:
            self.ctx.log("awp", 1.0 if active else 0.0)
        return active

    def eps_factor(self) -> float:
        """The warm-up factor of the current optimizer step (1 once warm-up is over)."""
        return self.eps_schedule.factor(self.ctx.step, self.ctx.steps_per_epoch)

    def loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        natural = self._draw_natural()
        self.ctx.log("natural_fraction", 1.0 if natural else 0.0)
        if self.eps_schedule.name != "constant":
            self.ctx.log("eps_factor", self.eps_factor())
        return self.natural_loss(model, x, y) if natural else self.adversarial_loss(model, x, y)

    def natural_loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The loss of a natural batch; plain cross-entropy unless a method says otherwise."""
        return self.ce(model(x), y)

    def adversarial_loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _draw_natural(self) -> bool:
        if self.natural_fraction <= 0:
            return False  # draw nothing, so other random choices do not depend on the mix
        draw = torch.rand((), generator=self.ctx.generator, device=self.ctx.generator.device)
        return bool(draw < self.natural_fraction)

    def build_attack(self, spec: dict[str, Any]) -> Attack:
        """Build one attack component (a copy of ``spec``) on the training model, warmed up if scheduled."""
        if self.eps_schedule.name == "constant":
            return self.ctx.create_attack(dict(spec), self.ctx.model)
        return ScheduledAttack(spec, self.ctx, self.eps_factor)


class ScheduledAttack:
    """An attack whose eps and step size follow a warm-up factor; rebuilt only when the factor changes.

    Rebuilding (rather than mutating a library attack's attributes) keeps robustx's parameter
    validation and works for any registered attack that takes ``eps``/``alpha``.
    """

    def __init__(self, spec: dict[str, Any], ctx: TrainContext, factor: Any) -> None:
        self.spec, self.ctx, self.factor = dict(spec), ctx, factor
        self._built: tuple[float, Attack] | None = None

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        factor = float(self.factor())
        if self._built is None or self._built[0] != factor:
            self._built = (factor, self.ctx.create_attack(scaled_spec(self.spec, factor), self.ctx.model))
        return self._built[1](x, y)


def attack_labels(specs: list[dict[str, Any]]) -> list[str]:
    """Log-key names for a list of attack specs: the attack name, numbered only when repeated."""
    names = [str(spec.get("name", "attack")) for spec in specs]
    return [name if names.count(name) == 1 else f"{name}_{i}" for i, name in enumerate(names)]
