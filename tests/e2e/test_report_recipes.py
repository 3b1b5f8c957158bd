"""The seed report's comparisons on Fashion-MNIST: every study validates, and one row of each runs end to end.

Each smoke run keeps the row that carries the study's point (the MAT-Rand row, the noisy model...) and
shrinks it to a few images, so the test checks wiring (data found, defense built, randomized models
evaluated with EOT), not accuracy.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import robustx
from robustx.config.recipe import load_raw
from robustx.host.manager import PluginHost
from robustx.runs.study import resolve

FASHION = Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")
#: study -> the row whose behaviour the study is about
ROWS = {
    "fmnist_report_t1_training": "PGD-L2 training",
    "fmnist_report_t2_mat_rand": "MAT-Rand training",
    "fmnist_report_t3_capacity": "mnist_cnn (3.3M)",
    "fmnist_report_t4_inference_noise": "PGD-Linf training + inference noise",
    "fmnist_report_t5_noisenet": "NoiseNet (PNI on ds_mnist_net)",
    "fmnist_report_t6_mix": "Wider + 95/5 MAT-Rand mix + early stopping",
}
TINY = ["data.limit=32", "data.val_split=0.25", "train.epochs=1", "train.val_limit=8", "evaluate.limit=8",
        "evaluate.eot_samples=2", "evaluate.n_predictions=2"]


def _one_step(node):
    """Every attack (training and evaluation) shortened to one step: the smoke run checks wiring, not strength."""
    if isinstance(node, dict):
        return {k: (1 if k == "steps" else _one_step(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_one_step(v) for v in node]
    return node


@pytest.mark.parametrize("name", sorted(ROWS))
def test_report_study_validates_on_fashion_mnist(name, monkeypatch):
    monkeypatch.delenv("ROBUSTX_OFFLINE", raising=False)  # validation never downloads; it may assume it could
    raw, source = load_raw(name)
    study = resolve(raw, source, PluginHost())
    names = [row for row, _ in study.rows]
    assert ROWS[name] in names and len(names) >= 2
    assert all(recipe.data["data"]["name"] == "fashion_mnist" for _, recipe in study.rows)


@pytest.mark.skipif(not FASHION.is_file(), reason="Debian's dataset-fashion-mnist is not installed")
@pytest.mark.parametrize("name", sorted(ROWS))
def test_report_study_row_runs(name, tmp_path):
    raw, _ = load_raw(name)
    raw["variants"] = [v for v in raw["variants"] if v["name"] == ROWS[name]]
    raw = _one_step(raw)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    results = robustx.run_recipe(str(path), TINY, out=str(tmp_path / "runs"), device="cpu", progress=False)
    row = results["rows"][ROWS[name]]
    labels = [attack["label"] for attack in row["attacks"]]
    assert labels[:4] == ["Natural", "PGD-Linf", "PGD-L2", "FGSM"]
    assert labels[4:] in ([], ["PGD-Linf no EOT", "PGD-L2 no EOT"])
    assert 0.0 <= row["clean_accuracy"] <= 1.0 and row["n"] == 8
    assert (Path(results["study_dir"]) / "table.md").is_file()
