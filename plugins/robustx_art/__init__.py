"""robustx built-in plugin: Adversarial Robustness Toolbox (ART) evasion attacks as ``art:<name>``.

Import-light on purpose: ART (and torch) are imported only when an attack is built.
"""

from __future__ import annotations

from robustx.host.declare import register_declared
from robustx.host.hookspecs import Register, hookimpl

from . import factories


@hookimpl
def robustx_register_attacks(register: Register) -> None:
    register_declared(register, factories)  # each factory's @component(...) sits on it
