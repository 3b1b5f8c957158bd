"""The self-contained interactive HTML report: one file, plotly.js inline, no network at all.

Python precomputes everything (``report_data.collect``); the page (assets/report.html, .css,
.js) only draws it. Placeholders are filled in one pass over the template, so nothing inside
plotly.js or the data can be mistaken for a placeholder.
"""

from __future__ import annotations

import html
import json
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from robustx.base.files import atomic_target

from .outputs import json_safe
from .report_data import ReportOptions, collect
from .report_input import ReportInput

ASSETS = Path(__file__).parent / "assets"
_PLACEHOLDER = re.compile(r"__([A-Z]+)__")

__all__ = ["ReportOptions", "build_report", "render_html"]


def _script_json(data: Any) -> str:
    """JSON that cannot close its <script> element early."""
    return json.dumps(json_safe(data), separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


def render_html(payload: dict[str, Any], figures: dict[str, Any], title: str) -> str:
    """Fill the page template with CSS, plotly.js, the data and the page script."""
    from plotly.offline import get_plotlyjs

    parts = {
        "TITLE": html.escape(title),
        "DATE": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "CSS": (ASSETS / "report.css").read_text(encoding="utf-8"),
        "PLOTLYJS": get_plotlyjs(),
        "DATA": _script_json(payload),
        "FIGURES": _script_json(figures),
        "JS": (ASSETS / "report.js").read_text(encoding="utf-8"),
    }
    template = (ASSETS / "report.html").read_text(encoding="utf-8")
    return _PLACEHOLDER.sub(lambda m: parts.get(m.group(1), m.group(0)), template)


def build_figures(payload: dict[str, Any]) -> dict[str, Any]:
    from . import report_figures as rf

    return {
        "dynamics": [rf.dynamics_figure(run) for run in payload["runs"]],
        "curves": rf.curves_figure(payload["runs"]),
        "tradeoff": rf.tradeoff_figure(payload["tradeoff"]),
        "indicator": rf.indicator_figure(payload["runs"]),
    }


def build_report(inputs: list[ReportInput], target: Path, options: ReportOptions | None = None,
                 analysis_dir: Path | None = None) -> dict[str, Any]:
    """Compute, render and write the report for ``inputs``; return a summary for the pipeline."""
    start = time.perf_counter()
    options = options or ReportOptions()
    payload = collect(inputs, options)
    page = render_html(payload, build_figures(payload), " vs ".join(i.name for i in inputs))
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_target(target) as tmp:  # a full disk leaves neither a torn report nor a temporary behind
        tmp.write_text(page, encoding="utf-8")
    summary = {"path": str(target), "bytes": target.stat().st_size, "runs": [i.name for i in inputs],
               "seconds": round(time.perf_counter() - start, 2)}
    if analysis_dir is not None:
        try:
            summary["files"] = [str(target.relative_to(analysis_dir))]
        except ValueError:
            pass
    return summary
