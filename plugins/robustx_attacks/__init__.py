"""robustx's own attacks: only those torchattacks and ART do not provide.

- ``cw_linf``: iterative Linf attack on the Carlini-Wagner margin loss, the "C&W (Linf)" column of
  the decision-surface paper's tables and the generator of its AdvTrain baseline.
"""

from __future__ import annotations

from robustx.host.hookspecs import hookimpl

from .factories import cw_linf


@hookimpl
def robustx_register_attacks(register) -> None:
    register("cw_linf", cw_linf, aliases=("cw_pgd",),
             description="iterative Linf attack on the C&W margin loss (Carlini & Wagner 2017)",
             smoke={"eps": 0.2, "alpha": 0.05, "steps": 10})  # the contract tests' cheap parameters
