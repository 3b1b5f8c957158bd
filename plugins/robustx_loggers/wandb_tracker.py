"""Weights & Biases: the recipe as config, metrics per epoch (step = epoch), results + audit in the summary,
the run directory as an artifact. ``mode: offline`` (or WANDB_MODE=offline) writes RUN_DIR/wandb only."""

from __future__ import annotations

import secrets
from typing import Any, Literal, Optional

from robustx.host.declare import component

from .base import Tracker, requires
from .values import audit_markdown, audit_tags, epoch_metrics, final_metrics

SKIP = {"wandb", "mlruns", "tensorboard"}


class WandbTracker(Tracker):
    name = "wandb"

    def __init__(self, run_dir: str, project: str | None, entity: str | None, mode: str | None,
                 artifacts: bool) -> None:
        super().__init__(run_dir)
        self.project, self.entity, self.mode, self.artifacts = project, entity, mode, artifacts

    def start(self, recipe: dict[str, Any], start_epoch: int) -> None:
        import wandb

        state = self.load_state()
        run_id = state.get("run_id") if start_epoch > 1 else None
        run_id = run_id or secrets.token_hex(4)  # W&B's run ids are short lowercase strings like this
        self.save_state({"run_id": run_id})
        # reinit="create_new": several robustx runs in one process (a study) each get their own W&B run
        self.run = wandb.init(project=self.project or self.group(recipe), entity=self.entity, name=self.run_dir.name,
                              id=run_id, resume="allow", dir=str(self.run_dir), mode=self.mode, config=recipe,
                              reinit="create_new")

    def log_epoch(self, epoch: int, metrics: dict[str, Any]) -> None:
        self.run.log({**epoch_metrics(metrics), "epoch": epoch}, step=epoch)

    def log_results(self, results: dict[str, Any]) -> None:
        self.run.summary.update({**final_metrics(results), **audit_tags(results)})
        audit = audit_markdown(results)
        if audit:
            self.run.summary["audit_table"] = audit

    def finish(self) -> None:
        import wandb

        if self.artifacts:
            artifact = wandb.Artifact(f"run-{self.run.id}", type="robustx-run",
                                      description=f"robustx run directory {self.run_dir.name}")
            for path in sorted(self.run_dir.rglob("*")):
                rel = path.relative_to(self.run_dir)
                if path.is_file() and rel.parts[0] not in SKIP and not any(p.startswith(".") for p in rel.parts):
                    artifact.add_file(str(path), name=str(rel))
            self.run.log_artifact(artifact)
        self.run.finish()


@component("wandb", kind="logger", description="a Weights & Biases run (mode: offline writes RUN_DIR/wandb)")
@requires("wandb", extra="wandb", package="wandb")
def wandb_tracker(run_dir: str, *, project: Optional[str] = None, entity: Optional[str] = None,
                  mode: Optional[Literal["online", "offline", "disabled"]] = None, artifacts: bool = True) -> Tracker:
    """A W&B run per robustx run, files in RUN_DIR/wandb (project defaults to the recipe's, or study's, name)."""
    return WandbTracker(run_dir, project, entity, mode, artifacts)
