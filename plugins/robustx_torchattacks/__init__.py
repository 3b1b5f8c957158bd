"""robustx built-in plugin: the torchattacks attacks under bare names (``pgd``, ``autoattack`` ...).

Import-light on purpose: listing plugins must not import torch, so the factories import
torchattacks only when an attack is built.
"""

from __future__ import annotations

from robustx.host.declare import register_declared
from robustx.host.hookspecs import Register, hookimpl

from . import autoattack, factories


@hookimpl
def robustx_register_attacks(register: Register) -> None:
    register_declared(register, factories, autoattack)  # each factory's @component(...) sits on it
