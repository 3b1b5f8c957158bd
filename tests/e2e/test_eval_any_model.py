"""`robustx eval` reuses saved per-example outcomes; `robustx.evaluate` / `eval --model` take any model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import robustx
from robustx.base.errors import DataError
from robustx.cli import cli
from robustx.evaluation.anymodel import ModelInputError
from robustx.host.registry import Registry
from robustx.models.nn import NormalizedModel

TINY = ["train.epochs=1", "data.batch_size=128", "train.val_limit=32", "evaluate.limit=64",
        "evaluate.attacks=[clean, {name: fgsm, eps: 0.1}, {name: cw, steps: 3, binary_search_steps: 1}]",
        "train.defense.attack.steps=1", "train.val_attack.steps=1"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    res = robustx.run_recipe("quickstart", TINY, out=str(tmp_path_factory.mktemp("runs")), progress=False)
    return Path(res["run_dir"])


@pytest.fixture
def created(monkeypatch) -> list[str]:
    """Names of the attacks built from now on (to prove saved ones are not re-run)."""
    names: list[str] = []
    original = Registry.create

    def spy(self, name, *args, **params):  # noqa: ANN001, ANN202
        if self.kind == "attack":
            names.append(name)
        return original(self, name, *args, **params)

    monkeypatch.setattr(Registry, "create", spy)
    return names


def _eval(*args: str) -> tuple[dict, Path]:
    result = CliRunner().invoke(cli, ["eval", *args, "--quiet"])
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip().splitlines()[-1].split(": ", 1)[1])
    return json.loads(path.read_text()), path


def test_run_saves_outcomes_and_schema_2(run_dir: Path) -> None:
    results = json.loads((run_dir / "results.json").read_text())
    assert results["schema_version"] == 2
    assert [(g["norm"], g["eps"]) for g in results["threat_models"]] == [("Linf", 0.1)]
    cw = next(r for r in results["attacks"] if r["name"] == "cw")
    assert cw["minimum_norm"] and cw["threat_model"] == "L2 minimum norm"
    assert {"median_norm", "success_rate", "accuracy_vs_eps"} <= set(cw)
    index = json.loads((run_dir / "eval" / "outcomes.json").read_text())
    assert [a["spec"]["name"] for a in index["attacks"]] == ["clean", "fgsm", "cw"] and index["n"] == 64
    assert "Linf 0.1:" in (run_dir / "results.md").read_text()


def test_eval_adds_an_attack_without_rerunning_the_old_ones(run_dir: Path, created: list[str]) -> None:
    before = json.loads((run_dir / "results.json").read_text())
    res, _ = _eval(str(run_dir), "--attack", "pgd eps=0.2 alpha=0.05 steps=3", "--attack", "pgd_l2 eps=1.0 steps=3")
    assert created == ["pgd", "pgd_l2"]  # fgsm and cw come from eval/outcomes.*
    rows = {r["name"]: r for r in res["attacks"]}
    assert rows["fgsm"]["reused"] and rows["fgsm"]["robust_accuracy"] == next(
        r["robust_accuracy"] for r in before["attacks"] if r["name"] == "fgsm")
    groups = {(g["norm"], g["eps"]): g for g in res["threat_models"]}
    assert groups[("Linf", 0.2)]["attacks"] == ["fgsm", "pgd"]  # the old attack joins the new group
    assert groups[("Linf", 0.2)]["robust_accuracy"] <= min(rows["fgsm"]["robust_accuracy"],
                                                          rows["pgd"]["robust_accuracy"])
    assert groups[("L2", 1.0)]["attacks"] == ["cw", "pgd_l2"]
    created.clear()
    again, _ = _eval(str(run_dir), "--attack", "pgd eps=0.2 alpha=0.05 steps=3")
    assert created == [] and again["threat_models"] == res["threat_models"]  # now saved too


def test_eval_on_other_examples_or_fresh_reruns(run_dir: Path, created: list[str]) -> None:
    res, _ = _eval(str(run_dir), "--attack", "fgsm eps=0.1", "--limit", "32")
    assert created == ["fgsm"] and res["n"] == 32 and [r["name"] for r in res["attacks"]] == ["fgsm"]
    index = json.loads((run_dir / "eval" / "outcomes.json").read_text())
    assert index["n"] == 64  # outcomes on other examples do not replace the saved ones


def test_schema_1_run_directory_still_evaluates(run_dir: Path, tmp_path: Path, created: list[str]) -> None:
    old = tmp_path / "old-run"
    shutil.copytree(run_dir, old, ignore=shutil.ignore_patterns("eval"))
    (old / "results.json").write_text(json.dumps({"clean_accuracy": 0.9, "worst_case_accuracy": 0.5, "n": 64,
                                                  "attacks": []}))
    assert robustx.load_run(old).results["worst_case_accuracy"] == 0.5
    res, _ = _eval(str(old), "--attack", "fgsm eps=0.1")
    assert created == ["fgsm"] and res["schema_version"] == 2
    assert (old / "eval" / "outcomes.json").is_file()  # the next eval can build on it


def test_two_evals_in_the_same_instant_get_distinct_files(tmp_path: Path, monkeypatch) -> None:
    from datetime import datetime

    import robustx.runs.reevaluate as reevaluate

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001, ANN206
            return datetime(2026, 1, 1, 12, 0, 0, 123456)

    monkeypatch.setattr(reevaluate, "datetime", Frozen)
    first, second = reevaluate.unique_result_path(tmp_path), reevaluate.unique_result_path(tmp_path)
    assert first != second and first.exists() and second.exists()
    assert first.name == "results-20260101-120000-123456.json"


def test_evaluate_any_model_from_python(tiny_model, digits_tensors) -> None:
    _, _, xt, yt = digits_tensors
    res = robustx.evaluate(tiny_model, (xt[:64], yt[:64]), attacks=["clean", {"name": "fgsm", "eps": 0.1}])
    assert res["schema_version"] == 2 and res["n"] == 64
    with torch.no_grad():
        expected = (tiny_model(xt[:64]).argmax(1) == yt[:64]).float().mean().item()
    assert res["clean_accuracy"] == pytest.approx(expected)
    assert res["threat_models"][0]["attacks"] == ["fgsm"]


@pytest.mark.parametrize("data, message", [
    (lambda x, y: (x * 2 - 1, y), r"inputs outside \[0,1\] \(min -1"),
    (lambda x, y: (x[:, 0], y), "add a channel axis"),
    (lambda x, y: (x, y[:-1]), "integer labels of shape"),
    (lambda x, y: [x], "an \\(x, y\\) pair"),
])
def test_bad_data_is_one_line(tiny_model, digits_tensors, data, message) -> None:  # noqa: ANN001
    _, _, xt, yt = digits_tensors
    with pytest.raises(DataError, match=message) as info:
        robustx.evaluate(tiny_model, data(xt[:16], yt[:16]))
    assert "\n" not in str(info.value)


def test_wrong_model_output_is_one_line(digits_tensors) -> None:
    _, _, xt, yt = digits_tensors
    with pytest.raises(ModelInputError, match=r"expected logits of shape \(16, num_classes\), got \(16, 1, 64\)"):
        robustx.evaluate(torch.nn.Flatten(2), (xt[:16], yt[:16]))


def _standardized_net(digits_tensors, mean: float, std: float) -> torch.nn.Module:
    """A net trained on standardized digits: it expects (x - mean) / std, not [0,1] images."""
    from conftest import (
        train_tiny_net,  # not tests.conftest: a site-packages "tests" (robustbench ships one) would shadow it
    )

    x, y, _, _ = digits_tensors
    return train_tiny_net(x, y, preprocess=lambda images: (images - mean) / std)


def test_missing_normalization_is_caught_and_fixed_by_wrapping(digits_tensors) -> None:
    from robustx.host.manager import get_host

    bundle = get_host().registry("dataset").create("digits", root=".", download=False)
    (mean,), (std,) = bundle.info.mean, bundle.info.std
    net = _standardized_net(digits_tensors, mean, std)
    with pytest.raises(ModelInputError, match="model has no normalization: .* robustx.models.nn.NormalizedModel"):
        robustx.evaluate(net, "digits", limit=200)
    res = robustx.evaluate(NormalizedModel(net, (mean,), (std,)), "digits", limit=200)
    assert res["clean_accuracy"] > 0.8
    with pytest.raises(ModelInputError, match="normalizes twice"):
        robustx.evaluate(NormalizedModel(NormalizedModel(net, (mean,), (std,)), (mean,), (std,)), "digits",
                         limit=200)


def test_eval_cli_any_model_matches_the_run(run_dir: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    results = json.loads((run_dir / "results.json").read_text())
    out = tmp_path / "any.json"
    res, _ = _eval("--model", "small_cnn", "--weights", str(run_dir / "model.safetensors"), "--dataset", "digits",
                   "--attack", "clean", "--limit", "64", "--out", str(out))
    assert res["clean_accuracy"] == pytest.approx(results["clean_accuracy"], abs=1e-6)
    bare = {k[len("net."):]: v for k, v in load_file(str(run_dir / "model.safetensors")).items() if k.startswith("net.")}
    save_file(bare, str(tmp_path / "bare.safetensors"))  # a third party's network, without robustx's wrapper
    res2, _ = _eval("--model", "small_cnn", "--weights", str(tmp_path / "bare.safetensors"), "--dataset", "digits",
                    "--limit", "64", "--out", str(tmp_path / "bare.json"))
    assert res2["clean_accuracy"] == pytest.approx(results["clean_accuracy"], abs=1e-6)


@pytest.mark.parametrize("args, message", [
    (["--model", "small_cnn", "--dataset", "digits"], "also give --weights"),
    (["--limit", "0", "x"], "--limit"),
    ([], "give a RUN_DIR"),
])
def test_eval_cli_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["eval", *args])
    assert result.exit_code != 0 and message in result.output
