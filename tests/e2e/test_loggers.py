"""Trackers as run-event plugins (plugins/robustx_loggers): values read back from each tracker's own files.

One tiny audited run logs to TensorBoard, an MLflow file store and W&B offline at once; each test
reads one tracker back with that tracker's reader (EventAccumulator, MlflowClient, the offline run
file) and compares it with the run's metrics.jsonl, results.json and recipe.yaml.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

RECIPE = {
    "name": "logged", "seed": 0,
    "data": {"name": "digits", "batch_size": 64, "val_split": 0.1, "test_limit": 48},
    "model": {"name": "small_cnn"},
    "train": {"epochs": 2, "optimizer": {"name": "adam", "lr": 0.01}, "val_limit": 48,
              "val_attack": {"name": "fgsm", "eps": 0.1}},
    "evaluate": {"attacks": ["clean", {"name": "fgsm", "eps": 0.1}, {"name": "pgd", "eps": 0.1, "steps": 3}],
                 "audit": "quick"},
}


def _write(folder: Path, recipe: dict) -> Path:
    path = folder / f"{recipe['name']}.yaml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def logged_run(tmp_path_factory):
    """(run_dir, mlflow tracking uri): the recipe run by the CLI with ``--logger`` for all three trackers."""
    pytest.importorskip("tensorboard")
    pytest.importorskip("mlflow")
    pytest.importorskip("wandb")
    from robustx.cli import cli

    root = tmp_path_factory.mktemp("logged")
    uri = f"file:{root / 'mlruns'}"
    recipe = {**RECIPE, "loggers": [{"name": "mlflow", "tracking_uri": uri}]}
    env = {"WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_DISABLE_GIT": "true"}
    result = CliRunner().invoke(cli, ["recipe", "run", str(_write(root, recipe)), "--out", str(root / "runs"),
                                      "--device", "cpu", "--quiet", "--logger", "tensorboard", "--logger", "wandb"],
                                env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output, result.output
    (run_dir,) = (root / "runs").iterdir()
    return run_dir, uri


def _epochs(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text(encoding="utf-8").splitlines()]


def _results(run_dir: Path) -> dict:
    return json.loads((run_dir / "results.json").read_text(encoding="utf-8"))


def test_recipe_yaml_records_the_cli_loggers(logged_run):
    run_dir, uri = logged_run
    saved = yaml.safe_load((run_dir / "recipe.yaml").read_text(encoding="utf-8"))
    assert [spec["name"] for spec in saved["loggers"]] == ["mlflow", "tensorboard", "wandb"]
    assert saved["loggers"][0]["tracking_uri"] == uri and saved["loggers"][2]["mode"] is None


def test_tensorboard_event_files_hold_every_value(logged_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run_dir, _ = logged_run
    events = EventAccumulator(str(run_dir / "tensorboard"), size_guidance={"scalars": 0, "tensors": 0})
    events.Reload()
    epochs, results = _epochs(run_dir), _results(run_dir)

    def scalar(tag: str) -> list[tuple[int, float]]:
        return [(e.step, e.value) for e in events.Scalars(tag)]

    for name in ("train_loss", "val_accuracy", "val_robust_accuracy", "lr", "best_epoch"):
        assert scalar(name) == [(m["epoch"], pytest.approx(m[name], rel=1e-6)) for m in epochs], name
    step = results["epochs_trained"]
    assert scalar("test/clean_accuracy") == [(step, pytest.approx(results["clean_accuracy"]))]
    (group,) = results["threat_models"]
    assert scalar("test/Linf_eps_0.1/robust_accuracy") == [(step, pytest.approx(group["robust_accuracy"]))]
    pgd = next(a for a in results["attacks"] if a["name"] == "pgd")
    assert scalar("test/attack/pgd/robust_accuracy") == [(step, pytest.approx(pgd["robust_accuracy"]))]
    failed = sum(f["status"] == "fail" for f in results["audit"])
    assert scalar("audit/failed_checks") == [(step, failed)]

    def text(tag: str) -> str:
        (event,) = events.Tensors(tag)
        return event.tensor_proto.string_val[0].decode()

    recipe_text = text("recipe/text_summary")
    assert yaml.safe_load(recipe_text.strip("`").removeprefix("yaml\n")) == \
        yaml.safe_load((run_dir / "recipe.yaml").read_text(encoding="utf-8"))
    audit = text("audit/text_summary")
    for finding in results["audit"]:
        assert f"| {finding['check']} | {finding['status']} |" in audit


def test_mlflow_file_store_holds_params_metrics_audit_and_artifacts(logged_run):
    from mlflow.tracking import MlflowClient

    run_dir, uri = logged_run
    client = MlflowClient(tracking_uri=uri)
    run_id = json.loads((run_dir / "loggers" / "mlflow.json").read_text(encoding="utf-8"))["run_id"]
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED" and run.info.run_name == run_dir.name
    assert client.get_experiment(run.info.experiment_id).name == "logged"
    saved = yaml.safe_load((run_dir / "recipe.yaml").read_text(encoding="utf-8"))
    params = run.data.params
    assert params["train.optimizer.lr"] == str(saved["train"]["optimizer"]["lr"])
    assert params["evaluate.attacks.2.steps"] == "3" and params["data.name"] == "digits"
    assert params["train.val_attack.eps"] == "0.1"
    epochs, results = _epochs(run_dir), _results(run_dir)
    for name in ("train_loss", "val_robust_accuracy"):
        history = sorted((m.step, m.value) for m in client.get_metric_history(run_id, name))
        assert history == [(m["epoch"], pytest.approx(m[name])) for m in epochs], name
    metrics = run.data.metrics
    assert metrics["test/clean_accuracy"] == pytest.approx(results["clean_accuracy"])
    assert metrics["test/worst_case_accuracy"] == pytest.approx(results["worst_case_accuracy"])
    assert metrics["test/Linf_eps_0.1/robust_accuracy"] == pytest.approx(results["threat_models"][0]["robust_accuracy"])
    statuses = {f["check"]: f["status"] for f in results["audit"]}
    order = ["skip", "pass", "warn", "fail"]
    assert run.data.tags["audit.verdict"] == max(statuses.values(), key=order.index)
    assert {k.removeprefix("audit."): v for k, v in run.data.tags.items()
            if k.startswith("audit.") and k != "audit.verdict"} == statuses
    top = {a.path for a in client.list_artifacts(run_id, "run")}
    assert {"run/results.json", "run/metrics.jsonl", "run/model.safetensors", "run/model.json",
            "run/recipe.yaml", "run/checkpoints"} <= top
    (run_dir.parent / "dl").mkdir()  # MLflow 2.x wants the destination to exist
    local = Path(client.download_artifacts(run_id, "run/results.json", str(run_dir.parent / "dl")))
    assert json.loads(local.read_text(encoding="utf-8")) == results


def test_wandb_offline_run_holds_config_history_summary_and_artifact(logged_run):
    from robustx_loggers.wandb_offline import read_run

    run_dir, _ = logged_run
    run = read_run(run_dir)
    saved = yaml.safe_load((run_dir / "recipe.yaml").read_text(encoding="utf-8"))
    assert {k: run["config"][k] for k in saved} == saved
    epochs, results = _epochs(run_dir), _results(run_dir)
    history = [{k: v for k, v in row.items() if not k.startswith("_")} for row in run["history"]]
    assert history == [{k: pytest.approx(v) for k, v in m.items()} for m in epochs]
    summary = run["summary"]
    assert summary["test/clean_accuracy"] == pytest.approx(results["clean_accuracy"])
    assert summary["test/Linf_eps_0.1/robust_accuracy"] == pytest.approx(results["threat_models"][0]["robust_accuracy"])
    for finding in results["audit"]:
        assert summary[f"audit.{finding['check']}"] == finding["status"]
    (artifact,) = run["artifacts"]
    files = {entry.path for entry in artifact.manifest.contents}
    assert artifact.type == "robustx-run"
    assert {"results.json", "metrics.jsonl", "model.safetensors", "recipe.yaml", "checkpoints/last.safetensors"} <= files
    assert not any(f.startswith(("wandb/", "tensorboard/")) for f in files)


def test_a_tracker_not_installed_is_one_line_naming_its_extra(tmp_path, monkeypatch):
    from robustx.cli import cli

    monkeypatch.setitem(sys.modules, "wandb", None)  # what an environment without wandb looks like to find_spec
    path = _write(tmp_path, {**RECIPE, "loggers": ["wandb"]})
    result = CliRunner().invoke(cli, ["recipe", "validate", str(path)])
    assert result.exit_code != 0
    (line,) = result.output.strip().splitlines()
    assert "loggers: wandb needs the 'wandb' package" in line and 'pip install "robustx[wandb]"' in line


def test_unknown_logger_names_the_field_and_suggests(tmp_path):
    from robustx.cli import cli

    path = _write(tmp_path, RECIPE)
    result = CliRunner().invoke(cli, ["recipe", "run", str(path), "--out", str(tmp_path / "runs"),
                                      "--logger", "tensorbord"])
    assert result.exit_code != 0
    (line,) = result.output.strip().splitlines()
    assert "loggers[0].name" in line and "tensorboard" in line
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_loggers_are_listed_with_their_plugin():
    from robustx.cli import cli

    result = CliRunner().invoke(cli, ["list", "loggers"])
    assert result.exit_code == 0
    for name in ("tensorboard", "mlflow", "wandb"):
        assert name in result.output


def test_validating_loggers_imports_no_tracker_library(tmp_path):
    """check_installed finds the libraries without importing them: `recipe validate` stays fast."""
    from helpers import imported_modules

    for library in ("tensorboard", "mlflow", "wandb"):
        pytest.importorskip(library)

    path = _write(tmp_path, {**RECIPE, "loggers": ["tensorboard", "mlflow", "wandb"]})
    modules = imported_modules("recipe", "validate", str(path))
    assert "robustx_loggers" in modules
    assert not {"tensorboard", "mlflow", "wandb", "torch.utils.tensorboard"} & modules


def test_a_resumed_run_continues_the_same_tracker_runs(tmp_path, monkeypatch):
    """What --resume does to trackers: MLflow reopens the run whose id RUN_DIR/loggers keeps (and keeps what
    a killed run logged after its checkpoint); TensorBoard purges those epochs (here epoch 2's first value)."""
    pytest.importorskip("tensorboard")
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient
    from robustx_loggers.mlflow_tracker import mlflow_tracker
    from robustx_loggers.tensorboard_tracker import tensorboard_tracker
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run_dir, uri = tmp_path / "run", f"file:{tmp_path / 'mlruns'}"
    run_dir.mkdir()
    recipe = {"name": "resumed", "seed": 0}
    first = [mlflow_tracker(str(run_dir), tracking_uri=uri), tensorboard_tracker(str(run_dir))]
    for tracker in first:
        tracker.start(recipe, 1)
        tracker.log_epoch(1, {"epoch": 1, "train_loss": 1.0})
        tracker.log_epoch(2, {"epoch": 2, "train_loss": 9.0})  # logged, then killed before the checkpoint
    first[1].writer.close()
    second = [mlflow_tracker(str(run_dir), tracking_uri=uri), tensorboard_tracker(str(run_dir))]
    for tracker in second:
        tracker.start(recipe, 2)  # resumed after epoch 1's checkpoint
        tracker.log_epoch(2, {"epoch": 2, "train_loss": 0.5})
        tracker.finish()
    assert second[0].run_id == first[0].run_id
    client = MlflowClient(tracking_uri=uri)
    assert client.get_run(first[0].run_id).info.status == "FINISHED"
    assert len(client.search_runs([client.get_experiment_by_name("resumed").experiment_id])) == 1
    # MLflow cannot delete logged values: step 2 keeps the killed run's value beside the resumed run's
    history = sorted((m.step, m.value) for m in client.get_metric_history(first[0].run_id, "train_loss"))
    assert history == [(1, 1.0), (2, 0.5), (2, 9.0)]
    events = EventAccumulator(str(run_dir / "tensorboard"))
    events.Reload()
    assert [(e.step, e.value) for e in events.Scalars("train_loss")] == [(1, 1.0), (2, 0.5)]


def test_mlflow_default_store_is_beside_the_run_directories(tmp_path, monkeypatch):
    """Without a tracking URI: file:OUT/mlruns (MLflow 3's sqlite default needs SQLAlchemy, absent from
    mlflow-skinny); a study's rows share one store beside the study directory, in one experiment."""
    from robustx_loggers.mlflow_tracker import mlflow_tracker

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    run = tmp_path / "runs" / "r-1"
    run.mkdir(parents=True)
    assert mlflow_tracker(str(run)).default_store() == tmp_path / "runs" / "mlruns"
    study, row = tmp_path / "runs" / "s-1", tmp_path / "runs" / "s-1" / "seed-0"
    row.mkdir(parents=True)
    (study / ".robustx-run").write_text(json.dumps({"kind": "study", "recipe": "s"}))
    tracker = mlflow_tracker(str(row))
    assert tracker.default_store() == tmp_path / "runs" / "mlruns" and tracker.group({"name": "s-seed-0"}) == "s"
