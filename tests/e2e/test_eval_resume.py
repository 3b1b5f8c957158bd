"""Evaluations that resume (robustx.evaluation.resumable): outcomes saved after every attack, the attack in
flight per batch; a kill or SIGTERM during the second attack, then the same command, gives the numbers
and per-example outcomes of an uninterrupted evaluation."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
from pathlib import Path

import pytest
import torch
import yaml
from click.testing import CliRunner

import robustx
from robustx.base.preemption import Preempted
from robustx.cli import cli
from robustx.evaluation import outcomes
from robustx.evaluation import resumable as eval_progress

RECIPE = {
    "name": "evalresume",
    "seed": 0,
    "data": {"name": "digits", "batch_size": 64, "limit": 384, "val_split": 0.1, "test_limit": 64},
    "model": {"name": "small_cnn"},
    "train": {"epochs": 1, "optimizer": {"name": "adam", "lr": 0.01}, "val_limit": 32, "track_examples": 0},
    # random starts: a resumed attack must continue with the RNG it had, or its numbers change
    "evaluate": {"batch_size": 16, "attacks": [
        "clean", {"name": "fgsm", "eps": 0.1}, {"name": "pgd", "eps": 0.1, "alpha": 0.04, "steps": 3},
        {"name": "pgd", "eps": 0.2, "alpha": 0.05, "steps": 2, "label": "PGD 0.2"}]},
}
BATCHES = 4  # 64 test images in batches of 16


@pytest.fixture(scope="module")
def recipe_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("evalresume") / "evalresume.yaml"
    path.write_text(yaml.safe_dump(RECIPE, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def whole(recipe_file: Path) -> dict:
    """One uninterrupted run of the recipe (trained once for the module)."""
    return robustx.run_recipe(str(recipe_file), out=str(recipe_file.parent / "whole"), device="cpu")


@pytest.fixture
def fresh_copy(whole: dict, tmp_path: Path) -> Path:
    """A copy of the trained run without its evaluation (to evaluate it anew)."""
    copy = tmp_path / "run"
    shutil.copytree(whole["run_dir"], copy, ignore=shutil.ignore_patterns("eval"))
    return copy


def count_batches(monkeypatch: pytest.MonkeyPatch, at: tuple[str, int] | None = None, action=None) -> list[int]:
    """The test hook: counts attack batches (one contract check each); ``action`` runs during batch
    ``at = (attack name, k)``, the k-th batch of that attack."""
    from robustx.evaluation import evaluator as evaluate

    original, count, per_attack = evaluate.check_adversarial, [0], {}

    def check(name, *args, **kwargs):
        count[0] += 1
        per_attack[name] = per_attack.get(name, 0) + 1
        if at == (name, per_attack[name]):
            action()
        return original(name, *args, **kwargs)

    monkeypatch.setattr(evaluate, "check_adversarial", check)
    return count


def numbers(results: dict) -> dict:
    keep = ("robust_accuracy", "n", "attacked", "broken", "label")
    return {"clean": results["clean_accuracy"], "groups": results["threat_models"],
            "attacks": [{k: r.get(k) for k in keep} for r in results["attacks"]]}


def same_outcomes(a: Path, b: Path) -> None:
    x, y = outcomes.load(a / "eval"), outcomes.load(b / "eval")
    assert torch.equal(x.labels, y.labels) and torch.equal(x.clean, y.clean)
    assert [o.spec for o in x.attacks] == [o.spec for o in y.attacks]
    assert all(torch.equal(p.correct, q.correct) for p, q in zip(x.attacks, y.attacks))


def sigterm() -> None:
    os.kill(os.getpid(), signal.SIGTERM)


def test_sigterm_during_the_second_attack_of_a_recipe_then_resume(recipe_file, whole, tmp_path, monkeypatch):
    with monkeypatch.context() as patch:
        count_batches(patch, at=("pgd", 2), action=sigterm)  # batch 2 of the second attack
        with pytest.raises(Preempted, match=r"during the evaluation: attack 'pgd' stopped after batch 2 of 4"):
            robustx.run_recipe(str(recipe_file), out=str(tmp_path / "cut"), device="cpu")
    (run_dir,) = (tmp_path / "cut").iterdir()
    saved = outcomes.load(run_dir / "eval")
    assert [a.row["name"] for a in saved.attacks] == ["clean", "fgsm"]  # the first attack is kept
    assert list((run_dir / "eval" / eval_progress.PARTIAL).iterdir())  # and pgd's two batches

    count = count_batches(monkeypatch)
    resumed = robustx.run_recipe(None, resume=str(run_dir), device="cpu")
    assert count[0] == (BATCHES - 2) + BATCHES  # pgd's last two batches, then the third attack; fgsm reused
    assert [r.get("reused", False) for r in resumed["attacks"]] == [True, True, False, False]  # clean, fgsm
    assert numbers(resumed) == numbers(whole)
    same_outcomes(run_dir, Path(whole["run_dir"]))
    assert not list((run_dir / "eval" / eval_progress.PARTIAL).iterdir())


def test_kill_during_the_second_attack_of_robustx_eval_then_the_same_command(fresh_copy, tmp_path, monkeypatch):
    """A hard kill (no handler runs): what was saved before the batch in flight is kept."""
    base, other = fresh_copy, tmp_path / "copy"  # evaluated once whole, once killed and continued
    shutil.copytree(base, other)
    args = ["--attack", "fgsm eps=0.15", "--attack", "pgd eps=0.15 alpha=0.05 steps=3", "--device", "cpu", "--quiet"]
    runner = CliRunner()
    whole = runner.invoke(cli, ["eval", str(other), *args])
    assert whole.exit_code == 0, whole.output

    monkeypatch.setattr(eval_progress, "SAVE_EVERY_S", 0.0)  # every batch saved, to see exactly what a kill loses

    def kill() -> None:
        raise KeyboardInterrupt  # stands for SIGKILL: the batch in flight is lost, nothing else runs

    with monkeypatch.context() as patch:
        count_batches(patch, at=("pgd", 3), action=kill)
        cut = runner.invoke(cli, ["eval", str(base), *args])
    assert cut.exit_code == 130
    count = count_batches(monkeypatch)
    again = runner.invoke(cli, ["eval", str(base), *args])
    assert again.exit_code == 0, again.output
    assert count[0] == BATCHES - 2  # batches 1-2 of pgd were saved; batch 3 (in flight) and 4 re-run
    results = [json.loads(sorted((d / "eval").glob("results-*.json"))[-1].read_text()) for d in (base, other)]
    assert numbers(results[0]) == numbers(results[1])
    same_outcomes(base, other)


def test_cli_sigterm_during_robustx_eval_exits_143_with_one_line(fresh_copy, monkeypatch):
    base = fresh_copy
    count_batches(monkeypatch, at=("pgd", 2), action=sigterm)
    result = CliRunner().invoke(cli, ["eval", str(base), "--attack", "pgd eps=0.3 steps=2", "--device", "cpu",
                                      "--quiet"])
    assert result.exit_code == 143
    assert result.output.strip().splitlines()[-1] == (
        f"Preempted by SIGTERM during `robustx eval`: attack 'pgd' stopped after batch 2 of 4 (saved in "
        f"{base / 'eval'}). Run the same command again to continue.")


def test_two_evaluations_of_one_run_at_once_keep_both(fresh_copy):
    base = fresh_copy
    from robustx.runs.reevaluate import evaluate_run

    specs = [[{"name": "pgd", "eps": 0.25, "steps": 2}], [{"name": "fgsm", "eps": 0.25}]]
    errors: list[BaseException] = []

    def one(spec):
        try:
            evaluate_run(base, spec, device="cpu")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(s,)) for s in specs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    names = [(a.row["name"], a.spec.get("eps")) for a in outcomes.load(base / "eval").attacks]
    assert ("pgd", 0.25) in names and ("fgsm", 0.25) in names
    assert len(list((base / "eval").glob("results-*.json"))) == 2
