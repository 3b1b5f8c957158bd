"""robustx's certifiers and the training methods made for them.

- ``ibp``: interval bound propagation, certified Linf accuracy of the model itself (Gowal et al. 2018);
- ``smoothing``: randomized smoothing CERTIFY, certified L2 radii of the smoothed classifier (Cohen et al. 2019);
- defenses ``ibp`` (IBP training with eps and kappa schedules) and ``gaussian_aug`` (noise augmentation).

Only hook implementations here; factories import torch when called (``robustx list`` stays fast).
"""

from __future__ import annotations

from robustx.host.hookspecs import Register, hookimpl

from . import factories


@hookimpl
def robustx_register_certifiers(register: Register) -> None:
    register("ibp", factories.ibp, aliases=("interval",),
             description="Interval bound propagation: certified Linf accuracy (Gowal et al. 2018)")
    register("smoothing", factories.smoothing, aliases=("randomized_smoothing",),
             description="Randomized smoothing CERTIFY: certified L2 radii of the smoothed classifier (Cohen et al. 2019)")


@hookimpl
def robustx_register_defenses(register: Register) -> None:
    register("ibp", factories.ibp_training, aliases=("ibp_training",),
             description="IBP training with eps ramp and kappa schedule (Gowal et al. 2018)")
    register("gaussian_aug", factories.gaussian_aug, aliases=("gaussian_noise",),
             description="Gaussian noise augmentation, the base classifier of randomized smoothing (Cohen et al. 2019)")
