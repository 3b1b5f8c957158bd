"""Issue 11's hard edges: every bad value caught at validation, honest blame, one clean line per error.

Each test drives the real CLI (click's CliRunner, or a subprocess where a plugin must be installed)
and checks the exact one-line message a user sees.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from helpers import run_cli, write_distribution

from robustx.cli.main import cli


@pytest.fixture
def runner():
    return CliRunner()


def one_line_error(result) -> str:
    """The single ``Error: ...`` line of a failed command (and nothing traceback-like around it)."""
    assert result.exit_code != 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def validate(runner, *overrides: str) -> str:
    return one_line_error(runner.invoke(cli, ["recipe", "validate", "quickstart", *overrides]))


# -- budgets and absurd values -----------------------------------------------------------------
@pytest.mark.parametrize("attack", ["autoattack", "apgd", "square"])
def test_linf_budget_above_one_suggests_8_over_255(runner, attack):
    line = validate(runner, f"evaluate.attacks=[clean, {{name: {attack}, eps: 8}}]")
    assert "evaluate.attacks[1].eps: Linf eps 8 exceeds" in line and "did you mean 8/255?" in line


@pytest.mark.parametrize("override, message", [
    ("train.epochs=1.0e+18", "train.epochs: must be <= 100000, got 1e+18"),
    ("seed=1e23", "seed: 1e+23 is too large (an integer must fit in 64 bits)"),
    ("evaluate.attacks.2.steps=1e21", "evaluate.attacks[2].steps: 1e+21 is too large"),
    ("train.optimizer.lr=.inf", "train.optimizer.lr: must be a finite number, got inf"),
    ("train.optimizer.lr=.nan", "train.optimizer.lr: must be a finite number, got nan"),
    ("evaluate.attacks.2.eps=.inf", "evaluate.attacks[2].eps: must be a finite number"),
])
def test_absurd_values_are_rejected_at_validation(runner, override, message):
    assert message in validate(runner, override)


@pytest.mark.parametrize("limit", ["-5", "0"])
def test_eval_limit_must_be_positive(runner, tmp_path, limit):
    result = runner.invoke(cli, ["eval", str(tmp_path), "--limit", limit])
    assert result.exit_code == 2 and "--limit" in result.output and f"{limit} is not in the range x>=1" in result.output


# -- one validation path: optimizers, schedules, augmentations, nested attacks, defaults ----------
@pytest.mark.parametrize("override, message", [
    ("train.optimizer={name: sgd, momentum: 1.5}", "train.optimizer.momentum: must be < 1, got 1.5"),
    ("train.optimizer={name: adamm}", "train.optimizer.name: unknown optimizer 'adamm' (did you mean 'adam'"),
    ("train.schedule={name: multistep, milestones: 3}", "train.schedule.milestones: expected a list"),
    ("train.schedule={name: onecycle, epochs: 3}", "train.schedule.epochs: is set by robustx itself"),
    ("data.augment=crop_flp", "data.augment.name: unknown augmentation 'crop_flp' (did you mean 'crop_flip'"),
    ("data.augment={name: crop, padding: 0}", "data.augment.padding: must be >= 1, got 0"),
])
def test_training_components_are_validated_from_their_factories(runner, override, message):
    assert message in validate(runner, override)


@pytest.mark.parametrize("override, message", [
    ("report.analyses=[{name: robustness_curve, attacks: [{name: pgdd, epss: 3}]}]",
     "report.analyses[0].attacks[0].name: unknown attack 'pgdd' (did you mean 'pgd'"),
    ("report.analyses=[{name: robustness_curve, attacks: [{name: pgd, epss: 3}]}]",
     "report.analyses[0].attacks[0].epss: unknown parameter (did you mean 'eps'"),
    ("train.defense.attack={name: apgd, eps: 8}", "train.defense.attack.eps: Linf eps 8 exceeds"),
    ("train.val_attack={name: square, eps: 8}", "train.val_attack.eps: Linf eps 8 exceeds"),
])
def test_nested_attack_specs_are_validated(runner, override, message):
    assert message in validate(runner, override)


@pytest.mark.parametrize("overrides, message", [
    (["train.early_stopping={patience: 2}", "data.val_split=0"],
     "train.early_stopping: nothing to monitor, data.val_split is 0"),
    (["train.early_stopping={patience: 2}", "train.val_attack=null", "evaluate.attacks=[clean]"],
     "train.early_stopping.metric: val_robust_accuracy needs an attack to validate with; set train.val_attack"),
])
def test_early_stopping_with_nothing_to_monitor(runner, overrides, message):
    assert message in validate(runner, *overrides)
    fine = runner.invoke(cli, ["recipe", "validate", "quickstart", "train.early_stopping={patience: 2}"])
    assert fine.exit_code == 0, fine.output  # quickstart has a val_attack: early stopping is fine there


_THIRD_PARTY = """
from robustx import hookimpl

