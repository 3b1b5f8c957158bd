"""Input-gradient regularization by double backpropagation (Drucker & Le Cun 1991).

Two methods: the decision-surface paper's logit-margin Jacobian regularizer (Yu et al.
2018, section 5) and Ross & Doshi-Velez's cross-entropy gradient penalty. Per-example
input gradients are obtained as the gradient of the batch *sum*, which is exact when
examples do not interact (no BatchNorm in train mode; with it, the batch statistics add
small cross-example terms, as in every double-backprop implementation).
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from robustx.base.functional import logit_margin
from robustx.train.defense import Defense, TrainContext

from .base import MixedNaturalDefense
from .schedule import EpsSchedule

Norm = Literal["l1", "l2", "l2_squared"]
Reduction = Literal["sum", "mean"]


def margin_input_gradient(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, create_graph: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """(d g(x_i) / d x_i for each example, logits), g the logit margin z_y - max_{j != y} z_j."""
    x = x.detach().requires_grad_(True)
    logits = model(x)
    margin = logit_margin(logits, y).sum()
    (grad,) = torch.autograd.grad(margin, x, create_graph=create_graph, retain_graph=True)
    return grad, logits


def per_example_norm(grad: torch.Tensor, norm: Norm, reduction: Reduction = "sum") -> torch.Tensor:
    """The norm R of each example's gradient (flattened over channels and pixels).

    ``reduction="mean"`` averages over the d input entries instead of summing (l1 and
    l2_squared divided by d, l2 by sqrt(d)): the scale of a TensorFlow-style
    ``reduce_mean(square(grad))``, under which the paper's c=500 is a workable strength.
    """
    flat = grad.flatten(1)
    d = flat.shape[1]
    if norm == "l1":
        value = flat.abs().sum(dim=1)
    elif norm == "l2":
        value = torch.linalg.vector_norm(flat, dim=1)
        return value / d ** 0.5 if reduction == "mean" else value
    else:
        value = flat.pow(2).sum(dim=1)
    return value / d if reduction == "mean" else value


def jacobian_penalty(model: nn.Module, x: torch.Tensor, y: torch.Tensor, norm: Norm = "l2") -> torch.Tensor:
    """mean_i R(d g(x_i) / d x_i): the batch mean keeps ``c`` independent of the batch size."""
    grad, _ = margin_input_gradient(model, x, y)
    return per_example_norm(grad, norm).mean()


class JacobianRegularization(MixedNaturalDefense):
    """Yu et al. 2018: CE + c * mean_i R(grad_x g(x_i)), R in {l1, l2, l2_squared}.

    With an ``attack`` component it is the paper's "Ours+AdvTrain": the cross-entropy is
    ``(1 - adv_weight) CE(x) + adv_weight CE(x_adv)`` and the Jacobian term stays on clean
    inputs; ``natural_fraction`` then sets how many batches skip the attack.
    """

    name = "jacobian_reg"

    def __init__(
        self,
        *,
        c: float,
        norm: Norm = "l2_squared",
        reduction: Reduction = "mean",
        attack: dict[str, Any] | None = None,
        adv_weight: float = 0.5,
        natural_fraction: float = 0.0,
        eps_schedule: EpsSchedule | None = None,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(natural_fraction, eps_schedule, label_smoothing)
        self.c, self.norm, self.reduction, self.adv_weight = float(c), norm, reduction, float(adv_weight)
        self.attack_spec = None if attack is None else dict(attack)
        self.attack = None

    def setup(self, ctx: TrainContext) -> None:
        super().setup(ctx)
        if self.attack_spec is not None:
            self.attack = self.build_attack(self.attack_spec)

    def loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.attack is None:
            return self.natural_loss(model, x, y)
        return super().loss(model, x, y)

    def natural_loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        penalty, logits = self._penalty(model, x, y)
        return self.ce(logits, y) + self.c * penalty

    def adversarial_loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        assert self.attack is not None
        x_adv = self.attack(x, y)
        penalty, logits = self._penalty(model, x, y)
        clean = self.ce(logits, y)
        adversarial = self.ce(model(x_adv), y)
        return (1 - self.adv_weight) * clean + self.adv_weight * adversarial + self.c * penalty

    def _penalty(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        grad, logits = margin_input_gradient(model, x, y, create_graph=self.c > 0)
        penalty = per_example_norm(grad, self.norm, self.reduction).mean()
        self.ctx.log("jacobian_norm", penalty.item())
        return penalty, logits


class CrossEntropyGradientRegularization(Defense):
    """Ross & Doshi-Velez 2018: CE + c * mean_i ||d CE(x_i, y_i) / d x_i||_2^2."""

    name = "ce_grad_reg"

    def __init__(self, c: float = 1.0, label_smoothing: float = 0.0) -> None:
        self.c, self.label_smoothing = float(c), float(label_smoothing)

    def loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x = x.detach().requires_grad_(True)
        per_example = F.cross_entropy(model(x), y, reduction="none", label_smoothing=self.label_smoothing)
        (grad,) = torch.autograd.grad(per_example.sum(), x, create_graph=self.c > 0, retain_graph=True)
        penalty = grad.flatten(1).pow(2).sum(dim=1).mean()
        self.ctx.log("ce_grad_sq_norm", penalty.item())
        return per_example.mean() + self.c * penalty
