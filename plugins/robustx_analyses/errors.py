"""The analyses' one-line error (a RobustxError, so the CLI prints it cleanly)."""

from __future__ import annotations

from robustx.base.errors import RobustxError


class AnalysisError(RobustxError, ValueError):
    """An analysis that cannot run on the given run directory, model or parameters."""
