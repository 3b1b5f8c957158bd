"""Run-pipeline edges (issue 11): divergence, resume trust, kill -9 leftovers, the run directory up front."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from conftest import fresh_plugin_host

import robustx
from robustx.base import checkpoint
from robustx.base.errors import CheckpointError, DivergenceError, RecipeError
from robustx.cli import cli

# digits, plain training, 2 epochs of 2 batches, clean evaluation only: about a second per run
TINY = ["data.limit=256", "data.batch_size=128", "train.epochs=2", "train.defense={name: standard}",
        "train.val_attack=null", "train.val_limit=32", "evaluate.attacks=[clean]", "evaluate.limit=64"]


class _OnEpochEnd:
    """A run-event plugin that acts on the model right after an epoch's checkpoint."""

    def __init__(self, epoch: int, action: str) -> None:
        self.epoch, self.action = epoch, action

    @robustx.hookimpl
    def robustx_run_event(self, event, payload):
        if event != "epoch_end" or payload["epoch"] != self.epoch:
            return
        if self.action == "interrupt":
            raise KeyboardInterrupt
        with torch.no_grad():  # "poison": the next batch's loss is NaN
            next(payload["model"].parameters()).fill_(float("nan"))


def _run_with(plugin: _OnEpochEnd, overrides: list[str], out: Path) -> tuple[Path, BaseException]:
    """Run quickstart with ``plugin`` registered; return the run directory it left and the exception."""
    with fresh_plugin_host({f"test-{plugin.action}": plugin}), \
            pytest.raises((KeyboardInterrupt, DivergenceError)) as caught:
        robustx.run_recipe("quickstart", overrides, out=str(out))
    (run_dir,) = list(out.iterdir())
    return run_dir, caught.value


def _epochs(path: Path) -> list[int]:
    return [json.loads(line)["epoch"] for line in path.read_text().splitlines() if line.strip()]


# -- divergence -------------------------------------------------------------------------------
@pytest.mark.parametrize("lr", ["1000", ".inf"])
def test_diverging_learning_rate_fails_in_one_line(tmp_path, lr):
    """SGD lr 1000 diverges in epoch 1 (caught at run time); lr .inf (caught at validation or run time)."""
    result = CliRunner().invoke(cli, ["recipe", "run", "quickstart", *TINY,
                                      f"train.optimizer={{name: sgd, lr: {lr}}}", "--out", str(tmp_path), "--quiet"])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    if lr == "1000":  # 2 batches per epoch: the loss explodes past 1e6 x its start in epoch 2
        assert re.match(r"Error: training diverged at epoch 2, batch \d+: loss \S+ (is not finite|exceeds 1e\+06)",
                        errors[0]), errors[0]
        assert "lower train.optimizer.lr" in errors[0] and "the checkpoint of epoch 1 is kept" in errors[0]


def test_divergence_keeps_the_last_good_checkpoint(tmp_path):
    run_dir, error = _run_with(_OnEpochEnd(1, "poison"), TINY + ["train.epochs=3"], tmp_path)
    message = str(error)
    assert message.startswith("training diverged at epoch 2, batch 1: loss nan is not finite")
    assert f"checkpoint of epoch 1 is kept in {run_dir}" in message and "\n" not in message
    state = checkpoint.load_training_state(run_dir / "checkpoints" / "last.safetensors")
    assert state["epoch"] == 1 and all(torch.isfinite(v).all() for v in state["model"].values())
    assert _epochs(run_dir / "metrics.jsonl") == [1]


def test_exploding_loss_and_non_finite_weights_are_divergence():
    from robustx.train.divergence import CHECK_EVERY, DivergenceGuard

    guard = DivergenceGuard()
    guard.start_epoch(3)
    for batch, loss in enumerate([2.3, 40.0, 1e5, 3e6], start=1):  # 3e6 > 1e6 x the first loss 2.3
        guard.observe(torch.tensor(loss), batch)
    with pytest.raises(DivergenceError, match=r"epoch 3, batch 4: loss 3e\+06 exceeds 1e\+06 x the first loss"):
        guard.check()
    guard.start_epoch(4)
    guard.observe(torch.tensor(5.0), CHECK_EVERY)  # the periodic host check passes a healthy loss
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    guard.check_weights(model)
    model[1].running_var.fill_(float("inf"))
    with pytest.raises(DivergenceError, match="epoch 4: weights '1.running_var' are not finite"):
        guard.check_weights(model)


def test_nan_outputs_are_not_taken_for_a_randomized_model():
    from robustx.evaluation.stochastic import is_stochastic

    class NaNModel(torch.nn.Module):
        def forward(self, x):
            return torch.full((x.shape[0], 10), float("nan"))

    assert is_stochastic(NaNModel(), torch.rand(4, 1, 8, 8)) is False


