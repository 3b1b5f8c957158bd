"""robustx built-in plugin: Croce & Hein's reference AutoAttack code (``pyautoattack``) as ``autoattack_reference``.

For anyone who must quote the reference implementation itself. ``autoattack`` (torchattacks' components with the
published constants) is the faster default and is checked against this one by the test suite. Import-light:
pyautoattack and torch are imported when the attack is built.
"""

from __future__ import annotations

from robustx.host.declare import register_declared
from robustx.host.hookspecs import Register, hookimpl

from . import factory


@hookimpl
def robustx_register_attacks(register: Register) -> None:
    register_declared(register, factory)
