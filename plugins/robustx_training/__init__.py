"""Built-in optimizers, learning-rate schedules and batch augmentations (torch's own).

They are registry entries like attacks or defenses, so recipe validation checks their
parameters from the factories' annotations (``lr: .inf`` or ``momentum: 1.5`` fails before
any work starts), and a plugin can add its own (LARS, a warmup schedule, AutoAugment) by name.
Nothing heavy is imported here: torch is imported inside the factories. The defaults a recipe
gets when it names none (``sgd``, schedule ``none``, augmentation ``none``) are the core's own
(robustx.train.essentials), so disabling this plugin breaks only recipes that name its components.
"""

from __future__ import annotations

from robustx.host.hookspecs import hookimpl

from . import augmentations, optimizers, schedules


@hookimpl
def robustx_register_optimizers(register):
    register("adam", optimizers.adam, description="Adam (torch.optim.Adam)")
    register("adamw", optimizers.adamw, description="Adam with decoupled weight decay (torch.optim.AdamW)")


@hookimpl
def robustx_register_schedules(register):
    register("multistep", schedules.multistep, description="multiply lr by gamma at epoch milestones (per epoch)")
    register("cosine", schedules.cosine, description="cosine annealing to eta_min over the run (per epoch)")
    register("onecycle", schedules.onecycle, description="one-cycle policy up to max_lr (per batch)")


@hookimpl
def robustx_register_augmentations(register):
    register("crop", augmentations.crop, description="random crop after zero padding")
    register("flip", augmentations.flip, description="random horizontal flip")
    register("crop_flip", augmentations.crop_flip, description="random crop then flip (CIFAR standard)")
