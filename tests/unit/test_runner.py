"""The run's stages on their own: each can be called (and checked) without running the rest."""

from __future__ import annotations

import json

import pytest

from robustx.config.recipe import apply_overrides, load_raw, validate
from robustx.host.manager import get_host
from robustx.runs.recipe_run import RecipeRun, RunOptions
from robustx.train.best import BestEpoch

TINY = ["data.limit=256", "data.batch_size=128", "train.epochs=2", "train.defense={name: standard}",
        "train.val_attack=null", "train.val_limit=32", "evaluate.attacks=[clean]", "evaluate.limit=64"]


def test_setup_then_one_epoch_writes_its_checkpoint_first(tmp_path):
    raw, source = load_raw("quickstart")
    run = RecipeRun(validate(apply_overrides(raw, TINY), source), tmp_path, RunOptions(progress=False), get_host())
    run.setup()
    assert len(run.train_data) == 256 and len(run.test_data) == 256 and run.val_data is not None
    assert run.training.ctx.steps_per_epoch == 2 and run.training.scheduler is not None  # quickstart: cosine
    run.resume()  # a fresh directory: nothing to restore, empty metrics.jsonl
    assert run.progress.epoch == 0 and (tmp_path / "metrics.jsonl").read_text() == ""
    metrics = run.train_epoch(1)
    assert metrics["epoch"] == 1 and metrics["best_epoch"] == 1 and "val_accuracy" in metrics
    assert (tmp_path / "checkpoints" / "last.safetensors").is_file()
    assert json.loads((tmp_path / "model.json").read_text())["epoch"] == 1
    assert [json.loads(line)["epoch"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()] == [1]
    assert run.guard.reference == pytest.approx(2.3, abs=0.3)  # the first batch's loss, about log(10)


def test_best_epoch_and_early_stopping():
    from robustx.config.models import EarlyStoppingSettings

    es = EarlyStoppingSettings(patience=2, metric="val_accuracy", min_delta=0.05)  # train.early_stopping, typed
    best = BestEpoch()
    assert best.update({"val_accuracy": 0.5}, 1, es, validated=True)
    assert not best.update({"val_accuracy": 0.54}, 2, es, validated=True)  # within min_delta: stale
    assert best.stop_reason(es) is None
    assert not best.update({"val_accuracy": 0.3}, 3, es, validated=True)
    assert best.stop_reason(es) == "early stopping: val_accuracy did not improve for 2 epochs"
    assert BestEpoch.from_json(best.to_json()) == best and best.epoch == 1
    unvalidated = BestEpoch()
    assert all(unvalidated.update({}, epoch, None, validated=False) for epoch in (1, 2, 3))  # the last is best


def test_eval_config_prefers_the_test_batch_size_and_tolerates_older_recipes():
    """`recipe run` and `robustx eval RUN_DIR` build their EvalConfig from the same function."""
    from robustx.evaluation.evaluator import EvalConfig
    from robustx.runs.measure import eval_config

    recipe = {"data": {"batch_size": 64, "test_batch_size": 500},
              "evaluate": {"eot_samples": 3, "n_predictions": 7, "batch_size": None}}
    assert eval_config(recipe, None, progress=False) == EvalConfig(500, 3, 7, progress=False)
    assert eval_config(recipe, 32, progress=True).batch_size == 32
    # a recipe.yaml saved before these keys existed: the typed recipe's defaults, data.batch_size for batches
    from robustx.config.models import DataSettings

    old = eval_config({"data": {"batch_size": 64}}, None, progress=False)
    assert old == EvalConfig(batch_size=64, progress=False)
    assert eval_config({"data": {}}, None, progress=False).batch_size == DataSettings.model_fields["batch_size"].default
