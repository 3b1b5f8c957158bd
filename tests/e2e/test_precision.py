"""train.precision / channels_last / compile and evaluate.precision (issue 9 item 1), on CPU.

bf16 and fp16 autocast both run on CPU in torch 2.13 (fp16 with ``GradScaler("cpu")``), so the
same code paths as on CUDA are exercised here; only the speed is not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

import robustx
from robustx.base.checkpoint import load_training_state, read
from robustx.base.errors import ParamError, RobustxError
from robustx.train import precision as precision_mod
from robustx.train.defense import Defense

RECIPE: dict[str, Any] = {
    "name": "precision_tiny", "description": "PGD-AT on digits for the precision tests", "seed": 0,
    "data": {"name": "digits", "batch_size": 64, "val_split": 0.1, "limit": 192, "test_limit": 64},
    "model": {"name": "small_cnn"},
    "train": {"epochs": 1, "optimizer": {"name": "adam", "lr": 0.003}, "val_limit": 32, "track_examples": 0,
              "defense": {"name": "pgd_at", "attack": {"name": "pgd", "eps": 0.1, "alpha": 0.05, "steps": 2}}},
    "evaluate": {"attacks": ["clean", {"name": "fgsm", "eps": 0.1}]},
}


def run(tmp_path: Path, *overrides: str) -> dict[str, Any]:
    import yaml

    path = tmp_path / "precision_tiny.yaml"
    path.write_text(yaml.safe_dump(RECIPE, sort_keys=False))
    return robustx.run_recipe(str(path), list(overrides), out=tmp_path / "runs", device="cpu")


class Probe(Defense):
    """Records the autocast state inside ``loss``, where defenses run their training attacks."""

    def __init__(self) -> None:
        self.seen: list[tuple[bool, torch.dtype]] = []

    def loss(self, model, x, y):
        self.seen.append((torch.is_autocast_enabled("cpu"), model(x).dtype))
        return torch.nn.functional.cross_entropy(model(x).float(), y)


def train_epoch(precision: str, defense: Defense) -> dict[str, float]:
    from robustx.datasets.batches import DeviceImageSet
    from robustx.datasets.bundle import DatasetInfo, ImageSet
    from robustx.train.defense import TrainContext
    from robustx.train.epoch import train_one_epoch
    from robustx.train.precision import StepPrecision

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 4))
    data = DeviceImageSet(ImageSet(torch.rand(40, 1, 4, 4), torch.randint(0, 4, (40,))), torch.device("cpu"))
    info = DatasetInfo(name="t", num_classes=4, in_channels=1, image_size=4, mean=(0.5,), std=(0.5,))
    ctx = TrainContext(model=model, device=torch.device("cpu"), info=info, epochs=1,
                       generator=torch.Generator().manual_seed(0), create_attack=lambda *_: None)
    step = StepPrecision(precision, torch.device("cpu"))
    out = train_one_epoch(model, defense, data, torch.optim.SGD(model.parameters(), lr=0.1), ctx=ctx, batch_size=16,
                          augment="none", progress=False, precision=step)
    out["scale"] = step.scaler.get_scale() if step.scaler is not None else None
    return out


@pytest.mark.parametrize("precision,dtype", [("fp32", torch.float32), ("bf16", torch.bfloat16),
                                             ("fp16", torch.float16)])
def test_the_defense_loss_and_its_attack_run_under_the_training_autocast(precision, dtype):
    probe = Probe()
    metrics = train_epoch(precision, probe)
    assert probe.seen == [(precision != "fp32", dtype)] * 3
    assert torch.isfinite(torch.tensor(metrics["train_loss"]))
    assert (metrics["scale"] is not None) == (precision == "fp16")  # a GradScaler only for fp16


def test_bf16_channels_last_compile_run_end_to_end(tmp_path, monkeypatch):
    monkeypatch.setattr(precision_mod, "COMPILE_BACKEND", "eager")  # the compile path, without a C++ build
    res = run(tmp_path, "train.precision=bf16", "train.channels_last=true", "train.compile=true")
    run_dir = Path(res["run_dir"])
    assert "precision" not in res  # evaluation stays fp32 unless evaluate.precision says otherwise
    weights, _ = read(run_dir / "model.safetensors")
    assert weights and not any("_orig_mod" in k for k in weights)  # the plain module is saved, not the wrapper
    assert json.loads((run_dir / "metrics.jsonl").read_text().splitlines()[0])["train_loss"] > 0


def test_fp16_keeps_its_loss_scale_in_the_checkpoint(tmp_path):
    res = run(tmp_path, "train.precision=fp16")
    state = load_training_state(Path(res["run_dir"]) / "checkpoints" / "last.safetensors")
    assert state["extra"]["grad_scaler"]["scale"] > 1  # restored on --resume


def test_low_precision_evaluation_is_recorded(tmp_path):
    res = run(tmp_path, "evaluate.precision=bf16", "train.epochs=0")
    assert res["precision"] == "bf16"
    saved = json.loads((Path(res["run_dir"]) / "results.json").read_text())
    assert saved["precision"] == "bf16"


def test_unknown_precision_is_a_one_line_error(tmp_path):
    with pytest.raises(ParamError, match="train.precision"):
        run(tmp_path, "train.precision=fp8")
    with pytest.raises(ParamError, match="precision: 'int4' is not one of fp32, bf16, fp16"):
        precision_mod.autocast_dtype("int4")


def test_autocast_refuses_a_device_without_it(monkeypatch):
    monkeypatch.setattr(torch.amp.autocast_mode, "is_autocast_available", lambda _t: False)
    with pytest.raises(RobustxError, match="bf16 autocast is not available on device 'cpu'; use fp32"):
        precision_mod.StepPrecision("bf16", torch.device("cpu"))


def test_the_audit_warns_about_a_low_precision_evaluation(tmp_path):
    res = run(tmp_path, "evaluate.precision=bf16", "evaluate.audit=quick", "train.epochs=0")
    (found,) = [f for f in res["audit"] if f["check"] == "low_precision_evaluation"]
    assert found["status"] == "warn" and "bf16 autocast" in found["evidence"]
