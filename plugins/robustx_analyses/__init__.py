"""robustx built-in plugin: analyses (decision surfaces, loss landscapes, robustness indicator,
robustness curves, training dynamics, PGD step-through) and the interactive HTML report.

Import-light on purpose: ``robustx list`` loads this module, so torch, numpy and matplotlib
are imported only when an analysis or command actually runs.
"""

from __future__ import annotations

from typing import Any

from robustx.host.declare import register_declared
from robustx.host.hookspecs import hookimpl


@hookimpl
def robustx_register_analyses(register: Any) -> None:
    from . import analyses

    register_declared(register, analyses)


@hookimpl
def robustx_register_commands(cli: Any) -> None:
    from .commands import analyze, report

    cli.add_command(report)
    cli.add_command(analyze)
