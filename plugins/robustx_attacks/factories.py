"""Factories of our own attacks (torch-free module; the attack classes are imported lazily)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from robustx.config.markers import Range
from robustx.config.threat import threat_model
from robustx.host.declare import component

if TYPE_CHECKING:
    from torch import nn

    from .carlini_linf import CWLinf


@component("cw_linf", kind="attack", aliases=("cw_pgd",),
           description="iterative Linf attack on the C&W margin loss (Carlini & Wagner 2017)",
           smoke={"eps": 0.2, "alpha": 0.05, "steps": 10})
@threat_model(norm="Linf")
def cw_linf(model: "nn.Module", *, eps: Annotated[float, Range(ge=0, le=1)] = 0.3,
            alpha: Annotated[float, Range(gt=0)] = 0.1, steps: Annotated[int, Range(ge=1)] = 10,
            kappa: Annotated[float, Range(ge=0)] = 0.0, random_start: bool = False) -> "CWLinf":
    """C&W-Linf: Carlini & Wagner 2017, 'Towards Evaluating the Robustness of Neural Networks' (arXiv:1608.04644).

    Distance: Linf.
    Arguments: eps (budget); alpha (step size); steps; kappa (confidence margin: stop ascending once
    z_y - max_{j!=y} z_j < -kappa); random_start (uniform start in the ball).
    Shapes: x (N, C, H, W) in [0, 1], y (N,) -> x_adv like x.
    Example: ``{name: cw_linf, eps: 0.3, alpha: 0.1, steps: 10}`` (the decision-surface paper's MNIST setting).
    """
    from .carlini_linf import CWLinf

    return CWLinf(model, eps=eps, alpha=alpha, steps=steps, kappa=kappa, random_start=random_start)
