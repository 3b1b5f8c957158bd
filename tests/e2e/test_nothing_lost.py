"""Issue 25: nothing lost (finished runs, unwritable run directories, full disks), errors that name the file,
warnings for values that run but surprise, and repeatable evaluation.

Each test drives the real CLI through click's CliRunner on a tiny run (digits, two epochs, about a second).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from robustx.cli import cli

TINY = ["data.limit=256", "data.batch_size=128", "train.epochs=2", "train.defense={name: standard}",
        "train.val_attack=null", "train.val_limit=32", "evaluate.attacks=[clean]", "evaluate.limit=64"]


def one_error(result) -> str:
    """The one ``Error:`` line of a failed command, with no traceback around it."""
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    return errors[0]


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A finished tiny run (read-only use: tests that change files copy it)."""
    out = tmp_path_factory.mktemp("runs")
    result = CliRunner().invoke(cli, ["recipe", "run", "quickstart", *TINY, "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    (run_dir,) = out.iterdir()
    return run_dir


@pytest.fixture
def run_copy(finished, tmp_path) -> Path:
    import shutil

    return Path(shutil.copytree(finished, tmp_path / finished.name))


# -- a finished run is never re-run by --resume ------------------------------------------------------
def test_resume_of_a_finished_run_keeps_audit_and_added_attacks(run_copy):
    runner = CliRunner()
    added = runner.invoke(cli, ["eval", str(run_copy), "--attack", "fgsm eps=0.1", "--quiet"])
    assert added.exit_code == 0, added.output
    results_file = run_copy / "results.json"
    results = json.loads(results_file.read_text())
    results["audit"] = [{"check": "a", "status": "pass", "evidence": "kept", "advice": ""}]  # as `robustx audit` writes
    results_file.write_text(json.dumps(results, indent=2))
    before = {p: p.read_bytes() for p in (results_file, run_copy / "eval" / "outcomes.json",
                                          run_copy / "checkpoints" / "last.safetensors")}

    resumed = runner.invoke(cli, ["recipe", "run", "quickstart", "--resume", str(run_copy)])
    assert resumed.exit_code == 0, resumed.output
    assert "already finished" in resumed.output and "nothing to resume" in resumed.output
    assert "resuming" not in resumed.output
    assert {p: p.read_bytes() for p in before} == before  # audit and fgsm's saved outcomes are still there
    assert [a["spec"]["name"] for a in json.loads(before[run_copy / "eval" / "outcomes.json"])["attacks"]] == \
        ["clean", "fgsm"]


# -- commands that write into a run directory check first ------------------------------------------
@contextlib.contextmanager
def read_only(directory: Path):
    """``directory`` made really unwritable: chmod for a normal user; as root (chmod does not stop root)
    a read-only bind mount of it onto itself. Skips when neither is possible here."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
        try:
            yield
        finally:
            directory.chmod(0o755)
        return
    bind = subprocess.run(["mount", "--bind", str(directory), str(directory)], capture_output=True)
    if bind.returncode != 0:
        pytest.skip("running as root without mount: cannot make a directory read-only here")
    try:
        remount = subprocess.run(["mount", "-o", "remount,bind,ro", str(directory)], capture_output=True)
        if remount.returncode != 0:
            pytest.skip("running as root and cannot remount read-only here")
        yield
    finally:
        subprocess.run(["umount", str(directory)], capture_output=True)


def _must_not_compute(monkeypatch):
    def computed(*args, **kwargs):
        raise AssertionError("the attacks ran although the results could not be written")

    import robustx_analyses.report

    import robustx.evaluation.audit.run
    import robustx.evaluation.sharded

    monkeypatch.setattr(robustx.evaluation.sharded, "evaluate_outcomes", computed)
    monkeypatch.setattr(robustx.evaluation.audit.run, "audit_fields", computed)
    monkeypatch.setattr(robustx_analyses.report, "build_report", computed)


@pytest.mark.parametrize("command", [["eval", "--attack", "fgsm eps=0.1", "--quiet"], ["audit", "--quiet"],
                                     ["report"]])
def test_eval_audit_report_refuse_an_unwritable_run_before_computing(run_copy, monkeypatch, command):
    _must_not_compute(monkeypatch)
    target = run_copy / {"eval": "eval", "audit": "", "report": "analysis"}[command[0]]
    target.mkdir(exist_ok=True)
    with read_only(target):
        result = CliRunner().invoke(cli, [command[0], str(run_copy), *command[1:]])
    error = one_error(result)
    assert f"robustx {command[0]}: cannot write into {target}" in error and "nothing was computed" in error


def test_the_writability_check_also_probes(run_copy, monkeypatch):
    """os.access can say yes where a write fails (root on a read-only mount, ACLs): the probe decides."""
    _must_not_compute(monkeypatch)
    real_open = os.open

    def refuse_probe(path, *args, **kwargs):
        if ".robustx-write-probe-" in str(path):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse_probe)
    error = one_error(CliRunner().invoke(cli, ["eval", str(run_copy), "--attack", "fgsm eps=0.1", "--quiet"]))
    assert f"cannot write into {run_copy / 'eval'} (Read-only file system)" in error


# -- full disks leave nothing behind and name the path ------------------------------------------------
def _disk_full_after_some_bytes(monkeypatch):
    """Writes to temporaries get 10 bytes through, then ENOSPC (what a full disk does)."""
    real = Path.write_text

    def write_text(self, data, *args, **kwargs):
        if self.name.endswith((".tmp", ".partial")):
            real(self, data[:10], *args, **kwargs)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, data, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write_text)


SMALL_REPORT = ["--grid", "5", "--surface-images", "2", "--steps", "2", "--curve-n", "8", "--indicator-n", "4"]


def test_report_on_a_full_disk_leaves_no_partial_file(run_copy, monkeypatch):
    _disk_full_after_some_bytes(monkeypatch)
    result = CliRunner().invoke(cli, ["report", str(run_copy), *SMALL_REPORT])
    target = run_copy / "analysis" / "report.html"
    error = one_error(result)
    assert f"cannot write {target}: No space left on device; free some disk space" in error
    assert not [p.name for p in (run_copy / "analysis").iterdir() if p.name.startswith(".") or "partial" in p.name]
    assert not target.exists()


def test_safetensors_save_on_a_full_disk_names_the_path(tmp_path, monkeypatch):
    import safetensors.torch
    import torch
    from safetensors import SafetensorError

    from robustx.base.checkpoint import write_atomic
    from robustx.base.errors import RunFileError

    def save_file(tensors, filename, metadata=None):
        Path(filename).write_bytes(b"\0" * 64)
        raise SafetensorError('Error while serializing: IoError(Os { code: 28, kind: StorageFull, '
                              'message: "No space left on device" })')

    monkeypatch.setattr(safetensors.torch, "save_file", save_file)
    (tmp_path / "model.safetensors").write_bytes(b"old")
    with pytest.raises(RunFileError) as caught:
        write_atomic(tmp_path / "model.safetensors", {"w": torch.zeros(2)}, {})
    assert str(caught.value).startswith(f"cannot write {tmp_path / 'model.safetensors'}: No space left on device")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.safetensors"]  # no .tmp left
    assert (tmp_path / "model.safetensors").read_bytes() == b"old"  # the old file is intact


# -- errors about a file name the file and what to do ---------------------------------------------------
@pytest.mark.parametrize("damage, says", [
    (lambda text: text.encode()[: len(text) // 2], "is not valid JSON (truncated or damaged at line"),
    (lambda text: b"\x89PNG\r\n\x1a\n\xff\xfe\x00binary", "is not a text file"),
    (lambda text: b"", "is empty"),
])
def test_damaged_results_json_is_named(run_copy, damage, says):
    results = run_copy / "results.json"
    results.write_bytes(damage(results.read_text()))
    for args in (["audit", str(run_copy), "--quiet"], ["recipe", "run", "quickstart", "--resume", str(run_copy)]):
        error = one_error(CliRunner().invoke(cli, args))
        assert f"Error: {results} {says}" in error and "robustx eval" in error, error


def test_damaged_metrics_and_recipe_are_named(run_copy):
    from robustx.base.errors import RunFileError
    from robustx.runs.rundir import load_run

    metrics = run_copy / "metrics.jsonl"
    metrics.write_text(metrics.read_text()[:-20])
    with pytest.raises(RunFileError, match=rf"^{metrics}: line 2 is not valid JSON"):
        load_run(run_copy).metrics
    (run_copy / "recipe.yaml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(RunFileError, match="recipe.yaml is not a text file"):
        load_run(run_copy).recipe


# -- values that run but surprise are said out loud ------------------------------------------------------
def test_huge_batch_size_and_zero_epochs_warn(tmp_path):
    runner = CliRunner()
    big = runner.invoke(cli, ["recipe", "run", "quickstart", *TINY, "train.epochs=1", "data.batch_size=100000000",
                              "--out", str(tmp_path), "--quiet"])
    assert big.exit_code == 0, big.output
    assert ("data.batch_size=100000000 is larger than the 256 training images: every epoch is one batch of 256"
            in big.stderr)
    zero = runner.invoke(cli, ["recipe", "run", "quickstart", *TINY, "train.epochs=0", "--out", str(tmp_path),
                               "--quiet"])
    assert zero.exit_code == 0, zero.output
    assert "train.epochs=0 and no model.weights: evaluating an untrained (randomly initialized) model" in zero.stderr
    assert "batch" not in zero.stderr  # no epoch runs: the batch size cannot surprise anyone


# -- evaluation is repeatable ---------------------------------------------------------------------------
def test_fresh_evaluation_is_seeded_and_repeatable(finished):
    runner = CliRunner()

    def evaluate(*extra: str) -> dict:
        result = runner.invoke(cli, ["eval", str(finished), "--fresh", "--attack", "pgd eps=0.15 steps=2",
                                     "--limit", "64", "--quiet", *extra])
        assert result.exit_code == 0, result.output
        return json.loads(Path(result.output.strip().splitlines()[-1].removeprefix("written: ")).read_text())

    runs = [evaluate() for _ in range(2)]
    assert runs[0]["seed"] == runs[1]["seed"] == 0  # the recipe's seed, recorded
    assert [a["robust_accuracy"] for a in runs[0]["attacks"]] == [a["robust_accuracy"] for a in runs[1]["attacks"]]
    other = evaluate("--seed", "7")
    assert other["seed"] == 7


def test_truncated_model_file_is_named_with_what_to_do(run_copy):
    model = run_copy / "model.safetensors"
    model.write_bytes(model.read_bytes()[:100])
    error = one_error(CliRunner().invoke(cli, ["eval", str(run_copy), "--quiet"]))
    assert f"cannot read checkpoint {model}:" in error and "truncated or not a safetensors file" in error
