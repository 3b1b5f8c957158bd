"""How an analysis gets its loaded run out of the core's ``robustx.runs.rundir.AnalysisContext``.

There is one context class, the core's; the pipeline and ``robustx analyze`` both build it. Its
``run`` is a ``RunDir`` (or None: the run is then loaded from ``run_dir``); a ``ReportInput`` is
accepted too, for scripts that analyse a model they already hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .report_input import ReportInput


def out_dir_of(context: Any) -> Path:
    """The context's output folder (run_dir/analysis unless given), created."""
    out = getattr(context, "out_dir", None)
    path = Path(out) if out is not None else Path(context.run_dir) / "analysis"
    path.mkdir(parents=True, exist_ok=True)
    return path


def report_input_of(context: Any) -> "ReportInput":
    """The context's run as a ``ReportInput``, loaded once per context (cached in ``context.cache``)."""
    from .report_input import ReportInput, load_report_input

    cache = getattr(context, "cache", None)
    if isinstance(cache, dict) and "report_input" in cache:
        return cache["report_input"]
    device = getattr(context, "device", "cpu") or "cpu"
    run = getattr(context, "run", None)
    if isinstance(run, ReportInput):
        loaded = run
    elif run is not None:
        loaded = ReportInput.from_run(run, device=device)
    else:
        loaded = load_report_input(context.run_dir, device=device)
    if isinstance(cache, dict):
        cache["report_input"] = loaded
    return loaded
