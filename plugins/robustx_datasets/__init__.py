"""robustx built-in datasets: digits (embedded), MNIST, Fashion-MNIST, CIFAR-10/100 and SVHN.

This module is the plugin's entry point, so it stays import-light: the readers (numpy,
scipy, torch) are imported only when a dataset is actually built.
"""

from __future__ import annotations

from robustx.host.declare import register_declared
from robustx.host.hookspecs import Register, hookimpl

from . import factories


@hookimpl
def robustx_register_datasets(register: Register) -> None:
    register_declared(register, factories)
