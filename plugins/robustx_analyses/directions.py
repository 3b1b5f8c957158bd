"""Projection directions for input-space surfaces.

Two random kinds, each with a documented normalization so the axes have a meaning:

* ``sign``: entries are +-1 (Rademacher), so the direction has unit Linf norm and a step ``a``
  moves every pixel by exactly ``a`` -- the axis reads directly in Linf pixel units, the
  units of ``eps``.
* ``gaussian``: N(0, 1) entries scaled to unit L2 norm, so ``a`` is an L2 distance.

Adversarial directions are the sign of an attack objective's gradient (unit Linf, like
``sign``), pointing the way the attack moves:

* ``ce``: ascent of cross-entropy on the true label (untargeted, FGSM's direction),
* ``ll``: descent of cross-entropy on the least-likely class (targeted),
* ``cw``: descent of the C&W margin ``g`` (logit of y minus the best other logit).
"""

from __future__ import annotations

from typing import Literal

import torch

from .margin import cross_entropy, least_likely, logit_margin

RandomKind = Literal["sign", "gaussian"]
AdversarialKind = Literal["ce", "ll", "cw"]
DIRECTIONS = ("random", "ce", "ll", "cw")


def random_direction(shape: torch.Size | tuple[int, ...], kind: RandomKind = "sign",
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """One random direction per leading index of ``shape`` (N, C, H, W), normalized per example."""
    if kind == "sign":
        bits = torch.randint(0, 2, tuple(shape), generator=generator)
        return bits.float().mul_(2).sub_(1)
    if kind == "gaussian":
        d = torch.randn(tuple(shape), generator=generator)
        norms = d.flatten(1).norm(dim=1).clamp_min(1e-12)
        return d / norms.view(-1, *([1] * (d.dim() - 1)))
    raise ValueError(f"unknown random direction kind {kind!r}")


def adversarial_direction(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor,
                          kind: AdversarialKind = "ce") -> torch.Tensor:
    """Sign of the gradient of an attack objective at ``x`` (one direction per example)."""
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        logits = model(x)
        if kind == "ce":
            objective = cross_entropy(logits, y).sum()  # ascend
        elif kind == "ll":
            objective = -cross_entropy(logits, least_likely(logits).detach()).sum()  # descend
        elif kind == "cw":
            objective = -logit_margin(logits, y).sum()  # descend the margin
        else:
            raise ValueError(f"unknown adversarial direction {kind!r}")
        (grad,) = torch.autograd.grad(objective, x)
    return grad.sign()


def make_direction(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, kind: str,
                   random_kind: RandomKind = "sign",
                   generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``random`` or one of the adversarial kinds for a batch ``x``, and a mask of examples whose
    gradient was exactly zero (saturated or gradient-masked models). Those get a random direction
    instead, since a zero axis would draw a meaningless flat plane; callers should report them."""
    if kind == "random":
        return random_direction(x.shape, random_kind, generator).to(x.device), torch.zeros(len(x), dtype=torch.bool)
    direction = adversarial_direction(model, x, y, kind)  # type: ignore[arg-type]
    zero = direction.flatten(1).abs().amax(dim=1) == 0
    if bool(zero.any()):
        fallback = random_direction(x.shape, "sign", generator).to(x.device)
        direction = torch.where(zero.view(-1, *([1] * (x.dim() - 1))), fallback, direction)
    return direction, zero.cpu()
