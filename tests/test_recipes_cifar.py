"""Every shipped CIFAR recipe runs end to end on a small CIFAR-10 archive written in the genuine format.

CIFAR-10 itself is not available on these machines; the archive (the original
``cifar-10-python.tar.gz`` layout, Python-2 pickles) is written by tests/data_writers.py. Budgets
are shrunk with overrides only, so the recipes' own models, defenses and attack lists run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import robustx
from data_writers import write_cifar10
from robustx.plugins import registry
from robustx.recipe import load_raw

SHRINK = ["train.epochs=1", "data.limit=8", "data.batch_size=8", "evaluate.limit=4", "train.val_limit=4",
          "evaluate.eot_samples=2", "evaluate.n_predictions=2"]


def _cifar_recipes() -> list[str]:
    names = []
    for name in registry("recipe").names():
        raw, _ = load_raw(name)
        if raw.get("data", {}).get("name") == "cifar10":
            names.append(name)
    return names


@pytest.fixture(scope="module")
def cifar_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cifar")
    write_cifar10(root, n_train=40, n_test=12, as_tar=True)
    return root


def test_the_cifar_recipes_are_all_found():
    assert {"mat_rand_wrn", "pgd_at_resnet18_cifar10", "ds_table2_cifar", "report_t1_basicnet",
            "report_t4_noise_injection", "tour_eps_sweep"} <= set(_cifar_recipes())


def _cheaper_autoattack(name: str) -> list[str]:
    """AutoAttack (covered by the attack contract tests) costs minutes on a ResNet on CPU: swap in 5-step APGD."""
    raw, _ = load_raw(name)
    overrides = []
    for i, spec in enumerate(raw["evaluate"]["attacks"]):
        if isinstance(spec, dict) and spec.get("name") == "autoattack":
            label = spec.get("label", "autoattack")
            overrides.append(f"evaluate.attacks.{i}={{name: apgd, eps: {spec['eps']}, steps: 5, label: '{label}'}}")
    return overrides


@pytest.mark.slow
@pytest.mark.parametrize("name", _cifar_recipes())
def test_cifar_recipe_end_to_end(name, cifar_root, tmp_path):
    overrides = [f"data.root={cifar_root}", *SHRINK, *_cheaper_autoattack(name)]
    results = robustx.run_recipe(name, overrides, out=str(tmp_path))
    rows = results["rows"].values() if "study" in results else [results]
    for res in rows:
        assert res["n"] == 4 and 0.0 <= res["worst_case_accuracy"] <= res["clean_accuracy"] <= 1.0
        assert all(a["robust_accuracy"] <= 1.0 for a in res["attacks"])
        assert Path(res["run_dir"], "model.safetensors").is_file()
    if "study" in results:
        table = Path(results["study_dir"], "table.md").read_text()
        assert table.count("\n| ") == len(results["rows"]) + 1  # header + one line per row
        study = json.loads(Path(results["study_dir"], "study.json").read_text())
        assert [r["name"] for r in study["rows"]] == list(results["rows"])


def test_randomized_rows_are_evaluated_with_eot(cifar_root, tmp_path):
    results = robustx.run_recipe("report_t5_noisenet", [f"data.root={cifar_root}", *SHRINK,
                                                        "evaluate.attacks=[clean, {name: fgsm, eps: 0.03}]"],
                                 out=str(tmp_path))
    noisy, plain = results["rows"]["NoiseNet20"], results["rows"]["ResNet20"]
    assert noisy["stochastic"] is True and noisy["eot_samples"] == 2 and noisy["n_predictions"] == 2
    assert noisy["attacks"][1]["eot_samples"] == 2
    assert plain["stochastic"] is False and "eot_samples" not in plain["attacks"][1]
    table = Path(results["study_dir"], "table.md").read_text()
    assert "NoiseNet20" in table
