"""robustx built-in plugin: Croce & Hein's reference AutoAttack code (``pyautoattack``) as ``autoattack_reference``.

For anyone who must quote the reference implementation itself. ``autoattack`` (torchattacks' components with the
published constants) is the faster default and is checked against this one by the test suite. Import-light:
pyautoattack and torch are imported when the attack is built.
"""

from __future__ import annotations

from robustx.host.hookspecs import Register, hookimpl

from .factory import autoattack_reference


@hookimpl
def robustx_register_attacks(register: Register) -> None:
    register("autoattack_reference", autoattack_reference, aliases=("aa_reference",),
             description="AutoAttack, Croce & Hein's reference code (pyautoattack), with accuracy after each sub-attack",
             smoke={"eps": 0.2})  # the contract tests' parameters (tests/test_attack_contract.py)
