"""The tracker contract and the lazy "is it installed?" check shared by the built-in trackers."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any, Callable

from robustx.base.errors import RobustxError

STATE = "loggers"  # RUN_DIR/loggers/<name>.json: what a resumed run needs to continue the same tracker run


class TrackerMissing(RobustxError):
    """A recipe names a tracker whose library is not installed."""


def requires(module: str, extra: str, package: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a tracker factory with ``check_installed()``: validation calls it, so nothing is imported.

    ``importlib.util.find_spec`` finds the library without importing it (``robustx recipe validate``
    stays fast), and a missing one is a one-line error naming the extra that installs it.
    """
    def mark(factory: Callable[..., Any]) -> Callable[..., Any]:
        def check_installed() -> None:
            try:
                found = importlib.util.find_spec(module) is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                raise TrackerMissing(f"loggers: {factory.__name__.removesuffix('_tracker')} needs the '{package}' "
                                     f"package, which is not installed; pip install \"robustx[{extra}]\"")
        factory.check_installed = check_installed  # type: ignore[attr-defined]
        return factory
    return mark


class Tracker:
    """One tracker run beside one robustx run; each method gets exactly what the run-event payload holds."""

    name = "tracker"

    def __init__(self, run_dir: str) -> None:
        self.run_dir = Path(run_dir)

    def start(self, recipe: dict[str, Any], start_epoch: int) -> None:
        """Open (or, resumed, reopen) the tracker run and log the resolved recipe as parameters."""

    def log_epoch(self, epoch: int, metrics: dict[str, Any]) -> None:
        """One metrics.jsonl line, at step ``epoch``."""

    def log_results(self, results: dict[str, Any]) -> None:
        """The final per-threat-model results and the audit (results.json)."""

    def finish(self) -> None:
        """Upload the run directory where the tracker keeps artifacts, then close."""

    def group(self, recipe: dict[str, Any]) -> str:
        """Where this run belongs (MLflow experiment, W&B project): its study's name for a study row, so a
        study's rows land together, else the recipe's name."""
        marker = self.run_dir.parent / ".robustx-run"  # robustx.runs.directory.MARKER of the study directory
        try:
            found = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            found = {}
        return str(found["recipe"]) if found.get("kind") == "study" and found.get("recipe") else recipe["name"]

    # state kept in the run directory, so --resume continues the same tracker run
    def load_state(self) -> dict[str, Any]:
        path = self.run_dir / STATE / f"{self.name}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def save_state(self, state: dict[str, Any]) -> None:
        folder = self.run_dir / STATE
        folder.mkdir(exist_ok=True)
        (folder / f"{self.name}.json").write_text(json.dumps(state), encoding="utf-8")
