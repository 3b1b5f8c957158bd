"""Preemption: SIGTERM/SIGUSR1 stop a run after the batch in flight, checkpoint mid-epoch, and
``--resume`` continues bitwise identically to an uninterrupted run (robustx.base.preemption)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import robustx
from robustx.base.preemption import Preempted
from robustx.cli import cli

# random starts (global RNG), augmentation (the run's generator), a per-batch schedule and validation:
# everything a mid-epoch resume must restore exactly
RECIPE = {
    "name": "preempt",
    "seed": 3,
    "data": {"name": "digits", "batch_size": 64, "limit": 512, "val_split": 0.1, "test_limit": 32,
             "augment": "crop_flip"},
    "model": {"name": "small_cnn"},
    "train": {"epochs": 2, "optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.9},
              "schedule": {"name": "onecycle", "max_lr": 0.1},
              "defense": {"name": "pgd_at", "attack": {"name": "pgd", "eps": 0.1, "alpha": 0.05, "steps": 2}},
              "val_limit": 32, "track_examples": 0},
    "evaluate": {"attacks": ["clean", {"name": "fgsm", "eps": 0.1}]},
}
BATCHES_PER_EPOCH = 8  # 460 training images (512 - 10% validation) in batches of 64


@pytest.fixture
def recipe_file(tmp_path: Path) -> Path:
    path = tmp_path / "preempt.yaml"
    path.write_text(yaml.safe_dump(RECIPE, sort_keys=False), encoding="utf-8")
    return path


def signal_at_step(monkeypatch: pytest.MonkeyPatch, step: int, signum: int = signal.SIGTERM) -> None:
    """The test hook: the process sends itself ``signum`` during optimizer step ``step`` (1-based, over the run)."""
    from robustx.train.precision import StepPrecision

    original, count = StepPrecision.backward_step, [0]

    def backward_step(self, *args, **kwargs):
        count[0] += 1
        if count[0] == step:
            os.kill(os.getpid(), signum)  # arrives mid-batch; the batch still finishes
        return original(self, *args, **kwargs)

    monkeypatch.setattr(StepPrecision, "backward_step", backward_step)


def weights(run_dir: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(run_dir / "model_last.safetensors"))


def test_sigterm_mid_epoch_2_then_resume_is_bitwise_identical(recipe_file, tmp_path, monkeypatch):
    import json

    import torch

    whole = robustx.run_recipe(str(recipe_file), out=str(tmp_path / "whole"), device="cpu")
    with monkeypatch.context() as patch:
        signal_at_step(patch, BATCHES_PER_EPOCH + 3)  # batch 3 of epoch 2
        with pytest.raises(Preempted, match=r"SIGTERM after batch 3 of epoch 2 .*--resume") as stopped:
            robustx.run_recipe(str(recipe_file), out=str(tmp_path / "cut"), device="cpu")
    assert stopped.value.exit_code == 143
    (run_dir,) = (tmp_path / "cut").iterdir()
    assert not (run_dir / "results.json").exists()
    assert len((run_dir / "metrics.jsonl").read_text().splitlines()) == 1  # epoch 1 only
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is gone after the run

    resumed = robustx.run_recipe(None, resume=str(run_dir), device="cpu")
    a, b = weights(Path(whole["run_dir"])), weights(run_dir)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    lines = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    ref = [json.loads(x) for x in (Path(whole["run_dir"]) / "metrics.jsonl").read_text().splitlines()]
    drop = ("seconds",)
    assert [{k: v for k, v in m.items() if k not in drop} for m in lines] == \
        [{k: v for k, v in m.items() if k not in drop} for m in ref]
    assert resumed["attacks"][1]["robust_accuracy"] == whole["attacks"][1]["robust_accuracy"]


def test_cli_sigusr1_prints_the_resume_command_and_exits_138(recipe_file, tmp_path, monkeypatch):
    signal_at_step(monkeypatch, 2, signal.SIGUSR1)
    result = CliRunner().invoke(cli, ["recipe", "run", str(recipe_file), "--out", str(tmp_path / "runs"),
                                      "--device", "cpu", "--quiet"])
    assert result.exit_code == 138, result.output
    (run_dir,) = (tmp_path / "runs").iterdir()
    line = result.output.strip().splitlines()[-1]
    assert line == (f"Preempted by SIGUSR1 after batch 2 of epoch 1 (checkpoint written). A run can continue "
                    f"with `robustx recipe run preempt --resume {run_dir}`.")
    assert (run_dir / "checkpoints" / "last.safetensors").is_file()


def test_sigterm_in_a_sequential_study_names_the_study_to_resume(recipe_file, tmp_path, monkeypatch):
    study = tmp_path / "study.yaml"
    study.write_text(yaml.safe_dump({**RECIPE, "name": "pstudy", "variants": [{"name": "one"}, {"name": "two"}]}))
    signal_at_step(monkeypatch, 2)
    result = CliRunner().invoke(cli, ["recipe", "run", str(study), "--out", str(tmp_path / "runs"), "--device", "cpu",
                                      "--quiet"])
    assert result.exit_code == 143, result.output
    (study_dir,) = (tmp_path / "runs").iterdir()
    assert result.output.strip().splitlines()[-1] == (
        "Preempted by SIGTERM after batch 2 of epoch 1 (checkpoint written) in row 'one'. The study can continue "
        f"with `robustx recipe run pstudy --resume {study_dir}`.")
