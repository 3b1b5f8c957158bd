"""Adversarial weight perturbation (AWP, Wu et al. 2020), an option of the adversarial defenses.

Each step trains on the loss at weights ``w + v``, where ``v`` is the layer-wise scaled ascent
direction of that same loss (one SGD step of a proxy, as in the reference code and ART's
``AdversarialTrainerAWPPyTorch``): for every weight matrix / conv kernel ``W``,
``v = gamma * ||W|| * d / ||d||`` with ``d`` the proxy's change. Biases and normalization
parameters (tensors of one dimension) are not perturbed.

Instead of adding ``v`` into the model and subtracting it after the optimizer step (which leaves
rounding error in the weights at every step), the perturbed forward is a
``torch.func.functional_call`` with ``W + v``: the gradient reaches ``W`` unchanged, and the
weights are never modified, so they are "restored" bitwise by construction. The only difference
from the reference update is that weight decay sees ``W`` rather than ``W + v``.

Import-light (no torch at import): factories parse the ``awp`` spec before any work starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from robustx.base.errors import ParamError

from .schedule import check_mapping

if TYPE_CHECKING:
    import torch
    from torch import nn

KEYS = ("gamma", "warmup_epochs", "proxy_lr")
#: Wu et al.'s proxy optimizer step size (their code's ``awp_lr``); it cancels in the scaling up to ``EPS``.
PROXY_LR = 0.01
#: Wu et al.'s division guard (ART uses 1e-8).
EPS = 1e-20

Forward = Callable[["torch.Tensor"], "torch.Tensor"]
#: ``objective(forward) -> loss``: the proxy's loss, i.e. minus the defense's loss, computed with ``forward``.
Objective = Callable[[Forward], "torch.Tensor"]


@dataclass(frozen=True)
class WeightPerturbation:
    """``gamma`` (0 = off) and how many epochs train without it first (``warmup_epochs``)."""

    gamma: float = 0.0
    warmup_epochs: int = 0
    proxy_lr: float = PROXY_LR

    def active(self, epoch: int) -> bool:
        """On from epoch ``warmup_epochs + 1`` (epochs count from 1), and only with ``gamma > 0``."""
        return self.gamma > 0 and epoch > self.warmup_epochs

    def perturbation(self, model: "nn.Module", objective: Objective) -> dict[str, "torch.Tensor"]:
        """``v`` per perturbed parameter name: the proxy's scaled descent step on ``objective`` (= -loss).

        The proxy pass runs on detached copies of the weights and of the buffers, so neither
        the model's gradients nor its BatchNorm running statistics see it (like a separate
        proxy module that is reloaded from the model at every step).
        """
        import torch
        from torch.func import functional_call

        names = perturbed_names(model)
        params = {n: p.detach().requires_grad_(n in names) for n, p in model.named_parameters()}
        buffers = {n: b.detach().clone() for n, b in model.named_buffers()}
        loss = objective(lambda x: functional_call(model, {**params, **buffers}, (x,)))
        grads = torch.autograd.grad(loss, [params[n] for n in names])
        out = {}
        for name, grad in zip(names, grads):
            weight = params[name].detach()
            diff = (weight - self.proxy_lr * grad) - weight  # the proxy's SGD step, rounded as the proxy's is
            out[name] = self.gamma * weight.norm() / (diff.norm() + EPS) * diff
        return out

    def perturbed(self, model: "nn.Module", objective: Objective) -> Forward:
        """The model's forward at ``w + v`` (gradients flow to ``w``; ``w`` itself is never changed)."""
        from torch.func import functional_call

        delta = self.perturbation(model, objective)

        def forward(x: "torch.Tensor") -> "torch.Tensor":
            weights = {n: p + delta[n] for n, p in model.named_parameters() if n in delta}
            return functional_call(model, weights, (x,))
        return forward


def perturbed_names(model: "nn.Module") -> list[str]:
    """Parameters AWP perturbs: trainable weights with more than one dimension (as Wu et al. and ART)."""
    return [n for n, p in model.named_parameters() if p.requires_grad and p.dim() > 1 and "weight" in n]


def parse_awp(spec: Any, where: str = "awp") -> WeightPerturbation:
    """A recipe's ``awp`` (None, a number = gamma, or ``{gamma, warmup_epochs, proxy_lr}``); one-line errors."""
    if spec is None:
        return WeightPerturbation()
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        spec = {"gamma": spec}
    check_mapping(spec, KEYS, where, "{gamma: 0.005, warmup_epochs: 0}")
    if "gamma" not in spec:
        raise ParamError(f"{where}.gamma: missing (the perturbation's size relative to each layer's weights, e.g. 0.005)")
    gamma = _number(spec["gamma"], f"{where}.gamma")
    if gamma > 1:
        raise ParamError(f"{where}.gamma: must be in [0, 1] (a fraction of each layer's weight norm), got {spec['gamma']!r}")
    warmup = _number(spec.get("warmup_epochs", 0), f"{where}.warmup_epochs")
    if warmup != int(warmup):
        raise ParamError(f"{where}.warmup_epochs: must be a whole number of epochs, got {spec['warmup_epochs']!r}")
    proxy_lr = _number(spec.get("proxy_lr", PROXY_LR), f"{where}.proxy_lr")
    if proxy_lr <= 0:
        raise ParamError(f"{where}.proxy_lr: must be > 0, got {spec['proxy_lr']!r}")
    return WeightPerturbation(gamma, int(warmup), proxy_lr)


def _number(value: Any, where: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParamError(f"{where}: expected a number, got {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(number) or number < 0:
        raise ParamError(f"{where}: must be a finite number >= 0, got {value!r}")
    return number