# -- resume trusts only robustx's directories ---------------------------------------------------
def test_resume_refuses_a_folder_robustx_did_not_create(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    recipe = "# my notes\nname: quickstart\nseed: 0\ndata: {name: digits}\nmodel: {name: small_cnn}\n"
    (folder / "recipe.yaml").write_text(recipe)
    result = CliRunner().invoke(cli, ["recipe", "run", "quickstart", "--resume", str(folder)])
    assert result.exit_code == 1
    assert f"Error: --resume {folder}: not a run directory robustx created (no .robustx-run file)" in result.output
    assert [p.name for p in folder.iterdir()] == ["recipe.yaml"] and (folder / "recipe.yaml").read_text() == recipe


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory) -> Path:
    """A run stopped (like Ctrl-C) right after epoch 1 of 2."""
    return _run_with(_OnEpochEnd(1, "interrupt"), TINY, tmp_path_factory.mktemp("interrupted"))[0]


def test_resume_with_another_recipe_name_is_an_error(interrupted):
    marker = json.loads((interrupted / ".robustx-run").read_text())
    assert marker["kind"] == "run" and marker["recipe"] == "quickstart" and marker["created"]
    with pytest.raises(RecipeError, match=f"--resume {interrupted} holds a run of recipe 'quickstart', "
                                          "not 'mnist_pgd_at'"):
        robustx.run_recipe("mnist_pgd_at", resume=str(interrupted))
    with pytest.raises(RecipeError, match="overrides .*train.epochs=5.* are not accepted"):
        robustx.run_recipe("quickstart", ["train.epochs=5"], resume=str(interrupted))


def test_resume_repairs_kill_leftovers_and_keeps_recipe_yaml(tmp_path, interrupted):
    import shutil

    run_dir = Path(shutil.copytree(interrupted, tmp_path / "run"))
    # what a kill -9 during epoch 2 (after its files, before or while writing its checkpoint) leaves
    with open(run_dir / "tracking" / "probs.jsonl", "a") as handle:
        handle.write(json.dumps({"epoch": 2, "probs": [[0.1] * 10]}) + '\n{"epoch": 3, "pro')
    with open(run_dir / "metrics.jsonl", "a") as handle:
        handle.write(json.dumps({"epoch": 2, "train_loss": 0.1}) + "\n")
    (run_dir / "checkpoints" / ".last.safetensors.tmp").write_bytes(b"torn" * 1000)
    ahead = {k: torch.zeros_like(v) for k, v in checkpoint.read(run_dir / "model.safetensors")[0].items()}
    checkpoint.write_atomic(run_dir / "model.safetensors", ahead, {"epoch": 2, "checkpoint": "best"})
    recipe_yaml = (run_dir / "recipe.yaml").read_text() + "# a note the user added\n"
    (run_dir / "recipe.yaml").write_text(recipe_yaml)

    echoed: list[str] = []
    res = robustx.run_recipe("quickstart", resume=str(run_dir), echo=echoed.append)
    assert echoed[0] == f"run directory: {run_dir}" and echoed[1] == f"resuming {run_dir} after epoch 1"
    assert (run_dir / "recipe.yaml").read_text() == recipe_yaml  # read, never rewritten
    assert _epochs(run_dir / "tracking" / "probs.jsonl") == [0, 1, 2]
    assert _epochs(run_dir / "metrics.jsonl") == [1, 2]
    assert not list(run_dir.rglob("*.tmp"))
    best = checkpoint.read(run_dir / "model.safetensors")
    assert best[1]["epoch"] == res["best_epoch"] and json.loads((run_dir / "model.json").read_text())["epoch"] == \
        res["best_epoch"]
    assert not all(torch.equal(v, torch.zeros_like(v)) for v in best[0].values())
    assert checkpoint.read(run_dir / "model_last.safetensors")[1]["epoch"] == 2


def test_best_model_behind_the_checkpoint_is_rewritten_from_it(tmp_path):
    """A kill between the checkpoint and model.safetensors: the checkpoint's epoch was the best one."""
    from robustx.runs.state import Progress, reconcile_model_files
    from robustx.train.best import BestEpoch

    checkpoint.write_atomic(tmp_path / "model.safetensors", {"w": torch.zeros(1)}, {"epoch": 1})
    (tmp_path / "model_last.safetensors").write_bytes(b"stale")
    rewritten: list[int] = []
    progress = Progress([{"epoch": 1}, {"epoch": 2}], BestEpoch(value=0.9, epoch=2))
    reconcile_model_files(tmp_path, progress, lambda: rewritten.append(progress.best.epoch))
    assert rewritten == [2] and not (tmp_path / "model_last.safetensors").exists()
    with pytest.raises(CheckpointError, match="holds epoch 1, not the best epoch 3"):
        reconcile_model_files(tmp_path, Progress([{"epoch": 4}], BestEpoch(epoch=3)), lambda: None)
