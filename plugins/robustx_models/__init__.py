"""robustx built-in architectures: CIFAR/MNIST CNNs, ResNets, WideResNets, VGG and NoiseNet.

Only the torch-free :mod:`.registry` is imported here; model families load on first use.
"""

from __future__ import annotations

from robustx.hookspecs import hookimpl

from .registry import ARCHITECTURES, TRANSFORMS


@hookimpl
def robustx_register_architectures(register) -> None:
    for name, factory, aliases, description in ARCHITECTURES:
        register(name, factory, aliases=aliases, description=description)


@hookimpl
def robustx_register_transforms(register) -> None:
    for name, factory, aliases, description in TRANSFORMS:
        register(name, factory, aliases=aliases, description=description)
