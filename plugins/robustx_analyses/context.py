"""The object analyses receive, and how they get a loaded run out of it.

The pipeline may pass this dataclass or any object with the same attributes (``run_dir``,
``run``, ``device``, ``out_dir``). ``run`` may be None: the run is then loaded from ``run_dir``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .rundir import ReportInput


@dataclass
class AnalysisContext:
    """Where a run lives, the loaded run, the device, and where analyses write (run_dir/analysis)."""

    run_dir: Path
    run: Any = None
    device: Any = "cpu"
    out_dir: Path | None = None
    cache: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.run_dir = Path(self.run_dir)
        self.out_dir = Path(self.out_dir) if self.out_dir is not None else self.run_dir / "analysis"


def out_dir_of(context: Any) -> Path:
    out = getattr(context, "out_dir", None)
    path = Path(out) if out is not None else Path(context.run_dir) / "analysis"
    path.mkdir(parents=True, exist_ok=True)
    return path


def report_input_of(context: Any) -> "ReportInput":
    """The context's run as a ``ReportInput`` (loaded once per context when it has a ``cache``)."""
    from .rundir import ReportInput, load_report_input

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


def device_of(context: Any) -> Any:
    import torch

    return torch.device(getattr(context, "device", "cpu") or "cpu")
