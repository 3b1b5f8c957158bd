"""The robustness audit: checks that an evaluation's numbers are not an artefact of a weak attack
or of gradient masking (docs/evaluation.md lists every check with its source).

Import-light: torch loads only when an audit runs. ``run_audit`` audits a model and its
results; ``robustx.runs.audit_run`` audits a run directory and writes the verdict into its results files.
Plugins add checks with :func:`register_check`.
"""

from __future__ import annotations

from typing import Any

from robustx.evaluation.audit.check import Check
from robustx.evaluation.audit.checklist import all_checks, register_check
from robustx.evaluation.audit.finding import Finding
from robustx.evaluation.audit.levels import LEVELS, audit_level

__all__ = ["Check", "Finding", "LEVELS", "all_checks", "audit_level", "register_check", "run_audit"]


def run_audit(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """See :func:`robustx.evaluation.audit.run.run_audit`."""
    from robustx.evaluation.audit.run import run_audit as run  # lazy: loads pydantic

    return run(*args, **kwargs)
