"""robustx built-in plugin: analyses (decision surfaces, loss landscapes, robustness indicator,
robustness curves, training dynamics, PGD step-through) and the interactive HTML report.

Import-light on purpose: ``robustx list`` loads this module, so torch, numpy and matplotlib
are imported only when an analysis or command actually runs.
"""

from __future__ import annotations

from typing import Any

from robustx.host.hookspecs import hookimpl


@hookimpl
def robustx_register_analyses(register: Any) -> None:
    from .analyses import FACTORIES, SMOKE

    for name, factory in FACTORIES.items():
        register(name, factory, description=(factory.__doc__ or "").strip().splitlines()[0], smoke=SMOKE.get(name))


@hookimpl
def robustx_register_commands(cli: Any) -> None:
    from .commands import analyze, report

    cli.add_command(report)
    cli.add_command(analyze)
