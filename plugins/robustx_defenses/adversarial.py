"""Adversarial training with registry attacks: PGD-AT, MAT-Rand / MAT-Max, clean+adversarial mixes."""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from robustx.train.defense import Attack, TrainContext

from .awp import WeightPerturbation
from .base import MixedNaturalDefense, attack_labels
from .perturb import eval_mode
from .schedule import EpsSchedule


class AttackTraining(MixedNaturalDefense):
    """Madry et al. 2018: minimize CE on the examples of one attack (PGD by default); AWP optional."""

    name = "pgd_at"

    def __init__(
        self, attack: dict[str, Any], natural_fraction: float = 0.0, eps_schedule: EpsSchedule | None = None,
        label_smoothing: float = 0.0, awp: WeightPerturbation | None = None,
    ) -> None:
        super().__init__(natural_fraction, eps_schedule, label_smoothing, awp)
        self.attack_spec = dict(attack)

    def setup(self, ctx: TrainContext) -> None:
        super().setup(ctx)
        self.attack = self.build_attack(self.attack_spec)

    def adversarial_loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x_adv = self.attack(x, y)
        if self.awp_active():  # Wu et al. 2020: the examples first, then the weights' worst case for them
            return self.ce(self.awp.perturbed(model, lambda forward: -self.ce(forward(x_adv), y))(x_adv), y)
        return self.ce(model(x_adv), y)


class MixedAttackTraining(MixedNaturalDefense):
    """Araujo et al. 2020 mixed adversarial training over several attacks (e.g. Linf and L2 PGD).

    ``strategy="rand"`` (MAT-Rand) attacks each batch with one attack drawn uniformly with
    the context's seeded generator; ``strategy="max"`` (MAT-Max) runs them all and keeps,
    per example, the one with the highest cross-entropy (chosen in eval mode, like the
    attacks themselves). How often each attack is used is logged as ``chosen_<name>``.
    """

    def __init__(
        self,
        attacks: list[dict[str, Any]],
        strategy: Literal["rand", "max"],
        natural_fraction: float = 0.0,
        eps_schedule: EpsSchedule | None = None,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(natural_fraction, eps_schedule, label_smoothing)
        self.attack_specs = [dict(spec) for spec in attacks]
        self.strategy = strategy
        self.name = f"mat_{strategy}"
        self.labels = attack_labels(self.attack_specs)

    def setup(self, ctx: TrainContext) -> None:
        super().setup(ctx)
        self.attacks: list[Attack] = [self.build_attack(spec) for spec in self.attack_specs]

    def adversarial_loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.strategy == "rand":
            x_adv = self._random_attack(x, y)
        else:
            x_adv = self._worst_case(model, x, y)
        return self.ce(model(x_adv), y)

    def _random_attack(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        generator = self.ctx.generator
        chosen = int(torch.randint(len(self.attacks), (), generator=generator, device=generator.device))
        for index, label in enumerate(self.labels):
            self.ctx.log(f"chosen_{label}", 1.0 if index == chosen else 0.0)
        return self.attacks[chosen](x, y)

    def _worst_case(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        candidates = [attack(x, y) for attack in self.attacks]
        x_adv, winner = most_damaging(model, candidates, y)
        for index, label in enumerate(self.labels):
            self.ctx.log(f"chosen_{label}", (winner == index).float().mean().item())
        return x_adv


def most_damaging(
    model: nn.Module, candidates: list[torch.Tensor], y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per example, the candidate with the highest cross-entropy; returns (examples, winning index)."""
    with torch.no_grad(), eval_mode(model):
        losses = torch.stack([F.cross_entropy(model(c), y, reduction="none") for c in candidates])
    winner = losses.argmax(dim=0)
    stacked = torch.stack(candidates)
    index = winner.view(1, -1, *([1] * (stacked.dim() - 2))).expand(1, *stacked.shape[1:])
    return stacked.gather(0, index).squeeze(0), winner


class CleanAdversarialMix(MixedNaturalDefense):
    """Kurakin et al. 2016 style adversarial training: (1 - w) CE(x) + w CE(x_adv).

    Without an ``attack`` component the examples come from the registry's ``cw_linf`` attack,
    the attack the decision-surface paper used for its AdvTrain baseline.
    """

    name = "adv_train_cw"

    def __init__(
        self,
        attack: dict[str, Any] | None,
        *,
        eps: float,
        alpha: float,
        steps: int,
        kappa: float = 0.0,
        adv_weight: float = 0.5,
        natural_fraction: float = 0.0,
        eps_schedule: EpsSchedule | None = None,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(natural_fraction, eps_schedule, label_smoothing)
        self.attack_spec = None if attack is None else dict(attack)
        self.cw_params = {"eps": float(eps), "alpha": float(alpha), "steps": int(steps), "kappa": float(kappa)}
        self.adv_weight = float(adv_weight)

    def setup(self, ctx: TrainContext) -> None:
        super().setup(ctx)
        if self.attack_spec is None:
            self.attack: Attack = self.build_attack({"name": "cw_linf", **self.cw_params})
        else:
            self.attack = self.build_attack(self.attack_spec)

    def adversarial_loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x_adv = self.attack(x, y)
        clean = self.ce(model(x), y)
        adversarial = self.ce(model(x_adv), y)
        return (1 - self.adv_weight) * clean + self.adv_weight * adversarial
