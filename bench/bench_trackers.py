"""Read a run's values back from each tracker it logged to, next to metrics.jsonl and results.json.

    robustx recipe run RECIPE --logger tensorboard --logger mlflow --logger wandb   (WANDB_MODE=offline)
    python bench/bench_trackers.py RUN_DIR

Prints, per tracker, what its own reader returns (TensorBoard's EventAccumulator, MlflowClient on the
run's tracking URI, the W&B offline run file) for the epochs' train_loss / val_robust_accuracy and the
final clean / per-threat-model accuracy and audit verdict, and the same numbers from the run's files.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main(run_dir: Path) -> None:
    epochs = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    results = json.loads((run_dir / "results.json").read_text())
    tm = results["threat_models"][0]
    tag = f"test/{tm['norm']}_eps_{tm['eps']:.6g}/robust_accuracy"
    print(f"files        : train_loss {[round(m['train_loss'], 4) for m in epochs]}  "
          f"val_robust_accuracy {[m.get('val_robust_accuracy') for m in epochs]}  clean {results['clean_accuracy']}  "
          f"{tm['norm']} {tm['eps']:.6g} {tm['robust_accuracy']}  audit {[f['status'] for f in results.get('audit', [])]}")
    if (run_dir / "tensorboard").is_dir():
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

        ea = EventAccumulator(str(run_dir / "tensorboard"))
        ea.Reload()
        s = lambda t: [round(e.value, 4) for e in ea.Scalars(t)]  # noqa: E731
        print(f"tensorboard  : train_loss {s('train_loss')}  val_robust_accuracy {s('val_robust_accuracy')}  "
              f"clean {s('test/clean_accuracy')}  {tag} {s(tag)}  audit/failed_checks {s('audit/failed_checks')}")
    state = run_dir / "loggers" / "mlflow.json"
    if state.is_file():
        from mlflow.tracking import MlflowClient

        saved = json.loads(state.read_text())
        if saved["tracking_uri"].startswith("file:"):
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 asks for its file store by name
        client = MlflowClient(saved["tracking_uri"])
        run = client.get_run(saved["run_id"])
        h = lambda k: [round(m.value, 4) for m in sorted(client.get_metric_history(saved["run_id"], k),  # noqa: E731
                                                          key=lambda m: m.step)]
        print(f"mlflow       : train_loss {h('train_loss')}  val_robust_accuracy {h('val_robust_accuracy')}  "
              f"clean {run.data.metrics['test/clean_accuracy']}  {tag} {run.data.metrics[tag]}  "
              f"audit.verdict {run.data.tags.get('audit.verdict')}  params {len(run.data.params)}  "
              f"artifacts {[a.path for a in client.list_artifacts(saved['run_id'], 'run')][:6]}...")
    if (run_dir / "wandb").is_dir():
        from robustx_loggers.wandb_offline import read_run

        w = read_run(run_dir)
        print(f"wandb offline: train_loss {[round(r['train_loss'], 4) for r in w['history']]}  "
              f"val_robust_accuracy {[r.get('val_robust_accuracy') for r in w['history']]}  "
              f"clean {w['summary']['test/clean_accuracy']}  {tag} {w['summary'][tag]}  "
              f"audit.verdict {w['summary'].get('audit.verdict')}  config keys {len(w['config']) - 1}  "
              f"artifact files {len(w['artifacts'][0].manifest.contents) if w['artifacts'] else 0}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