def plain(model, eps=0.1, steps=10):          # no annotations at all: types come from the defaults
    return lambda x, y: x

class NoisyTraining:                          # a third-party defense with a nested attack spec
    pass

def my_defense(attack=None, weight: float = 1.0):
    return NoisyTraining()

@hookimpl
def robustx_register_attacks(register):
    register("plain", plain)

@hookimpl
def robustx_register_defenses(register):
    register("my_defense", my_defense)
"""


@pytest.fixture(scope="module")
def third_party(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    write_distribution(site, "robustx-thirdparty", "robustx_thirdparty", _THIRD_PARTY, entry_name="thirdparty")
    return {"PYTHONPATH": str(site)}


def test_third_party_factories_get_the_same_validation(third_party):
    bad_type = run_cli("recipe", "validate", "quickstart", "evaluate.attacks=[{name: plain, eps: some string}]",
                       env=third_party)
    assert bad_type.returncode == 1
    assert bad_type.stderr.strip().splitlines()[-1] == \
        "Error: evaluate.attacks[0].eps: expected a number, got 'some string'"
    nested = run_cli("recipe", "validate", "quickstart", "train.defense={name: my_defense, attack: {name: fgsmm}}",
                     env=third_party)
    assert "train.defense.attack.name: unknown attack 'fgsmm' (did you mean 'fgsm'" in nested.stderr


# -- blame --------------------------------------------------------------------------------------
_IMPOSTOR = """
from robustx import hookimpl

@hookimpl
def robustx_register_attacks(register):
    register("pgd", lambda model, eps=0.1: (lambda x, y: x), description="an impostor")
