"""The train-then-evaluate pipeline end to end on digits: run directory, resume, atomic checkpoints, API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import fresh_plugin_host
from helpers import StopAfterEpoch

import robustx
from robustx.base import checkpoint
from robustx.base.errors import CheckpointError

QUICK = ["train.epochs=2", "data.batch_size=128", "train.val_limit=64", "evaluate.limit=96",
         "evaluate.attacks=[clean, {name: fgsm, eps: 0.1}, {name: pgd, eps: 0.1, alpha: 0.05, steps: 3}]",
         "train.defense.attack.steps=2", "train.val_attack.steps=2"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("runs")
    return robustx.run_recipe("quickstart", QUICK, out=str(out))


def test_run_directory_holds_everything(finished_run):
    run_dir = Path(finished_run["run_dir"])
    for name in ("recipe.yaml", "metrics.jsonl", "model.safetensors", "model.json", "model_last.safetensors",
                 "results.json", "results.md", "checkpoints/last.safetensors", "tracking/probs.jsonl",
                 "tracking/examples.safetensors"):
        assert (run_dir / name).is_file(), name
    metrics = [json.loads(l) for l in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [m["epoch"] for m in metrics] == [1, 2]
    assert {"train_loss", "val_accuracy", "val_robust_accuracy", "lr", "seconds"} <= set(metrics[0])
    results = json.loads((run_dir / "results.json").read_text())
    assert {a["name"] for a in results["attacks"]} == {"clean", "fgsm", "pgd"}
    assert all(a["n"] == 96 and a["seconds"] >= 0 for a in results["attacks"])
    meta = json.loads((run_dir / "model.json").read_text())
    assert meta["architecture"]["name"] == "small_cnn" and meta["dataset"]["image_size"] == 8
    assert meta["normalization"]["inside_model"] is True
    probs = (run_dir / "tracking" / "probs.jsonl").read_text().splitlines()
    assert [json.loads(l)["epoch"] for l in probs] == [0, 1, 2]
    assert "| pgd" in (run_dir / "results.md").read_text()


def test_numbers_are_consistent(finished_run):
    accs = {a["name"]: a["robust_accuracy"] for a in finished_run["attacks"]}
    assert accs["clean"] == finished_run["clean_accuracy"] > 0.5
    assert accs["pgd"] <= accs["clean"] and accs["fgsm"] <= accs["clean"]
    group = next(g for g in finished_run["threat_models"] if g["norm"] == "Linf")
    assert set(group["attacks"]) >= {"fgsm", "pgd"}  # the grouping math itself: tests/unit/test_threat_models.py
    assert finished_run["stochastic"] is False


def test_load_model_reproduces_clean_accuracy(finished_run):
    model = robustx.load_model(finished_run["run_dir"])
    run = robustx.load_run(finished_run["run_dir"])
    test = run.dataset().test
    x, y = test.as_float(slice(0, 96)), test.y[:96]
    with torch.no_grad():
        acc = (model(x).argmax(1) == y).float().mean().item()
    assert acc == pytest.approx(finished_run["clean_accuracy"], abs=1e-6)


def test_eval_command_reevaluates(finished_run):
    from click.testing import CliRunner

    from robustx.cli import cli

    result = CliRunner().invoke(cli, ["eval", finished_run["run_dir"], "--attack", "clean",
                                      "--attack", "pgd eps=0.2 alpha=0.05 steps=5", "--limit", "64", "--quiet"])
    assert result.exit_code == 0, result.output
    written = Path(result.output.strip().splitlines()[-1].split(": ", 1)[1])
    res = json.loads(written.read_text())
    assert res["attacks"][1]["params"] == {"eps": 0.2, "alpha": 0.05, "steps": 5} and res["n"] == 64
    assert res["attacks"][1]["robust_accuracy"] <= res["clean_accuracy"]


def test_resume_continues_exactly(tmp_path):
    """Killed after epoch 2 of 3, then resumed: bit-identical to 3 epochs straight (model, optimizer, schedule, RNG)."""
    straight = robustx.run_recipe("quickstart", QUICK + ["train.epochs=3"], out=str(tmp_path / "a"))
    with fresh_plugin_host({"kill-after-2": StopAfterEpoch(2)}), pytest.raises(KeyboardInterrupt):
        robustx.run_recipe("quickstart", QUICK + ["train.epochs=3"], out=str(tmp_path / "b"))
    run_dir = next((tmp_path / "b").iterdir())
    assert not (run_dir / "results.json").exists()
    resumed = robustx.run_recipe("quickstart", resume=str(run_dir))
    assert resumed["run_dir"] == str(run_dir)
    a = checkpoint.read(Path(straight["run_dir"]) / "model_last.safetensors")[0]
    b = checkpoint.read(run_dir / "model_last.safetensors")[0]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    epochs = [json.loads(l)["epoch"] for l in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert epochs == [1, 2, 3]
    assert resumed["clean_accuracy"] == straight["clean_accuracy"]


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    checkpoint.write_atomic(path, {"w": torch.ones(3)}, {"epoch": 1})

    def crash(*args, **kwargs):
        Path(args[1]).write_bytes(b"half a file")
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr("safetensors.torch.save_file", crash)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.write_atomic(path, {"w": torch.zeros(3)}, {"epoch": 2})
    tensors, meta = checkpoint.read(path)
    assert meta == {"epoch": 1} and torch.equal(tensors["w"], torch.ones(3))


def test_training_state_roundtrip(tmp_path):
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.ones(1, 3)).sum().backward()
    opt.step()
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, [1], 0.1)
    checkpoint.save_training_state(tmp_path / "s.safetensors", model=model, optimizer=opt, scheduler=sched,
                                   epoch=4, rng={"t": torch.get_rng_state(), "x": (1, "a")},
                                   extra={"history": [{"epoch": 4}]})
    state = checkpoint.load_training_state(tmp_path / "s.safetensors")
    assert state["epoch"] == 4 and state["extra"]["history"] == [{"epoch": 4}]
    assert state["rng"]["x"] == (1, "a")
    fresh = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    fresh.load_state_dict(state["optimizer"])
    assert torch.equal(fresh.state_dict()["state"][0]["momentum_buffer"], opt.state_dict()["state"][0]["momentum_buffer"])


def test_pickled_weights_need_explicit_consent(tmp_path):
    path = tmp_path / "w.pt"
    torch.save({"weight": torch.ones(2)}, path)
    with pytest.raises(CheckpointError, match="never unpickles files unless asked"):
        checkpoint.load_weights(path)
    assert torch.equal(checkpoint.load_weights(path, allow_pickle=True)["weight"], torch.ones(2))


def test_python_api_creates_components():
    model = robustx.create_model("small_cnn", num_classes=10, in_channels=1, image_size=8)
    attack = robustx.create_attack("fgsm", model.eval(), eps=8 / 255)
    x = torch.rand(4, 1, 8, 8)
    x_adv = attack(x, torch.zeros(4, dtype=torch.long))
    assert x_adv.shape == x.shape and (x_adv - x).abs().max() <= 8 / 255 + 1e-6
    assert "quickstart" in robustx.list_components("recipe")
    with pytest.raises(robustx.RobustxError, match="eps: must be >= 0"):
        robustx.create_attack("fgsm", model, eps=-1)


def test_early_stopping_keeps_the_best_checkpoint(tmp_path):
    """min_delta=1 can never be beaten: training stops after `patience` stale epochs; model.safetensors is epoch 1."""
    res = robustx.run_recipe("quickstart", QUICK + ["train.epochs=6",
                                                    "train.early_stopping={patience: 2, min_delta: 1.0}"],
                             out=str(tmp_path))
    assert res["epochs_trained"] == 3 and res["best_epoch"] == 1
    assert "early stopping" in res["stopped"]
    meta = json.loads((Path(res["run_dir"]) / "model.json").read_text())
    assert meta["epoch"] == 1 and meta["checkpoint"] == "best"


def test_randomized_model_is_evaluated_with_eot(tmp_path):
    res = robustx.run_recipe("quickstart", QUICK + ["train.epochs=1", "model.transforms=[{name: inference_noise, sigma: 0.1}]",
                                                    "evaluate.eot_samples=3", "evaluate.n_predictions=4"],
                             out=str(tmp_path))
    assert res["stochastic"] is True and res["eot_samples"] == 3 and res["n_predictions"] == 4
    pgd = next(a for a in res["attacks"] if a["name"] == "pgd")
    assert pgd["eot_samples"] == 3 and pgd["predictions_averaged"] == 4
    assert "EOT with 3 samples" in (Path(res["run_dir"]) / "results.md").read_text()
    model = robustx.load_model(res["run_dir"])  # the transform is rebuilt from model.json
    x = torch.rand(2, 1, 8, 8)
    assert not torch.equal(model(x), model(x))


def test_clean_accuracy_is_measured_even_when_not_listed(tiny_model, digits_tensors):
    from robustx.datasets.batches import DeviceImageSet
    from robustx.datasets.bundle import ImageSet
    from robustx.evaluation.evaluator import EvalConfig, evaluate_attacks

    _, _, xt, yt = digits_tensors
    data = DeviceImageSet(ImageSet(xt[:64], yt[:64]), torch.device("cpu"))
    create = lambda spec, model: robustx.create_attack(spec["name"], model, eps=spec["eps"])  # noqa: E731
    res = evaluate_attacks(tiny_model, data, [{"name": "fgsm", "eps": 0.2}], create, EvalConfig(batch_size=32))
    with torch.no_grad():
        expected = (tiny_model(xt[:64]).argmax(1) == yt[:64]).float().mean().item()
    assert res["clean_accuracy"] == pytest.approx(expected)
    assert [g["attacks"] for g in res["threat_models"]] == [["fgsm"]]
