"""MLflow: the recipe as params, metrics per epoch (step = epoch), results + audit, the run dir as artifacts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

from robustx.host.declare import component

from .base import Tracker, requires
from .values import audit_tags, epoch_metrics, final_metrics, flat_params

SKIP = {"wandb", "mlruns", "tensorboard"}  # other trackers' own folders are not this run's artifacts
MAX_PARAM = 6000  # MLflow's limit on a param value


class MlflowTracker(Tracker):
    name = "mlflow"

    def __init__(self, run_dir: str, tracking_uri: str | None, experiment: str | None, artifacts: bool) -> None:
        super().__init__(run_dir)
        self.tracking_uri, self.experiment, self.artifacts = tracking_uri, experiment, artifacts

    def start(self, recipe: dict[str, Any], start_epoch: int) -> None:
        from mlflow.entities import Param
        from mlflow.tracking import MlflowClient

        uri = self.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or f"file:{self.default_store()}"
        if uri.startswith("file:"):
            # MLflow 3 refuses its file store unless asked; a `file:` URI is that request
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        # the client API, not mlflow.start_run: no process-wide active run, so studies and tests can interleave
        self.client = MlflowClient(tracking_uri=uri)
        state = self.load_state()
        if state.get("run_id") and start_epoch > 1:
            self.run_id = state["run_id"]
            self.client.update_run(self.run_id, status="RUNNING")
            return  # params were logged when the run started (MLflow refuses to change them)
        name = self.experiment or self.group(recipe)
        found = self.client.get_experiment_by_name(name)
        experiment_id = found.experiment_id if found else self.client.create_experiment(name)
        run = self.client.create_run(experiment_id, run_name=self.run_dir.name,
                                     tags={"robustx.run_dir": str(self.run_dir.resolve())})
        self.run_id = run.info.run_id
        self.save_state({"run_id": self.run_id, "tracking_uri": self.client.tracking_uri})
        params = [Param(k, str(v)[:MAX_PARAM]) for k, v in flat_params(recipe).items()]
        for i in range(0, len(params), 100):  # log_batch takes at most 100 params a call
            self.client.log_batch(self.run_id, params=params[i:i + 100])

    def default_store(self) -> Path:
        """OUT/mlruns beside the run directories (a study's rows: beside the study directory). MLflow 3's own
        default, sqlite:///mlflow.db, needs SQLAlchemy, which mlflow-skinny leaves out."""
        out = self.run_dir.parent
        if self.group({"name": ""}):  # a study row: its study directory's folder
            out = out.parent
        return (out / "mlruns").resolve()

    def log_epoch(self, epoch: int, metrics: dict[str, Any]) -> None:
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self.client.log_batch(self.run_id, metrics=[Metric(k, v, now, epoch) for k, v in epoch_metrics(metrics).items()])

    def log_results(self, results: dict[str, Any]) -> None:
        import time

        from mlflow.entities import Metric, RunTag

        now, step = int(time.time() * 1000), int(results.get("epochs_trained") or 0)
        self.client.log_batch(self.run_id, metrics=[Metric(k, v, now, step) for k, v in final_metrics(results).items()],
                              tags=[RunTag(k, v) for k, v in audit_tags(results).items()])

    def finish(self) -> None:
        if self.artifacts:
            for path in sorted(self.run_dir.iterdir()):
                if path.name in SKIP or path.name.startswith("."):
                    continue
                for file in [path] if path.is_file() else sorted(path.rglob("*")):
                    rel = file.relative_to(self.run_dir)
                    if file.is_file() and not any(p.startswith(".") for p in rel.parts):  # no lock files
                        self.client.log_artifact(self.run_id, str(file), artifact_path=str(Path("run") / rel.parent))
        self.client.set_terminated(self.run_id, "FINISHED")


@component("mlflow", kind="logger", description="an MLflow run: params, metrics, results, audit, artifacts")
@requires("mlflow", extra="mlflow", package="mlflow-skinny")
def mlflow_tracker(run_dir: str, *, tracking_uri: Optional[str] = None, experiment: Optional[str] = None,
                   artifacts: bool = True) -> Tracker:
    """An MLflow run per robustx run (tracking_uri default: $MLFLOW_TRACKING_URI, else file:OUT/mlruns);
    experiment defaults to the recipe's name (a study's rows: the study's)."""
    return MlflowTracker(run_dir, tracking_uri, experiment, artifacts)