"""


def test_duplicate_name_blames_the_newcomer_and_lists_both(tmp_path):
    # named to sort (and import) before torchattacks, and in the catch-all group, so it loads first
    write_distribution(tmp_path, "robustx-impostor", "robustx_impostor", _IMPOSTOR, entry_name="aaa_impostor")
    env = {"PYTHONPATH": str(tmp_path)}
    listed = run_cli("list", "attacks", "pgd", env=env)
    rows = [line for line in listed.stdout.splitlines() if line.startswith("pgd ")]
    assert len(rows) == 2 and any("[torchattacks]" in r for r in rows) and any("[aaa_impostor]" in r for r in rows)
    assert all("REFUSED" in r for r in rows)
    warning = next(line for line in listed.stderr.splitlines() if "'pgd'" in line)
    assert "plugin 'aaa_impostor' registers attack 'pgd', already registered by plugin 'torchattacks'" in warning
    assert "ROBUSTX_DISABLE_PLUGINS=aaa_impostor" in warning and "=torchattacks" not in warning
    used = run_cli("recipe", "validate", "quickstart", env=env)  # a recipe (general-group plugins load first)
    assert used.returncode == 1
    assert used.stderr.strip().splitlines()[-1].startswith("Error: plugin 'aaa_impostor' registers attack 'pgd'")


# -- one clean line -------------------------------------------------------------------------------
@pytest.fixture
def run_dir(tmp_path):
    """A run directory as `recipe run` leaves it (a small_cnn on digits), written without training."""
    from robustx.base.checkpoint import state_tensors, write_atomic
    from robustx.datasets.bundle import DatasetInfo
    from robustx.models.build import create_model, model_metadata

    info = DatasetInfo("digits", 10, 1, 8, (0.5,), (0.5,))
    model = create_model("small_cnn", num_classes=10, in_channels=1, image_size=8, mean=info.mean, std=info.std)
    meta = model_metadata({"name": "small_cnn", "transforms": []}, info)
    write_atomic(tmp_path / "model.safetensors", state_tensors(model), meta)
    (tmp_path / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    return tmp_path


def test_model_json_naming_another_architecture(runner, run_dir):
    meta = json.loads((run_dir / "model.json").read_text())
    meta["dataset"]["num_classes"] = 7  # same layers, other shapes: torch's multi-line size-mismatch error
    (run_dir / "model.json").write_text(json.dumps(meta))
    line = one_line_error(runner.invoke(cli, ["eval", str(run_dir), "--attack", "clean"]))
    assert "does not fit the architecture model.json names ('small_cnn'): net." in line and "in the file, " in line


def test_malformed_model_json(runner, run_dir):
    (run_dir / "model.json").write_text('{"format": 1, "architecture": ')
    line = one_line_error(runner.invoke(cli, ["eval", str(run_dir), "--attack", "clean"]))
    assert "model.json is not valid JSON (line 1, column" in line


def test_malformed_attack_option(runner, run_dir):
    line = one_line_error(runner.invoke(cli, ["eval", str(run_dir), "--attack", "{name: pgd, eps: [8/255"]))
    assert line.startswith("Error: --attack '{name: pgd, eps: [8/255'")


def test_binary_recipe(runner, tmp_path):
    recipe = tmp_path / "weights.yaml"
    recipe.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    line = one_line_error(runner.invoke(cli, ["recipe", "validate", str(recipe)]))
    assert line == f"Error: {recipe}: not a YAML text file (byte 0 is not UTF-8)"


def test_directory_given_as_recipe(runner, run_dir):
    (run_dir / "recipe.yaml").write_text("name: x\n")
    line = one_line_error(runner.invoke(cli, ["recipe", "validate", str(run_dir)]))
    assert "is a directory, not a YAML file (this looks like a run directory: its recipe is" in line


def test_load_run_on_a_folder_that_is_not_a_run(tmp_path):
    from robustx import load_run
    from robustx.base.errors import CheckpointError

    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(CheckpointError, match="is not a robustx run directory"):
        load_run(tmp_path)


def test_optimizer_honours_no_weight_decay():
    """A module's ``no_weight_decay()`` names (relative to it) get a weight_decay 0 group, whatever the optimizer."""
    import torch
    from torch import nn

    from robustx.train.optim import build_optimizer

    class Noise(nn.Module):
        def __init__(self):
            super().__init__()
            self.alpha = nn.Parameter(torch.ones(3))

        def no_weight_decay(self):
            return {"alpha"}

    model = nn.Sequential(nn.Linear(3, 3), Noise())
    for name in ("sgd", "adamw"):
        opt = build_optimizer(model, {"name": name, "lr": 0.1, "weight_decay": 0.5})
        decays = {id(p): g["weight_decay"] for g in opt.param_groups for p in g["params"]}
        assert decays[id(model[1].alpha)] == 0.0 and decays[id(model[0].weight)] == 0.5, name
    plain = build_optimizer(nn.Linear(3, 3), {"name": "sgd", "lr": 0.1})
    assert len(plain.param_groups) == 1  # no exemptions: exactly the old single group


def test_recipe_schema_is_built_from_the_registries(runner, tmp_path):
    """`robustx recipe schema`: every registered attack/optimizer is an option, with its factory's bounds."""
    out = tmp_path / "robustx.schema.json"
    result = runner.invoke(cli, ["recipe", "schema", "--out", str(out)])
    assert result.exit_code == 0, result.output
    schema = json.loads(out.read_text())
    props = schema["properties"]
    attacks = props["evaluate"]["properties"]["attacks"]["items"]["anyOf"]
    names = {n for option in attacks if option.get("type") == "object" for n in option["properties"]["name"]["enum"]}
    assert {"pgd", "fgsm", "autoattack", "apgd", "square"} <= names
    sgd = next(o for o in props["train"]["properties"]["optimizer"]["anyOf"]
               if o.get("type") == "object" and o["properties"]["name"]["enum"] == ["sgd"])
    assert sgd["properties"]["momentum"]["anyOf"][0] == {"type": "number", "minimum": 0, "exclusiveMaximum": 1}
    assert sgd["additionalProperties"] is False
    assert props["train"]["properties"]["epochs"]["maximum"] == 100_000
