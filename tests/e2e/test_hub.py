"""Hugging Face Hub weights (hf://ORG/REPO/FILE) through a pre-filled cache, offline; push --dry-run."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from tiny_run import tiny_run

from robustx.cli import cli

REPO, COMMIT = "robustx-test/tiny-digits", "0123456789abcdef0123456789abcdef01234567"


def fill_cache(cache: Path, repo: str, files: dict[str, Path]) -> None:
    """The layout huggingface_hub writes: blobs by hash, snapshots/<commit>/ links to them, refs/main."""
    root = cache / f"models--{repo.replace('/', '--')}"
    (root / "refs").mkdir(parents=True)
    (root / "refs" / "main").write_text(COMMIT)
    for name, source in files.items():
        data = source.read_bytes()
        blob = root / "blobs" / hashlib.sha256(data).hexdigest()
        blob.parent.mkdir(exist_ok=True)
        blob.write_bytes(data)
        link = root / "snapshots" / COMMIT / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(Path("../../blobs") / blob.name)


@pytest.fixture
def hub_cache(tmp_path, tmp_path_factory, monkeypatch):
    run_dir = tiny_run(tmp_path_factory)
    cache = tmp_path / "hf-cache"
    fill_cache(cache, REPO, {"model.safetensors": run_dir / "model.safetensors"})
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return run_dir, cache


def _clean(output: str) -> str:
    return re.search(r"clean\s+-\s+-\s+([\d.]+)", output).group(1)


def test_eval_any_model_with_hub_weights_offline(hub_cache):
    run_dir, _ = hub_cache
    args = ["eval", "--model", "small_cnn", "--dataset", "digits", "--attack", "clean", "--limit", "64",
            "--device", "cpu", "--quiet"]
    hub = CliRunner().invoke(cli, [*args, "--weights", f"hf://{REPO}/model.safetensors"])
    local = CliRunner().invoke(cli, [*args, "--weights", str(run_dir / "model.safetensors")])
    assert hub.exit_code == 0 and local.exit_code == 0, hub.output + local.output
    assert _clean(hub.output) == _clean(local.output)


def test_recipe_weights_from_the_hub_match_the_file(hub_cache, tmp_path):
    import robustx
    from robustx.base.checkpoint import read

    run_dir, _ = hub_cache
    recipe = yaml.safe_load((run_dir / "recipe.yaml").read_text())
    recipe["model"]["weights"] = f"hf://{REPO}/model.safetensors"
    recipe["train"]["epochs"] = 0
    path = tmp_path / "from_hub.yaml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False))
    res = robustx.run_recipe(str(path), out=str(tmp_path / "runs"), device="cpu")
    original = json.loads((run_dir / "results.json").read_text())
    assert res["clean_accuracy"] == original["clean_accuracy"]  # same test split, same weights
    loaded, source = read(Path(res["run_dir"]) / "model.safetensors")[0], read(run_dir / "model.safetensors")[0]
    assert all((loaded[k] == source[k]).all() for k in source)


def test_a_file_missing_from_the_cache_offline_is_one_line(hub_cache):
    _, cache = hub_cache
    result = CliRunner().invoke(cli, ["eval", "--model", "small_cnn", "--dataset", "digits", "--device", "cpu",
                                      "--weights", f"hf://{REPO}/other.safetensors"])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert f"hf://{REPO}/other.safetensors: not in the Hugging Face cache {cache}" in line
    assert "HF_HUB_OFFLINE" in line


@pytest.mark.parametrize("uri", ["hf://only-org/model.safetensors", "hf://org//x.safetensors"])
def test_a_malformed_hub_address_names_the_shape(uri):
    from robustx.base.errors import CheckpointError
    from robustx.base.hub import parse

    with pytest.raises(CheckpointError, match="expected hf://ORG/REPO/FILE.safetensors"):
        parse(uri)


def _run_copy(tmp_path_factory, tmp_path: Path) -> Path:
    """A copy of the shared tiny run: push writes RUN_DIR/push/, which other tests' run must not gain."""
    import shutil

    return Path(shutil.copytree(tiny_run(tmp_path_factory), tmp_path / "run"))


def test_push_dry_run_writes_the_exact_files_and_card(tmp_path_factory, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    run_dir = _run_copy(tmp_path_factory, tmp_path)
    result = CliRunner().invoke(cli, ["push", str(run_dir), "hf://me/tiny-digits", "--dry-run"])
    assert result.exit_code == 0, result.output
    staged = run_dir / "push"
    assert sorted(p.name for p in staged.iterdir()) == ["README.md", "model.json", "model.safetensors"]
    for name in ("model.safetensors", "model.json"):
        assert (staged / name).read_bytes() == (run_dir / name).read_bytes()
        assert f"{name}  {(run_dir / name).stat().st_size} bytes" in result.output
    card = (staged / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: robustx\n")
    results = json.loads((run_dir / "results.json").read_text())
    rows = dict(re.findall(r"^\| (clean|L\w+ eps=[\d.e-]+) \| ([\d.]+)% \|", card, flags=re.M))
    assert float(rows["clean"]) == pytest.approx(100 * results["clean_accuracy"], abs=0.005)
    for group in results["threat_models"]:
        assert float(rows[f"{group['norm']} eps={group['eps']:.6g}"]) == \
            pytest.approx(100 * group["robust_accuracy"], abs=0.005)
    for row in results["attacks"]:
        assert f"| {row['label']} |" in card
    assert "Not audited" in card  # the tiny run is not audited: the card says so rather than leaving it out
    assert "--weights hf://me/tiny-digits/model.safetensors --dataset digits" in card


def test_push_card_carries_the_audit(tmp_path):
    from robustx.runs.hub_card import card

    results = {"recipe": "r", "clean_accuracy": 0.9, "n": 10, "threat_models": [], "attacks": [],
               "audit": [{"check": "gradient_health", "status": "warn", "evidence": "zero grads | 3%"}]}
    (tmp_path / "results.json").write_text(json.dumps(results))
    (tmp_path / "model.json").write_text(json.dumps({"architecture": {"name": "x"}, "dataset": {"name": "d"}}))
    text = card(tmp_path, "me/r")
    assert "| gradient_health | warn | zero grads \\| 3% |" in text and "Not audited" not in text


def test_push_offline_without_dry_run_is_one_line(tmp_path_factory, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = CliRunner().invoke(cli, ["push", str(_run_copy(tmp_path_factory, tmp_path)), "hf://me/tiny-digits"])
    assert result.exit_code == 1
    assert result.output.strip() == ("Error: push hf://me/tiny-digits: HF_HUB_OFFLINE/ROBUSTX_OFFLINE is set; "
                                     "unset it, or use --dry-run")
