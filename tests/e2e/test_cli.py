"""The CLI through click's CliRunner and as a subprocess: help, listing, errors, laziness."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from helpers import imported_modules, run_cli

from robustx.cli import cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize("args", [["--help"], ["list", "attacks"], ["list", "architectures"], ["plugins"],
                                  ["recipe", "list"], ["list", "datasets", "mnist*"]])
def test_help_and_listing_do_not_import_heavy_libraries(args):
    assert imported_modules(*args) & {"torch", "timm", "art", "torchattacks", "torchvision", "numpy"} == set()


def test_help_teaches(runner):
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "robustx recipe run quickstart" in result.output and "8/255" in result.output
    run_help = runner.invoke(cli, ["recipe", "run", "--help"])
    assert "--resume" in run_help.output and "key=value" in run_help.output.lower()


def test_list_and_glob(runner):
    result = runner.invoke(cli, ["list", "datasets", "*mnist"])
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.output.splitlines()]
    assert names == ["fashion_mnist", "mnist"]


def test_recipe_list_show_cp(runner, tmp_path):
    assert "quickstart" in runner.invoke(cli, ["recipe", "list"]).output
    shown = runner.invoke(cli, ["recipe", "show", "quickstart"]).output
    assert shown.startswith("# Quickstart")
    target = tmp_path / "mine.yaml"
    assert runner.invoke(cli, ["recipe", "cp", "quickstart", str(target)]).exit_code == 0
    assert target.read_text() == shown
    again = runner.invoke(cli, ["recipe", "cp", "quickstart", str(target)])
    assert again.exit_code == 1 and "already exists; pass --force" in again.output


BAD_INPUTS = [
    (["recipe", "run", "quickstat"], "unknown recipe 'quickstat' (did you mean 'quickstart'?)"),
    (["recipe", "validate", "quickstart", "model.name=smal_cnn"], "unknown architecture 'smal_cnn'"),
    (["recipe", "validate", "quickstart", "model.name=timm:resnt18"], "model.name: unknown timm model 'resnt18' (did you mean"),
    (["recipe", "validate", "quickstart", "data.name=digit"], "unknown dataset 'digit' (did you mean 'digits'"),
    (["recipe", "validate", "quickstart", "evaluate.attacks.1.name=fgsn"], "unknown attack 'fgsn'"),
    (["recipe", "validate", "quickstart", "evaluate.attacks.1.eps=-0.1"], "evaluate.attacks[1].eps: must be >= 0"),
    (["recipe", "validate", "quickstart", "evaluate.attacks.1.eps=8/0"], "'8/0' divides by zero"),
    (["recipe", "validate", "quickstart", "evaluate.attacks.2.steps=0"], "evaluate.attacks[2].steps: must be >= 1"),
    (["recipe", "validate", "quickstart", "data.batch_size=0"], "data.batch_size: must be >= 1, got 0"),
    (["recipe", "validate", "quickstart", "train.epoch=3"], "no key 'train.epoch' in the recipe (did you mean 'epochs'"),
    (["recipe", "validate", "quickstart", "train.epochs=three"], "train.epochs: expected an integer"),
    (["recipe", "run", "mat_rand_wrn", "data.root=/nonexistent/robustx-data", "data.download=false"],
     "cifar10: data.root /nonexistent/robustx-data does not exist and downloading is off"),
    (["eval", "/nonexistent/run"], "run directory /nonexistent/run does not exist"),
]


@pytest.mark.parametrize("args, message", BAD_INPUTS)
def test_bad_input_is_one_clean_line(runner, args, message):
    result = runner.invoke(cli, args)
    assert result.exit_code != 0
    lines = [l for l in result.output.splitlines() if l.strip()]
    assert lines and lines[-1].startswith("Error: ") and message in lines[-1], result.output
    assert "Traceback" not in result.output


def test_a_run_that_fails_before_training_leaves_no_directory(runner, tmp_path):
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(b"not a tar archive")  # passes validation, fails to load
    result = runner.invoke(cli, ["recipe", "run", "mat_rand_wrn", f"data.root={tmp_path}", "--out", str(tmp_path / "runs")])
    assert result.exit_code == 1 and "cifar10: cannot read" in result.output
    assert list((tmp_path / "runs").iterdir()) == []


def test_yaml_syntax_error_names_the_line(runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndata: {name: digits\nmodel: small_cnn\n")
    result = runner.invoke(cli, ["recipe", "validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:3:" in result.output and "YAML syntax error" in result.output


def test_unwritable_output_directory(runner, tmp_path):
    blocker = tmp_path / "file"  # a file where the runs folder's parent should be: writable by any user
    blocker.write_text("x")
    result = runner.invoke(cli, ["recipe", "run", "quickstart", "--out", str(blocker / "runs")])
    assert result.exit_code == 1 and "cannot write to output directory" in result.output
    assert "--out DIR" in result.output


def test_eval_on_a_directory_without_model(runner, tmp_path):
    result = runner.invoke(cli, ["eval", str(tmp_path)])
    assert result.exit_code == 1
    assert "is not a robustx run directory" in result.output  # an empty folder is no run (issue 11)


def test_debug_shows_the_traceback():
    plain = run_cli("recipe", "validate", "quickstart", "train.epochs=-1")
    assert plain.returncode == 1 and "Traceback" not in plain.stderr
    assert plain.stderr.strip().splitlines()[-1] == "Error: train.epochs: must be >= 0, got -1"
    debug = run_cli("--debug", "recipe", "validate", "quickstart", "train.epochs=-1")
    assert debug.returncode != 0 and "Traceback" in debug.stderr and "ParamError" in debug.stderr


def test_validate_every_shipped_recipe(runner, monkeypatch):
    from robustx.host.manager import registry

    monkeypatch.delenv("ROBUSTX_OFFLINE")  # online, missing datasets are fetched on first use: valid

    for name in registry("recipe").names():
        result = runner.invoke(cli, ["recipe", "validate", name])
        assert result.exit_code == 0 and result.output.startswith("ok: "), (name, result.output)


def test_every_shipped_recipe_starts_with_how_to_run_it():
    from robustx.config.recipe import find_recipe
    from robustx.host.manager import registry

    for name in registry("recipe").names():
        text = find_recipe(name).read_text()
        header = text.split("\nname:", 1)[0]
        assert text.startswith("# "), name
        assert f"robustx recipe run {name}" in header, f"{name}: the header does not say how to run it"
        assert "=" in header.split(f"robustx recipe run {name}", 1)[1], f"{name}: no override example"
