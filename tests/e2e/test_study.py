"""Studies: variants x sweep rows, validated up front, one combined table with the paper's numbers, resumable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import robustx
from robustx.base.errors import RecipeError, UnknownNameError

STUDY = """\
# a tiny study
#   robustx recipe run study.yaml train.epochs=1
name: tiny_study
seed: 0
data: {name: digits, batch_size: 128, limit: 256}
model: {name: small_cnn}
train: {epochs: 1, optimizer: {name: adam, lr: 0.003}, val_limit: 32, track_examples: 0}
evaluate:
  limit: 64
  attacks: [{name: clean, label: Natural}, {name: fgsm, eps: 0.1, label: FGSM 0.1}]
variants:
  - name: Natural
  - name: PGD-AT
    overrides: {train.defense: {name: pgd_at, attack: {name: pgd, eps: 0.1, alpha: 0.05, steps: 2}}}
sweep: {key: seed, values: [0, 1], label: "seed {value}"}
paper:
  source: a made-up paper
  rows: {"Natural seed 0": {Natural: 99.0, FGSM 0.1: 12.5}}
"""


@pytest.fixture
def study_file(tmp_path: Path) -> Path:
    path = tmp_path / "study.yaml"
    path.write_text(STUDY)
    return path


def test_study_runs_every_row_and_writes_one_table(study_file, tmp_path):
    res = robustx.run_recipe(str(study_file), out=str(tmp_path / "runs"))
    assert list(res["rows"]) == ["Natural seed 0", "Natural seed 1", "PGD-AT seed 0", "PGD-AT seed 1"]
    table = (Path(res["study_dir"]) / "table.md").read_text()
    assert "| model | Natural | FGSM 0.1 | per threat model |" in table
    natural = res["rows"]["Natural seed 0"]
    assert f"| Natural seed 0 | {100 * natural['clean_accuracy']:.1f} (99.0) |" in table
    assert "made-up paper" in table
    assert {Path(r["run_dir"]).name for r in res["rows"].values()} == {
        "natural-seed-0", "natural-seed-1", "pgd-at-seed-0", "pgd-at-seed-1"}
    seeds = {json.loads((Path(r["run_dir"]) / "model.json").read_text())["recipe"] for r in res["rows"].values()}
    assert len(seeds) == 4  # one recipe name per row

    again = robustx.run_recipe("", resume=res["study_dir"])  # every row finished: nothing reruns
    assert again["rows"] == res["rows"]


def test_every_row_is_validated_before_any_work(study_file, tmp_path):
    bad = study_file.read_text().replace("{name: pgd, eps: 0.1", "{name: pgdd, eps: 0.1")
    study_file.write_text(bad)
    with pytest.raises(UnknownNameError, match=r"variant 'PGD-AT seed 0'.*unknown attack 'pgdd'"):
        robustx.run_recipe(str(study_file), out=str(tmp_path / "runs"))
    assert not (tmp_path / "runs").exists()


def test_malformed_study_keys(study_file, tmp_path):
    study_file.write_text(STUDY.replace("sweep: {key: seed, values: [0, 1]", "sweep: {key: seed, values: []"))
    with pytest.raises(RecipeError, match="sweep: expected"):
        robustx.run_recipe(str(study_file), out=str(tmp_path))
