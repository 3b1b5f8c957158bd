"""robustx's certifiers and the training methods made for them.

- ``ibp``: interval bound propagation, certified Linf accuracy of the model itself (Gowal et al. 2018);
- ``smoothing``: randomized smoothing CERTIFY, certified L2 radii of the smoothed classifier (Cohen et al. 2019);
- defenses ``ibp`` (IBP training with eps and kappa schedules) and ``gaussian_aug`` (noise augmentation).

Only hook implementations here; factories import torch when called (``robustx list`` stays fast).
"""

from __future__ import annotations

from robustx.host.declare import register_declared
from robustx.host.hookspecs import Register, hookimpl

from . import factories


@hookimpl
def robustx_register_certifiers(register: Register) -> None:
    register_declared(register, factories)


@hookimpl
def robustx_register_defenses(register: Register) -> None:
    register_declared(register, factories)
