"""RobustBench: its model zoo as architectures (``robustbench:<Name>``) and ``robustx export robustbench``.

Module level imports click only (``robustx --help`` imports command plugins); the zoo (torch,
timm, RobustBench) is imported when a ``robustbench:`` model is built or validated. See zoo.py for
how RobustBench is installed next to a newer timm, and where weights come from.
"""

from __future__ import annotations

from typing import Any

from robustx.host.declare import register_declared
from robustx.host.hookspecs import hookimpl


@hookimpl
def robustx_register_architectures(register: Any) -> None:
    from . import zoo  # light: RobustBench itself is imported only when a model is built

    register_declared(register, zoo)


@hookimpl
def robustx_register_commands(cli: Any) -> None:
    from .commands import export

    cli.add_command(export)
