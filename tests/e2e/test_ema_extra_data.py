"""Weight averaging (``train.ema``) and extra data (``data.extra``) in real runs (issue 29).

Runs are tiny (8x8 digits, a few hundred images, one or two epochs) so the whole module stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml
from conftest import fresh_plugin_host
from helpers import StopAfterEpoch
from torch import nn

import robustx
from robustx.base import checkpoint
from robustx.base.errors import DataError, ParamError
from robustx.datasets.batches import DeviceImageSet
from robustx.datasets.bundle import ImageSet
from robustx.datasets.mixed import MixedImageSet
from robustx.train.ema import WeightAverage

TINY: dict[str, Any] = {
    "name": "tiny_ema", "description": "tiny run for EMA / extra data", "seed": 0,
    "data": {"name": "digits", "batch_size": 64, "val_split": 0.1, "limit": 256, "test_limit": 128},
    "model": {"name": "small_cnn"},
    "train": {"epochs": 2, "optimizer": {"name": "adam", "lr": 0.01}, "val_limit": 32, "track_examples": 0,
              "ema": {"decay": 0.8, "warmup_steps": 2},
              "defense": {"name": "pgd_at", "attack": {"name": "pgd", "eps": 0.1, "alpha": 0.05, "steps": 2}},
              "val_attack": {"name": "fgsm", "eps": 0.1}},
    "evaluate": {"attacks": ["clean"], "checkpoint": "last"},
}


def write(tmp_path: Path, **sections: Any) -> Path:
    spec = {**TINY, **{k: {**TINY.get(k, {}), **v} if isinstance(v, dict) else v for k, v in sections.items()}}
    path = tmp_path / "tiny_ema.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def weights(path: Path) -> dict[str, torch.Tensor]:
    return checkpoint.read(path)[0]


def same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# -- EMA ------------------------------------------------------------------------------------------


def test_weight_average_copies_during_warmup_then_averages_weights_and_bn_buffers():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    ema = WeightAverage(model, decay=0.75, warmup_steps=2)
    history = []
    for step in range(4):
        with torch.no_grad():
            model[0].weight.add_(1.0)
        model(torch.randn(8, 3))  # moves the BN running statistics
        history.append({k: v.clone() for k, v in model.state_dict().items()})
        ema.update()
    avg = ema.module.state_dict()
    # steps 0, 1 copy; steps 2, 3 average: 0.75^2 * w1 + 0.75 * 0.25 * w2 + 0.25 * w3
    for key in ("0.weight", "1.running_mean", "1.running_var"):
        expected = 0.5625 * history[1][key] + 0.1875 * history[2][key] + 0.25 * history[3][key]
        assert torch.allclose(avg[key], expected, atol=1e-6), key
    assert not torch.equal(avg["0.weight"], model.state_dict()["0.weight"])
    assert ema.updates == 4 and ema.averaged.n_averaged.item() == 3


def test_an_ema_run_validates_saves_and_evaluates_the_averaged_weights(tmp_path):
    res = robustx.run_recipe(str(write(tmp_path)), out=str(tmp_path / "runs"), device="cpu")
    run_dir = Path(res["run_dir"])
    state = checkpoint.load_training_state(run_dir / "checkpoints" / "last.safetensors")
    averaged = {k[len("module."):]: v for k, v in state["extra"]["ema"]["averaged"].items() if k.startswith("module.")}
    raw, last = state["model"], weights(run_dir / "model_last.safetensors")
    assert same(last, averaged) and not same(last, raw)  # saved: the average; checkpoint: raw + average
    assert state["extra"]["ema"]["updates"] == 2 * 4  # 230 training images / 64 = 4 steps per epoch
    model = robustx.load_model(run_dir)  # rebuilt from model.json + the best (averaged) weights
    from robustx_datasets.digits import load

    data = load().test
    x, y = data.as_float()[:128], data.y[:128]
    model.load_state_dict(last)
    with torch.no_grad():
        accuracy = (model.eval()(x).argmax(1) == y).float().mean().item()
    assert accuracy == pytest.approx(res["clean_accuracy"], abs=1e-6)


def test_resume_with_ema_is_bitwise_exact(tmp_path):
    path = write(tmp_path, train={"epochs": 3})
    straight = robustx.run_recipe(str(path), out=str(tmp_path / "a"), device="cpu")
    with fresh_plugin_host({"stop-after-2": StopAfterEpoch(2)}), pytest.raises(KeyboardInterrupt):
        robustx.run_recipe(str(path), out=str(tmp_path / "b"), device="cpu")
    run_dir = next((tmp_path / "b").iterdir())
    resumed = robustx.run_recipe(str(path), resume=str(run_dir), device="cpu")
    a, b = Path(straight["run_dir"]), Path(resumed["run_dir"])
    for name in ("model_last.safetensors", "model.safetensors"):
        assert same(weights(a / name), weights(b / name)), name
    ca = checkpoint.load_training_state(a / "checkpoints" / "last.safetensors")
    cb = checkpoint.load_training_state(b / "checkpoints" / "last.safetensors")
    assert same(ca["model"], cb["model"]) and same(ca["extra"]["ema"]["averaged"], cb["extra"]["ema"]["averaged"])
    metrics = [json.loads(line) for line in (b / "metrics.jsonl").read_text().splitlines()]
    assert [m["val_robust_accuracy"] for m in metrics] == [
        json.loads(line)["val_robust_accuracy"] for line in (a / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("ema, message", [
    ({"decay": 1.0}, r"train.ema.decay: must be < 1"),
    ({"decai": 0.9}, r"train.ema.decai: unknown key \(did you mean 'decay'\?\)"),
    ({"warmup_steps": -1}, r"train.ema.warmup_steps: must be >= 0"),
    (0.999, r"train.ema: expected a mapping"),
])
def test_bad_ema_settings_fail_validation_in_one_line(tmp_path, ema, message):
    from robustx.config.recipe import load_raw, validate

    raw, _ = load_raw(str(write(tmp_path, train={"ema": ema})))
    with pytest.raises(ParamError, match=message):
        validate(raw)


# -- extra data ------------------------------------------------------------------------------------


def test_every_batch_mixes_the_fixed_fraction_and_an_epoch_covers_the_original_data_once():
    main = DeviceImageSet(ImageSet(torch.arange(20.0).view(20, 1, 1, 1) / 100, torch.zeros(20, dtype=torch.long)),
                          torch.device("cpu"))
    extra = DeviceImageSet(ImageSet(torch.full((50, 1, 1, 1), 0.9), torch.ones(50, dtype=torch.long)),
                           torch.device("cpu"))
    mixed = MixedImageSet(main, extra, 0.3)
    assert mixed.split(10) == (7, 3) and mixed.num_batches(10) == 3 and len(mixed) == 20
    batches = list(mixed.batches(10, shuffle=True, generator=torch.Generator().manual_seed(0)))
    assert [(int((y == 0).sum()), int((y == 1).sum())) for _, y in batches] == [(7, 3), (7, 3), (6, 3)]
    seen = torch.cat([x[y == 0].flatten() for x, y in batches])
    assert sorted(seen.tolist()) == sorted((torch.arange(20.0) / 100).tolist())
    again = list(mixed.batches(10, shuffle=True, generator=torch.Generator().manual_seed(0)))
    assert all(torch.equal(a[0], b[0]) for a, b in zip(batches, again))  # seeded: a resumed run redraws the same


def _digit_shaped(path: Path, n: int, label: int) -> Path:
    from safetensors.torch import save_file

    images = (torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(1)) * 255).to(torch.uint8)
    save_file({"images": images, "labels": torch.full((n,), label)}, str(path))
    return path


def test_extra_data_from_a_tensor_file_reaches_training(tmp_path):
    """Noise images all labelled 3, as 80% of every batch: the model learns to call fresh noise a 3."""
    extra = _digit_shaped(tmp_path / "gen.safetensors", 200, 3)
    base = {"train": {"epochs": 1, "defense": "standard", "ema": None, "val_attack": None}}
    plain = robustx.run_recipe(str(write(tmp_path, **base)), out=str(tmp_path / "a"), device="cpu")
    mixed = robustx.run_recipe(str(write(tmp_path, data={"extra": {"path": str(extra), "fraction": 0.8}}, **base)),
                               out=str(tmp_path / "b"), device="cpu")
    recipe = yaml.safe_load((Path(mixed["run_dir"]) / "recipe.yaml").read_text())
    assert recipe["data"]["extra"] == {"name": None, "path": str(extra), "fraction": 0.8, "limit": None,
                                       "optional": False}
    noise = torch.rand(64, 1, 8, 8, generator=torch.Generator().manual_seed(7))

    def share_of_threes(res: dict[str, Any]) -> float:
        with torch.no_grad():
            return (robustx.load_model(res["run_dir"]).eval()(noise).argmax(1) == 3).float().mean().item()

    assert share_of_threes(mixed) > 0.9 > share_of_threes(plain)
    assert mixed["clean_accuracy"] > 0.3  # the digits were still learnt from the other 20% of each batch


def test_extra_data_from_an_npz_and_from_another_dataset(tmp_path):

    from robustx_datasets.digits import load

    from robustx.config.extra_data import validate_extra
    from robustx.datasets.extra import load_extra
    from robustx.host.manager import get_host

    info = load().info
    npz = tmp_path / "gen.npz"
    np.savez(npz, image=np.full((5, 8, 8, 1), 255, dtype=np.uint8), label=np.arange(5))
    host = get_host()
    from robustx.config.models import DataSettings

    data = DataSettings(name="digits", root=str(tmp_path), download=False)  # the run's typed data section
    images = load_extra(validate_extra({"path": str(npz)}, host, None), info, host, data)
    assert images.x.shape == (5, 1, 8, 8) and images.y.tolist() == [0, 1, 2, 3, 4]
    other = load_extra(validate_extra({"name": "digits", "limit": 10}, host, None), info, host, data)
    assert len(other) == 10 and other.x.shape[1:] == (1, 8, 8)


@pytest.mark.parametrize("extra, error, message", [
    ({"fraction": 0.5}, ParamError, r"data.extra: give exactly one of 'name'"),
    ({"name": "digits", "path": "x.safetensors"}, ParamError, r"data.extra: give exactly one"),
    ({"path": "/nonexistent/gen.safetensors"}, DataError, r"data.extra.path: /nonexistent/gen.safetensors does not"),
    ({"name": "digitz"}, Exception, r"did you mean 'digits'"),
    ({"name": "digits", "fraction": 1.0}, ParamError, r"data.extra.fraction: must be < 1"),
])
def test_bad_extra_data_fails_validation_in_one_line(tmp_path, extra, error, message):
    from robustx.config.recipe import load_raw, validate

    raw, _ = load_raw(str(write(tmp_path, data={"extra": extra})))
    with pytest.raises(error, match=message):
        validate(raw)


def test_extra_images_of_another_shape_are_refused(tmp_path):
    from robustx_datasets.digits import load
    from safetensors.torch import save_file

    from robustx.config.extra_data import validate_extra
    from robustx.config.models import DataSettings
    from robustx.datasets.extra import load_extra
    from robustx.host.manager import get_host

    path = tmp_path / "rgb.safetensors"
    save_file({"images": torch.zeros(4, 3, 8, 8, dtype=torch.uint8), "labels": torch.zeros(4)}, str(path))
    host = get_host()
    with pytest.raises(DataError, match=r"data.extra: images are \(3, 8, 8\), the training images \(1, 8, 8\)"):
        load_extra(validate_extra({"path": str(path)}, host, None), load().info, host, DataSettings(name="digits", download=False))


def test_a_missing_optional_extra_source_trains_without_it_and_a_wrong_file_type_is_refused(tmp_path, capsys):
    from robustx.config.extra_data import validate_extra
    from robustx.config.models import DataSettings
    from robustx.datasets.extra import mix_extra
    from robustx.host.manager import get_host

    host = get_host()
    spec = validate_extra({"path": str(tmp_path / "absent.npz"), "optional": True}, host, None)
    train = DeviceImageSet(ImageSet(torch.zeros(4, 1, 8, 8), torch.zeros(4, dtype=torch.long)), torch.device("cpu"))
    assert mix_extra(train, spec, None, host, DataSettings(name="digits", download=False)) is train  # type: ignore[arg-type]
    assert "absent.npz is not there (optional)" in capsys.readouterr().err
    (tmp_path / "gen.txt").write_text("x")
    with pytest.raises(ParamError, match=r"data.extra.path: gen.txt is neither a folder nor a .safetensors / .npz"):
        validate_extra({"path": str(tmp_path / "gen.txt")}, host, None)


def test_extra_data_from_an_image_folder(tmp_path):
    from PIL import Image
    from robustx_datasets.digits import load

    from robustx.config.extra_data import validate_extra
    from robustx.config.models import DataSettings
    from robustx.datasets.extra import load_extra
    from robustx.host.manager import get_host

    for label in ("c0", "c1"):
        (tmp_path / "gen" / label).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(np.full((8, 8), 40 * i, dtype=np.uint8)).save(tmp_path / "gen" / label / f"{i}.png")
    host = get_host()
    images = load_extra(validate_extra({"path": str(tmp_path / "gen")}, host, None), load().info, host,
                        DataSettings(name="digits", download=False))
    assert images.x.shape == (6, 1, 8, 8) and sorted(images.y.tolist()) == [0, 0, 0, 1, 1, 1]
