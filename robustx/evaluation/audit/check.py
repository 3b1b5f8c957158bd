"""What an audit check is: an id, a name, ``run(ctx) -> Finding`` and the paper it comes from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from robustx.evaluation.audit.context import AuditContext
    from robustx.evaluation.audit.finding import Finding


@dataclass(frozen=True)
class Check:
    """``run(ctx) -> Finding``; ``reference`` is the paper the check comes from (docs/evaluation.md)."""

    id: str  # "a" ... "g" for the built-ins
    name: str
    run: Callable[["AuditContext"], "Finding"]
    reference: str
