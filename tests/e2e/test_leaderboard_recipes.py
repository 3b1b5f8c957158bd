"""The issue-29 recipes: the CIFAR-10 leaderboard-style recipe smoke-runs with every ingredient switched on.

CIFAR-10 is written in its genuine archive format by tests/data_writers.py (40 images); the generated
images are a small NPZ in Wang et al. 2023's layout. The recipe's own WRN-28-10 also runs in
tests/e2e/test_recipes_cifar.py (every shipped CIFAR recipe); here the net is shrunk so the check of the
ingredients stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from data_writers import write_cifar10

import robustx
from robustx.base import checkpoint

TINY = ["train.epochs=2", "data.limit=16", "data.batch_size=8", "evaluate.limit=4", "train.val_limit=4",
        "model.name=wide_resnet", "model.depth=10", "model.widen_factor=1", "train.defense.steps=1",
        "train.val_attack.steps=1", "train.defense.awp.warmup_epochs=1",
        "evaluate.attacks=[clean, {name: pgd, eps: 8/255, alpha: 2/255, steps: 2}]", "report.analyses=[]"]


def test_the_cifar10_leaderboard_recipe_runs_with_generated_data_awp_and_ema(tmp_path):
    write_cifar10(tmp_path, n_train=40, n_test=12, as_tar=True)
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "cifar10_generated.npz", image=rng.integers(0, 256, (30, 32, 32, 3), dtype=np.uint8),
             label=rng.integers(0, 10, 30))
    res = robustx.run_recipe("cifar10_trades_awp_ema", [f"data.root={tmp_path}", *TINY], out=str(tmp_path / "runs"),
                             device="cpu")
    run_dir = Path(res["run_dir"])
    metrics = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    # batches of 8 = 2 CIFAR images + 6 generated (fraction 0.7): 16 training images -> 8 steps per epoch
    assert [m["awp"] for m in metrics] == [0.0, 1.0]  # AWP after its one warm-up epoch
    assert all(m["trades_kl"] >= 0 for m in metrics)
    state = checkpoint.load_training_state(run_dir / "checkpoints" / "last.safetensors")
    assert state["extra"]["step"] == 16 and state["extra"]["ema"]["updates"] == 16
    averaged = {k[len("module."):]: v for k, v in state["extra"]["ema"]["averaged"].items() if k.startswith("module.")}
    last = checkpoint.read(run_dir / "model_last.safetensors")[0]
    assert all(np.array_equal(last[k].numpy(), averaged[k].numpy()) for k in last)
    assert res["n"] == 4 and {a["name"] for a in res["attacks"]} == {"clean", "pgd"}
