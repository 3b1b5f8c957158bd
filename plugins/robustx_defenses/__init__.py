"""robustx built-in training methods (defenses) and the inference-noise transform.

Only hook implementations live here: the factories they register are import-light
(no torch at import time) so ``robustx list defenses`` stays fast; the heavy modules
are imported when a factory is called.
"""

from __future__ import annotations

from robustx.host.declare import register_declared
from robustx.host.hookspecs import Register, hookimpl

from . import factories, transforms


@hookimpl
def robustx_register_defenses(register: Register) -> None:
    register_declared(register, factories)


@hookimpl
def robustx_register_transforms(register: Register) -> None:
    register_declared(register, transforms)
