"""robustx built-in architectures: CIFAR/MNIST CNNs, ResNets, WideResNets, VGG and NoiseNet.

Only the torch-free :mod:`.factories` is imported here; model families load on first use.
"""

from __future__ import annotations

from robustx.host.declare import register_declared
from robustx.host.hookspecs import hookimpl

from . import factories


@hookimpl
def robustx_register_architectures(register) -> None:
    register_declared(register, factories)


@hookimpl
def robustx_register_transforms(register) -> None:
    register_declared(register, factories)
