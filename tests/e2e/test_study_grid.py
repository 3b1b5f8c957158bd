"""Studies over several keys (``grid``: the cartesian product) and the study figure next to table.md."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml

import robustx
from robustx.base.errors import RecipeError
from robustx.host.manager import get_host
from robustx.runs.study import expand

BASE = {
    "name": "grid_study", "seed": 0,
    "data": {"name": "digits", "batch_size": 128, "limit": 256, "test_limit": 48},
    "model": {"name": "small_cnn"},
    "train": {"epochs": 0, "val_limit": 32, "track_examples": 0},
    "evaluate": {"attacks": ["clean", {"name": "fgsm", "eps": 0.1}]},
}


def test_grid_is_the_cartesian_product_of_its_keys():
    raw = {**BASE, "grid": {"seed": [0, 1, 2], "evaluate.attacks.1.eps": [0.05, 0.1]}}
    study = expand(raw, "<test>", get_host())
    names = [name for name, _ in study.rows]
    assert names == [f"seed={s} eps={e}" for s in (0, 1, 2) for e in (0.05, 0.1)]
    for name, recipe in study.rows:
        seed, eps = name.split()
        assert recipe.data["seed"] == int(seed.split("=")[1])
        assert recipe.data["evaluate"]["attacks"][1]["eps"] == float(eps.split("=")[1])
        assert recipe.data["name"].startswith("grid_study-seed-")


def test_grid_multiplies_with_variants_and_a_sweep():
    raw = {**BASE, "variants": [{"name": "A"}, {"name": "B", "overrides": {"train.optimizer": {"name": "adam"}}}],
           "grid": {"seed": [0, 1]}, "sweep": {"key": "evaluate.attacks.1.eps", "values": [0.1, 0.2],
                                               "label": "eps {value}"}}
    study = expand(raw, "<test>", get_host())
    assert [n for n, _ in study.rows] == [f"{v} seed={s} eps {e}" for v in "AB" for s in (0, 1) for e in (0.1, 0.2)]
    b = dict(study.rows)["B seed=1 eps 0.2"].data
    assert b["train"]["optimizer"]["name"] == "adam" and b["seed"] == 1 and b["evaluate"]["attacks"][1]["eps"] == 0.2


def test_keys_sharing_a_last_part_are_labelled_in_full():
    raw = {**BASE, "evaluate": {"attacks": ["clean", {"name": "fgsm", "eps": 0.1}, {"name": "pgd", "eps": 0.1}]},
           "grid": {"evaluate.attacks.1.eps": [0.1], "evaluate.attacks.2.eps": [0.1, 0.2]}}
    names = [n for n, _ in expand(raw, "<test>", get_host()).rows]
    assert names == ["evaluate.attacks.1.eps=0.1 evaluate.attacks.2.eps=0.1",
                     "evaluate.attacks.1.eps=0.1 evaluate.attacks.2.eps=0.2"]


@pytest.mark.parametrize("grid, message", [
    ({"seed": []}, r"grid\.seed: expected a non-empty list"),
    ({"seed": 3}, r"grid\.seed: expected a non-empty list"),
    ({"seed": [1, 1]}, r"grid\.seed: a value is listed twice"),
    ([1, 2], r"grid: expected a mapping"),
])
def test_malformed_grid_is_one_line_naming_the_key(grid, message):
    with pytest.raises(RecipeError, match=message):
        expand({**BASE, "grid": grid}, "<test>", get_host())


def test_grid_and_sweep_may_not_vary_the_same_key():
    raw = {**BASE, "grid": {"seed": [0, 1]}, "sweep": {"key": "seed", "values": [2]}}
    with pytest.raises(RecipeError, match="sweep.key: seed is also a grid key"):
        expand(raw, "<test>", get_host())


def test_a_bad_grid_value_names_its_row(tmp_path):
    raw = {**BASE, "grid": {"evaluate.attacks.1.eps": [0.1, 7]}}
    with pytest.raises(robustx.RobustxError, match=r"variant 'eps=7'.*eps"):
        expand(raw, "<test>", get_host())


def test_grid_study_writes_table_figure_and_html(tmp_path):
    from matplotlib.image import imread

    from robustx.runs.study_figure import bars

    path = tmp_path / "grid.yaml"
    grid = {"seed": [3], "evaluate.attacks.1.eps": [0.05, 0.2]}
    uri = f"file:{tmp_path / 'mlruns'}"
    loggers = [{"name": "mlflow", "tracking_uri": uri}] if importlib.util.find_spec("mlflow") else []
    path.write_text(yaml.safe_dump({**BASE, "grid": grid, "loggers": loggers}, sort_keys=False))
    res = robustx.run_recipe(str(path), out=str(tmp_path / "runs"), device="cpu")
    study_dir = Path(res["study_dir"])
    assert list(res["rows"]) == ["seed=3 eps=0.05", "seed=3 eps=0.2"]
    assert {p.name for p in study_dir.iterdir()} >= {"table.md", "study.json", "figure.png", "study.html"}
    image = imread(study_dir / "figure.png")
    assert image.ndim == 3 and image.shape[1] > image.shape[0]  # two panels side by side
    # what the figure draws, against each row's own results.json
    drawn = bars(list(res["rows"]), res["rows"])
    assert list(drawn) == ["Linf eps=0.05", "Linf eps=0.2"]
    for threat, eps in (("Linf eps=0.05", 0.05), ("Linf eps=0.2", 0.2)):
        for name, clean, robust in zip(drawn[threat]["rows"], drawn[threat]["clean"], drawn[threat]["robust"]):
            saved = json.loads((study_dir / name.replace("=", "-").replace(" ", "-") / "results.json").read_text())
            assert clean == pytest.approx(100 * saved["clean_accuracy"])
            group = [g for g in saved["threat_models"] if g["eps"] == eps]
            assert robust == (pytest.approx(100 * group[0]["robust_accuracy"]) if group else None)
    page = (study_dir / "study.html").read_text()
    assert 'src="data:image/png;base64,' in page and "| seed=3 eps=0.2 |" in page
    if loggers:  # every row is an MLflow run in one experiment named after the study, with its grid values
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=uri)
        experiment = client.get_experiment_by_name("grid_study")
        runs = {r.info.run_name: r.data.params for r in client.search_runs([experiment.experiment_id])}
        assert runs.keys() == {"seed-3-eps-0.05", "seed-3-eps-0.2"}
        assert runs["seed-3-eps-0.2"]["evaluate.attacks.1.eps"] == "0.2" and runs["seed-3-eps-0.2"]["seed"] == "3"
