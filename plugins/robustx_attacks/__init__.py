"""robustx's own attacks: only those torchattacks and ART do not provide.

- ``cw_linf``: iterative Linf attack on the Carlini-Wagner margin loss, the "C&W (Linf)" column of
  the decision-surface paper's tables and the generator of its AdvTrain baseline.
"""

from __future__ import annotations

from robustx.host.declare import register_declared
from robustx.host.hookspecs import hookimpl

from . import factories


@hookimpl
def robustx_register_attacks(register) -> None:
    register_declared(register, factories)
