"""The list of audit checks, in the order they run; a plugin adds its own with :func:`register_check`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from robustx.audit.context import AuditContext
    from robustx.audit.finding import Finding


@dataclass(frozen=True)
class Check:
    """``run(ctx) -> Finding``; ``reference`` is the paper the check comes from (docs/evaluation.md)."""

    id: str  # "a" ... "g" for the built-ins
    name: str
    run: Callable[["AuditContext"], "Finding"]
    reference: str


_EXTRA: list[Check] = []


def register_check(check: Check) -> None:
    """Add a check after the built-in ones (e.g. from a plugin's import or hook)."""
    if any(c.name == check.name for c in all_checks()):
        from robustx.errors import DuplicateNameError

        raise DuplicateNameError(f"audit check '{check.name}' is already registered")
    _EXTRA.append(check)


def all_checks() -> list[Check]:
    """Built-in checks (a)-(g), then registered ones."""
    from robustx.audit.checks import BUILTIN

    return [*BUILTIN, *_EXTRA]
