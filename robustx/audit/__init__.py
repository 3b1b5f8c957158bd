"""The robustness audit: checks that an evaluation's numbers are not an artefact of a weak attack
or of gradient masking (docs/evaluation.md lists every check with its source).

Import-light: torch loads only when an audit runs. ``run_audit`` audits a model and its
results; ``audit_run`` audits a run directory and writes the verdict into its results files.
Plugins add checks with :func:`register_check`.
"""

from __future__ import annotations

from typing import Any

from robustx.audit.finding import Finding
from robustx.audit.levels import LEVELS, audit_level
from robustx.audit.registry import Check, all_checks, register_check

__all__ = ["Check", "Finding", "LEVELS", "all_checks", "audit_level", "audit_run", "register_check", "run_audit"]


def run_audit(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """See :func:`robustx.audit.runner.run_audit`."""
    from robustx.audit.runner import run_audit as run

    return run(*args, **kwargs)


def audit_run(*args: Any, **kwargs: Any) -> tuple[dict[str, Any], Any]:
    """See :func:`robustx.audit.rundir.audit_run`."""
    from robustx.audit.rundir import audit_run as run

    return run(*args, **kwargs)
