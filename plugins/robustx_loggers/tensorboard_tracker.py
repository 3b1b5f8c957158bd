"""TensorBoard: scalars per epoch, the recipe as text and hparams, final results and audit as scalars/text."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import yaml

from robustx.host.declare import component

from .base import Tracker, requires
from .values import audit_markdown, epoch_metrics, final_metrics, flat_params


class TensorBoardTracker(Tracker):
    name = "tensorboard"

    def __init__(self, run_dir: str, log_dir: str | None) -> None:
        super().__init__(run_dir)
        self.log_dir = Path(log_dir).expanduser() if log_dir else self.run_dir / "tensorboard"
        self.writer: Any = None

    def start(self, recipe: dict[str, Any], start_epoch: int) -> None:
        from torch.utils.tensorboard import SummaryWriter

        # purge_step: a resumed run hides what a killed run logged for epochs >= start_epoch
        self.writer = SummaryWriter(str(self.log_dir), purge_step=start_epoch if start_epoch > 1 else None)
        self.recipe = recipe
        if start_epoch <= 1:
            self.writer.add_text("recipe", "```yaml\n" + yaml.safe_dump(recipe, sort_keys=False) + "```", 0)

    def log_epoch(self, epoch: int, metrics: dict[str, Any]) -> None:
        for tag, value in epoch_metrics(metrics).items():
            self.writer.add_scalar(tag, value, epoch)
        self.writer.flush()

    def log_results(self, results: dict[str, Any]) -> None:
        from torch.utils.tensorboard.summary import hparams

        step = int(results.get("epochs_trained") or 0)
        metrics = final_metrics(results)
        for tag, value in metrics.items():
            self.writer.add_scalar(tag, value, step)
        audit = audit_markdown(results)
        if audit:
            self.writer.add_text("audit", audit, step)
        # the hparams dashboard: the resolved recipe beside the final numbers (same run, no sub-folder)
        params = {k: v if isinstance(v, (int, float, str, bool)) else str(v) for k, v in flat_params(self.recipe).items()}
        for summary in hparams(params, metrics):
            self.writer.file_writer.add_summary(summary)
        self.writer.flush()

    def finish(self) -> None:
        if self.writer is not None:
            self.writer.close()


@component("tensorboard", kind="logger", aliases=("tb",), description="TensorBoard event files (RUN_DIR/tensorboard)")
@requires("tensorboard", extra="tensorboard", package="tensorboard")
def tensorboard_tracker(run_dir: str, *, log_dir: Optional[str] = None) -> Tracker:
    """TensorBoard event files in ``log_dir`` (default RUN_DIR/tensorboard): ``tensorboard --logdir runs``."""
    return TensorBoardTracker(run_dir, log_dir)
