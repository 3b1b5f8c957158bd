"""Every shipped CIFAR recipe runs end to end on a small CIFAR-10 archive written in the genuine format.

CIFAR-10 itself is not available on these machines; the archive (the original
``cifar-10-python.tar.gz`` layout, Python-2 pickles) is written by tests/data_writers.py. Budgets
are shrunk with overrides only, so the recipes' own models, defenses and attack lists run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from data_writers import write_cifar10

import robustx
from robustx.config.recipe import Recipe, apply_overrides, load_raw
from robustx.host.manager import get_host
from robustx.runs.study import Study, resolve

SHRINK = ["train.epochs=1", "data.limit=8", "data.batch_size=8", "evaluate.limit=4", "train.val_limit=4",
          "evaluate.eot_samples=2", "evaluate.n_predictions=2", "train.track_examples=2"]


def _cifar_recipes() -> list[str]:
    names = []
    for name in get_host().registry("recipe").names():
        raw, _ = load_raw(name)
        if raw.get("data", {}).get("name") == "cifar10":
            names.append(name)
    return names


def _combination(recipe: Recipe) -> tuple:
    """What decides the code a row runs: the model and its transforms, the defense and its attacks."""
    model, defense = recipe.data["model"], recipe.data["train"]["defense"]
    attacks = defense.get("attacks") or [defense.get("attack")]
    return (model["name"], tuple(t["name"] for t in model.get("transforms", [])), defense["name"],
            tuple(sorted(a["name"] for a in attacks if a)))


def _planned_rows(name: str, overrides: list[str]) -> list[tuple[str, Recipe]]:
    """The (row name, validated recipe) pairs that running ``name`` with ``overrides`` would train."""
    raw, source = load_raw(name)
    target = resolve(apply_overrides(raw, overrides), source, get_host())
    return target.rows if isinstance(target, Study) else [(name, target)]


def _two_steps(spec: Any) -> Any:
    """``spec`` (a variant's overrides) with every iteration count above 2 lowered to 2: the same code, fewer steps."""
    if isinstance(spec, dict):
        return {k: min(v, 2) if k == "steps" and isinstance(v, int) else _two_steps(v) for k, v in spec.items()}
    if isinstance(spec, list):
        return [_two_steps(v) for v in spec]
    return spec


def _row_overrides(base: list[str]) -> dict[str, list[str]]:
    """recipe -> overrides that keep only the study rows whose combination no earlier recipe trains.

    Rows differing only in a number (an eps sweep, a seed) run the same code, so each study trains
    one row per new combination, and at least one row so its own evaluation and table still run.
    The kept variants' own defenses train with at most 2 attack steps (as ``_cheaper_attacks`` does for
    the recipe's defense).
    """
    seen: set[tuple] = set()
    plan: dict[str, list[str]] = {}
    for name in _cifar_recipes():
        raw, _ = load_raw(name)
        n_values = len(raw["sweep"]["values"]) if raw.get("sweep") else 1
        kept = []
        for index, (_, row) in enumerate(_planned_rows(name, base)):
            if _combination(row) not in seen:
                seen.add(_combination(row))
                kept.append(index)
        kept = kept or [0]
        overrides = []
        if raw.get("variants"):
            variants = [_two_steps(raw["variants"][i]) for i in sorted({k // n_values for k in kept})]
            overrides.append(f"variants={json.dumps(variants)}")
        if raw.get("sweep"):
            values = [raw["sweep"]["values"][i] for i in sorted({k % n_values for k in kept})]
            overrides.append(f"sweep.values={json.dumps(values)}")
        plan[name] = overrides
    return plan


@pytest.fixture(scope="module")
def cifar_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cifar")
    write_cifar10(root, n_train=40, n_test=12, as_tar=True)
    return root


@pytest.fixture(scope="module")
def base(cifar_root) -> list[str]:
    return [f"data.root={cifar_root}", *SHRINK]


@pytest.fixture(scope="module")
def rows(base) -> dict[str, list[str]]:
    return _row_overrides(base)


def test_the_cifar_recipes_are_all_found():
    assert {"mat_rand_wrn", "pgd_at_resnet18_cifar10", "ds_table2_cifar", "report_t1_basicnet",
            "report_t4_noise_injection", "tour_eps_sweep"} <= set(_cifar_recipes())


def _cheaper_attacks(name: str) -> list[str]:
    """Fewer attack iterations, same code: 2 steps for every iterative attack the recipe itself lists (its
    defense's own ``steps`` too: TRADES 10 steps on WRN-28-10 were 48 s of this module), and AutoAttack
    (covered by the attack contract tests; minutes on a ResNet on CPU) swapped for 2-step APGD. Study rows
    that replace the defense get the same in ``_row_overrides``. The report's analyses run with the cheap
    parameters registered next to them (``smoke``, as in tests/contracts/test_analyses.py)."""
    raw, _ = load_raw(name)
    overrides = []
    for i, spec in enumerate(raw["evaluate"]["attacks"]):
        if isinstance(spec, dict) and spec.get("name") == "autoattack":
            label = spec.get("label", "autoattack") + " stand-in"  # "AutoAttack" alone is the published one's label
            overrides.append(f"evaluate.attacks.{i}={{name: apgd, eps: {spec['eps']}, steps: 2, label: '{label}'}}")
        elif isinstance(spec, dict) and "steps" in spec:
            overrides.append(f"evaluate.attacks.{i}.steps=2")
    train = raw.get("train", {})
    if isinstance(train.get("val_attack"), dict) and "steps" in train["val_attack"]:
        overrides.append("train.val_attack.steps=2")
    defense = train.get("defense")
    if isinstance(defense, dict) and isinstance(defense.get("attack"), dict) and "steps" in defense["attack"]:
        overrides.append("train.defense.attack.steps=2")
    if isinstance(defense, dict) and "steps" in defense:  # defenses that run their own attack (trades, adv_train_cw)
        overrides.append("train.defense.steps=2")
    for j, spec in enumerate(defense.get("attacks", []) if isinstance(defense, dict) else []):
        if isinstance(spec, dict) and "steps" in spec:
            overrides.append(f"train.defense.attacks.{j}.steps=2")
    analyses = get_host().registry("analysis")
    for k, spec in enumerate(raw.get("report", {}).get("analyses", [])):  # the report's analyses: their smoke budgets
        name = spec if isinstance(spec, str) else spec["name"]
        smoke = analyses.get(name).smoke or {}
        if isinstance(spec, str) and smoke:
            overrides.append(f"report.analyses.{k}={json.dumps({'name': name, **smoke})}")
        else:
            overrides += [f"report.analyses.{k}.{key}={json.dumps(value)}" for key, value in smoke.items()]
    return overrides


@pytest.mark.slow
@pytest.mark.parametrize("name", _cifar_recipes())
def test_cifar_recipe_end_to_end(name, base, rows, tmp_path):
    overrides = [*base, *_cheaper_attacks(name), *rows[name]]
    planned_rows = _planned_rows(name, overrides)
    results = robustx.run_recipe(name, overrides, out=str(tmp_path))
    trained = results["rows"] if "study" in results else {name: results}
    assert list(trained) == [row for row, _ in planned_rows]
    for (_, recipe), res in zip(planned_rows, trained.values()):
        assert res["n"] == 4
        evaluated = {a["name"] for a in res["attacks"]}
        assert {a["name"] for a in recipe.data["evaluate"]["attacks"]} - {"clean"} <= evaluated
        assert Path(res["run_dir"], "model.safetensors").is_file()
    if "study" in results:
        table = Path(results["study_dir"], "table.md").read_text()
        assert table.count("\n| ") == len(results["rows"]) + 1  # header + one line per row
        study = json.loads(Path(results["study_dir"], "study.json").read_text())
        assert [r["name"] for r in study["rows"]] == list(results["rows"])


def test_every_combination_is_trained_once(base, rows):
    """The trimmed studies still cover every (model, transforms, defense, attacks) of the shipped recipes."""
    everything = {_combination(row) for name in rows for _, row in _planned_rows(name, base)}
    planned = [_combination(row) for name, extra in rows.items() for _, row in _planned_rows(name, [*base, *extra])]
    assert set(planned) == everything
    assert len(planned) < 25  # 38 rows before trimming


def test_randomized_rows_are_evaluated_with_eot(base, tmp_path):
    results = robustx.run_recipe("report_t5_noisenet", [*base, "evaluate.attacks=[clean, {name: fgsm, eps: 0.03}]"],
                                 out=str(tmp_path))
    noisy, plain = results["rows"]["NoiseNet20"], results["rows"]["ResNet20"]
    assert noisy["stochastic"] is True and noisy["eot_samples"] == 2 and noisy["n_predictions"] == 2
    assert noisy["attacks"][1]["eot_samples"] == 2
    assert plain["stochastic"] is False and "eot_samples" not in plain["attacks"][1]
    table = Path(results["study_dir"], "table.md").read_text()
    assert "NoiseNet20" in table
