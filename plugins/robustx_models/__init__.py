"""robustx built-in architectures: CIFAR/MNIST CNNs, ResNets, WideResNets, VGG and NoiseNet.

Only the torch-free :mod:`.registry` is imported here; model families load on first use.
"""

from __future__ import annotations

from robustx.host.hookspecs import hookimpl

from .registry import ARCHITECTURES, TRANSFORMS


#: cheaper parameters for the registry-driven tests (tests/test_architectures.py); others use their defaults
SMOKE = {"wide_resnet": {"depth": 16, "widen_factor": 2, "dropout": 0.3}}


@hookimpl
def robustx_register_architectures(register) -> None:
    for name, factory, aliases, description in ARCHITECTURES:
        register(name, factory, aliases=aliases, description=description, smoke=SMOKE.get(name))


@hookimpl
def robustx_register_transforms(register) -> None:
    for name, factory, aliases, description in TRANSFORMS:
        register(name, factory, aliases=aliases, description=description)
