"""Labels that name one published configuration ("AutoAttack"): only an attack that runs it may carry them.

Why: papers and RobustBench read "AutoAttack" as Croce & Hein's standard ensemble at its published
budget. A cheaper variant (``autoattack_fast``) is useful for quick checks, but a table, results file or
report that labels it "AutoAttack" overstates what was run. An attack factory declares the label it
is entitled to with :func:`publishes`; recipe validation refuses that label on any other attack.
Import-light (no torch).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from robustx.base.errors import ParamError

ATTRIBUTE = "__robustx_publishes__"


def publishes(label: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: the factory runs the published configuration that ``label`` names."""
    def mark(factory: Callable[..., Any]) -> Callable[..., Any]:
        setattr(factory, ATTRIBUTE, label)
        return factory

    return mark


def normalized(label: str) -> str:
    """'Auto-Attack', 'auto attack', 'AUTOATTACK' -> 'autoattack'."""
    return re.sub(r"[^0-9a-z]", "", label.lower())


def check_label(label: str, name: str, factory: Any, factories: Iterable[Any], where: str) -> None:
    """Refuse ``label`` when it names a published configuration that attack ``name`` does not run."""
    reserved = {normalized(getattr(f, ATTRIBUTE)): getattr(f, ATTRIBUTE) for f in factories if hasattr(f, ATTRIBUTE)}
    wanted = normalized(label)
    own = getattr(factory, ATTRIBUTE, None)
    if wanted in reserved and (own is None or normalized(own) != wanted):
        raise ParamError(f"{where}.label: '{reserved[wanted]}' names the published configuration, which attack "
                         f"'{name}' does not run; use another label (e.g. '{name}') or the attack that does")
