"""What a finished run leaves: results.json / results.md and the recipe's ``report.analyses``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from robustx.base.checkpoint import write_text_atomic
from robustx.evaluation import results as results_io
from robustx.host.manager import PluginHost
from robustx.runs.rundir import AnalysisContext, load_run


def write_results(run_dir: Path, results: dict[str, Any], title: str) -> None:
    write_text_atomic(run_dir / "results.json", json.dumps(results, indent=2))
    write_text_atomic(run_dir / "results.md", results_io.markdown(results, title))


def run_analyses(run_dir: Path, specs: list[dict[str, Any]], host: PluginHost, device: Any,
                 echo: Callable[[str], None]) -> None:
    """Run ``report.analyses`` in order on the finished run; their summaries go to analysis/summary.json."""
    if not specs:
        return

    out_dir = run_dir / "analysis"
    out_dir.mkdir(exist_ok=True)
    context = AnalysisContext(run_dir=run_dir, run=load_run(run_dir, host=host), device=str(device), out_dir=out_dir)
    summaries = []
    for spec in specs:
        params = {k: v for k, v in spec.items() if k != "name"}
        echo(f"analysis {spec['name']} ...")
        analysis = host.registry("analysis").create(spec["name"], **params)
        summaries.append({"name": spec["name"], "params": params, "summary": analysis(context)})
    write_text_atomic(out_dir / "summary.json", json.dumps(summaries, indent=2, default=str))


def epoch_line(m: dict[str, Any], epochs: int) -> str:
    """The status line printed after each epoch."""
    parts = [f"epoch {m['epoch']}/{epochs}", f"loss {m['train_loss']:.4f}"]
    if "val_accuracy" in m:
        parts.append(f"val {100 * m['val_accuracy']:.2f}%")
    if "val_robust_accuracy" in m:
        parts.append(f"val robust {100 * m['val_robust_accuracy']:.2f}%")
    parts.append(f"{m['seconds']:.1f}s")
    return "  ".join(parts)
