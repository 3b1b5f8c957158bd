"""Registered certifier and defense factories: annotated parameters, no torch at import time.

The annotations are what robustx validates ``evaluate.certify`` and ``train.defense`` against before
any work starts; each factory imports its implementation when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

from robustx.base.errors import ParamError
from robustx.config.markers import Range
from robustx.host.declare import component

if TYPE_CHECKING:
    from robustx.train.defense import Defense

Eps = Annotated[float, Range(ge=0, le=1)]
Radius = Annotated[float, Range(ge=0)]
Sigma = Annotated[float, Range(gt=0)]
Count = Annotated[int, Range(ge=1)]
Alpha = Annotated[float, Range(gt=0, lt=0.5)]
Fraction = Annotated[float, Range(ge=0, le=1)]
Epochs = Annotated[float, Range(ge=0)]


def _budgets(value: Any, where: str) -> list[float]:
    values = sorted({float(v) for v in (value if isinstance(value, (list, tuple)) else [value])})
    if not values:
        raise ParamError(f"{where}: give at least one budget")
    return values


@component("ibp", kind="certifier", aliases=("interval",),
           description="Interval bound propagation: certified Linf accuracy (Gowal et al. 2018)")
def ibp(model: Any, *, eps: Eps | list[Eps] = 0.1) -> Any:
    """Interval bound propagation (Gowal et al. 2018): certified Linf accuracy at each ``eps`` (one or a list)."""
    from .certifiers import IBPCertifier

    return IBPCertifier(model, _budgets(eps, "eps"))


@component("smoothing", kind="certifier", aliases=("randomized_smoothing",),
           description="Randomized smoothing CERTIFY: certified L2 radii of the smoothed classifier "
                       "(Cohen et al. 2019)")
def smoothing(model: Any, *, sigma: Sigma = 0.25, n0: Count = 100, n: Count = 1000, alpha: Alpha = 0.001,
              radii: list[Radius] = (0.25, 0.5, 0.75, 1.0), batch_size: Count = 1000, seed: int = 0,
              num_classes: Optional[Count] = None) -> Any:
    """Randomized smoothing CERTIFY (Cohen et al. 2019): certified L2 radius per example of the smoothed
    classifier with noise ``sigma``; ``n0`` selection and ``n`` estimation draws, failure probability ``alpha``."""
    from .certifiers import SmoothingCertifier

    return SmoothingCertifier(model, sigma=sigma, n0=n0, n=n, alpha=alpha, radii=_budgets(list(radii), "radii"),
                              batch_size=batch_size, seed=seed, num_classes=num_classes)


@component("ibp", kind="defense", aliases=("ibp_training",),
           description="IBP training with eps ramp and kappa schedule (Gowal et al. 2018)")
def ibp_training(*, eps: Eps = 0.1, kappa: Fraction = 0.5, warmup_epochs: Epochs = 0.0,
                 ramp_epochs: Epochs = 1.0) -> Defense:
    """IBP training (Gowal et al. 2018): kappa_t * CE(z) + (1 - kappa_t) * CE(z_hat(eps_t)); eps_t ramps
    linearly 0 -> ``eps`` and kappa_t 1 -> ``kappa`` over ``ramp_epochs`` after ``warmup_epochs`` of clean training."""
    from .training import IBPTraining

    return IBPTraining(eps, kappa, warmup_epochs, ramp_epochs)


@component("gaussian_aug", kind="defense", aliases=("gaussian_noise",),
           description="Gaussian noise augmentation, the base classifier of randomized smoothing (Cohen et al. 2019)")
def gaussian_aug(*, sigma: Sigma = 0.25) -> Defense:
    """Gaussian data augmentation (Cohen et al. 2019): CE on x + N(0, sigma^2), the base classifier of smoothing."""
    from .training import GaussianAugmentation

    return GaussianAugmentation(sigma)
