"""The list of audit checks, in the order they run; a plugin adds its own with :func:`register_check`."""

from __future__ import annotations

from robustx.base.errors import DuplicateNameError
from robustx.evaluation.audit.check import Check

_EXTRA: list[Check] = []


def register_check(check: Check) -> None:
    """Add a check after the built-in ones (e.g. from a plugin's import or hook)."""
    if any(c.name == check.name for c in all_checks()):
        raise DuplicateNameError(f"audit check '{check.name}' is already registered")
    _EXTRA.append(check)


def all_checks() -> list[Check]:
    """Built-in checks (a)-(g), then registered ones."""
    # lazy: loads torch
    from robustx.evaluation.audit.checks import BUILTIN  # the checks import torch: only when an audit runs

    return [*BUILTIN, *_EXTRA]
