"""Built-in optimizers, learning-rate schedules and batch augmentations (torch's own).

They are registry entries like attacks or defenses, so recipe validation checks their
parameters from the factories' annotations (``lr: .inf`` or ``momentum: 1.5`` fails before
any work starts), and a plugin can add its own (LARS, a warmup schedule, AutoAugment) by name.
Nothing heavy is imported here: torch is imported inside the factories. The defaults a recipe
gets when it names none (``sgd``, schedule ``none``, augmentation ``none``) are the core's own
(robustx.train.essentials), so disabling this plugin breaks only recipes that name its components.
"""

from __future__ import annotations

from robustx.host.declare import register_declared
from robustx.host.hookspecs import hookimpl

from . import augmentations, optimizers, schedules


@hookimpl
def robustx_register_optimizers(register):
    register_declared(register, optimizers)


@hookimpl
def robustx_register_schedules(register):
    register_declared(register, schedules)


@hookimpl
def robustx_register_augmentations(register):
    register_declared(register, augmentations)
