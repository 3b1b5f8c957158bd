"""Registered defense factories: annotated parameters, lazy construction.

The annotations are what robustx validates a recipe against before any work starts,
so this module imports nothing heavy; each factory imports its implementation module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from robustx.errors import ParamError
from robustx.params import Range

if TYPE_CHECKING:
    from robustx.defense import Defense

#: Madry et al.'s CIFAR-10 budget, in [0,1] pixel units.
PGD_LINF = {"name": "pgd", "eps": 8 / 255, "alpha": 2 / 255, "steps": 10}
#: The seed report's MAT-Rand pair: Linf eps 0.03 / step 0.0075 and an L2 PGD.
MAT_ATTACKS = (
    {"name": "pgd", "eps": 0.03, "alpha": 0.0075, "steps": 10},
    {"name": "pgd_l2", "eps": 0.5, "alpha": 0.125, "steps": 10},
)

NaturalFraction = Annotated[float, Range(ge=0, lt=1)]
Eps = Annotated[float, Range(ge=0, le=1)]
Step = Annotated[float, Range(gt=0)]
Steps = Annotated[int, Range(ge=1)]
Weight = Annotated[float, Range(ge=0, le=1)]
Coefficient = Annotated[float, Range(ge=0)]


def standard() -> Defense:
    """Cross-entropy on clean inputs: the baseline every defense is compared with."""
    from .standard import StandardTraining

    return StandardTraining()


def pgd_at(*, attack: dict = PGD_LINF, natural_fraction: NaturalFraction = 0.0) -> Defense:
    """Madry et al. 2018: minimize CE on PGD examples (any attack component works)."""
    from .adversarial import AttackTraining

    return AttackTraining(attack, natural_fraction=natural_fraction)


def fgsm_rs(
    *,
    eps: Eps = 8 / 255,
    alpha: Step | None = None,
    co_threshold: Annotated[float, Range(gt=0, lt=1)] = 0.5,
    natural_fraction: NaturalFraction = 0.0,
) -> Defense:
    """Wong et al. 2020: one FGSM step (alpha = 1.25 * eps unless given) from a uniform start."""
    from .fast import FastAdversarialTraining

    return FastAdversarialTraining(
        eps, 1.25 * eps if alpha is None else alpha, co_threshold=co_threshold, natural_fraction=natural_fraction
    )


def mat_rand(*, attacks: list[dict] = MAT_ATTACKS, natural_fraction: NaturalFraction = 0.0) -> Defense:
    """Araujo et al. 2020 MAT-Rand: each batch is attacked by one attack drawn uniformly from ``attacks``."""
    from .adversarial import MixedAttackTraining

    return MixedAttackTraining(_non_empty(attacks), strategy="rand", natural_fraction=natural_fraction)


def mat_max(*, attacks: list[dict] = MAT_ATTACKS, natural_fraction: NaturalFraction = 0.0) -> Defense:
    """Araujo et al. 2020 MAT-Max: each example takes the attack that maximizes its loss."""
    from .adversarial import MixedAttackTraining

    return MixedAttackTraining(_non_empty(attacks), strategy="max", natural_fraction=natural_fraction)


def trades(
    *,
    beta: Coefficient = 6.0,
    eps: Eps = 0.031,
    alpha: Step = 0.007,
    steps: Steps = 10,
    natural_fraction: NaturalFraction = 0.0,
) -> Defense:
    """Zhang et al. 2019: CE(f(x), y) + beta * KL(f(x) || f(x')), x' maximizing the KL (reference defaults)."""
    from .trades import Trades

    return Trades(beta=beta, eps=eps, alpha=alpha, steps=steps, natural_fraction=natural_fraction)


def jacobian_reg(
    *,
    c: Coefficient = 500.0,
    norm: Literal["l1", "l2", "l2_squared"] = "l2",
    reduction: Literal["sum", "mean"] = "sum",
    attack: dict | None = None,
    adv_weight: Weight = 0.5,
    natural_fraction: NaturalFraction = 0.0,
) -> Defense:
    """Yu et al. 2018: CE + c * mean_i R(d margin(x_i) / d x_i); with ``attack``, their Ours+AdvTrain.

    ``reduction`` sums (the norm as written) or averages over input entries (the scale under
    which the paper's c=500 trains; with "sum", c around 0.1 is comparable on [0,1] images).
    """
    from .gradient_reg import JacobianRegularization

    return JacobianRegularization(
        c=c, norm=norm, reduction=reduction, attack=attack, adv_weight=adv_weight, natural_fraction=natural_fraction
    )


def ce_grad_reg(*, c: Coefficient = 1.0) -> Defense:
    """Ross & Doshi-Velez 2018: CE + c * mean_i ||d CE_i / d x_i||_2^2 (double backprop)."""
    from .gradient_reg import CrossEntropyGradientRegularization

    return CrossEntropyGradientRegularization(c=c)


def adv_train_cw(
    *,
    attack: dict | None = None,
    eps: Eps = 0.3,
    alpha: Step = 0.1,
    steps: Steps = 10,
    kappa: Coefficient = 0.0,
    adv_weight: Weight = 0.5,
    natural_fraction: NaturalFraction = 0.0,
) -> Defense:
    """The decision-surface paper's AdvTrain baseline: (1-w) CE(x) + w CE(x_adv).

    Without ``attack`` the examples come from the built-in C&W-loss Linf iterative attack
    (``eps``, ``alpha``, ``steps``, ``kappa``; defaults are the paper's MNIST setting).
    """
    from .adversarial import CleanAdversarialMix

    return CleanAdversarialMix(
        attack, eps=eps, alpha=alpha, steps=steps, kappa=kappa,
        adv_weight=adv_weight, natural_fraction=natural_fraction,
    )


def _non_empty(attacks: list[dict] | tuple[dict, ...]) -> list[dict]:
    if not attacks:
        raise ParamError("attacks: needs at least one attack")
    return [dict(spec) for spec in attacks]
