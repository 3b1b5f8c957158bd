"""Multi-process training and sharded evaluation on CPU with gloo (issue 9 items 2-3).

One 2-process job (``robustx recipe run --nproc 2``, then ``tests/ddp_job.py`` under torchrun:
resume + sharded ``evaluate_run``) against the same recipe in ONE process on the same code path
(a gloo group of one, in this process). PGD-AT of a BatchNorm-free CNN on 384 digits, global
batch 64, 2 epochs: the two runs see the same global batches, so they must agree up to float
summation order; the evaluation is deterministic, so sharded numbers must be identical.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Iterator

import pytest
import torch
import yaml
from click.testing import CliRunner

import robustx
from robustx.base import distributed
from robustx.base.errors import RobustxError
from robustx.cli.main import cli

HERE = Path(__file__).resolve().parents[1]  # tests/: ddp_job.py
RECIPE: dict[str, Any] = {
    "name": "ddp_tiny", "description": "PGD-AT on digits for the distributed tests", "seed": 3,
    "data": {"name": "digits", "batch_size": 64, "val_split": 0.1, "limit": 384, "test_limit": 96},
    "model": {"name": "small_cnn"},
    "train": {"epochs": 2, "optimizer": {"name": "sgd", "lr": 0.1, "momentum": 0.9}, "val_limit": 48,
              "defense": {"name": "pgd_at", "attack": {"name": "pgd", "eps": 0.1, "alpha": 0.05, "steps": 2,
                                                        "random_start": False}}},
    "evaluate": {"attacks": ["clean", {"name": "fgsm", "eps": 0.1}]},
}
RANDOM = ["data.augment={name: crop, padding: 1}", "train.defense.attack.random_start=true"]
ATTACKS = [{"name": "clean"}, {"name": "fgsm", "eps": 0.1},
           {"name": "pgd", "eps": 0.1, "alpha": 0.03, "steps": 3, "random_start": False}]


@contextlib.contextmanager
def gloo_world_of_one() -> Iterator[None]:
    """This process as a 1-rank gloo group: the distributed code path without a subprocess."""
    import torch.distributed as dist

    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        yield
    finally:
        dist.destroy_process_group()


def set_epochs(run_dir: Path, epochs: int) -> None:
    """Extend a finished run (its recipe.yaml is what --resume follows)."""
    saved = yaml.safe_load((run_dir / "recipe.yaml").read_text())
    saved["train"]["epochs"] = epochs
    (run_dir / "recipe.yaml").write_text(yaml.safe_dump(saved, sort_keys=False))


def metrics(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def recipe_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ddp") / "ddp_tiny.yaml"
    path.write_text(yaml.safe_dump(RECIPE, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def one(recipe_file, tmp_path_factory) -> dict[str, Any]:
    """One process: an uninterrupted 2-epoch run; and with random crops and random PGD starts (the
    per-rank randomness), an uninterrupted run and a 1-epoch run resumed to 2 epochs."""
    out = tmp_path_factory.mktemp("one")
    with gloo_world_of_one():
        full = robustx.run_recipe(str(recipe_file), out=out / "full", device="cpu")
        random_full = robustx.run_recipe(str(recipe_file), RANDOM, out=out / "random_full", device="cpu")
        robustx.run_recipe(str(recipe_file), [*RANDOM, "train.epochs=1"], out=out / "part", device="cpu")
        (part,) = (out / "part").iterdir()
        set_epochs(part, 2)
        resumed = robustx.run_recipe(None, resume=part, device="cpu")
    return {"full": full, "full_dir": Path(full["run_dir"]), "random_full": random_full,
            "random_dir": Path(random_full["run_dir"]), "resumed": resumed, "resumed_dir": part}


@pytest.fixture(scope="module")
def two(recipe_file, tmp_path_factory) -> dict[str, Any]:
    """Two gloo processes: `recipe run --nproc 2` for 1 epoch, then (torchrun) resume to 2 and re-evaluate."""
    out = tmp_path_factory.mktemp("two")
    start = time.perf_counter()
    result = CliRunner().invoke(cli, ["recipe", "run", str(recipe_file), "train.epochs=1", "--nproc", "2",
                                      "--device", "cpu", "--out", str(out / "runs"), "--quiet"])
    assert result.exit_code == 0, result.output
    (run_dir,) = (out / "runs").iterdir()
    set_epochs(run_dir, 2)
    report = out / "job.json"
    done = run_ddp_job(run_dir, report)
    (out / "job.log").write_text(done.stdout + done.stderr)
    assert done.returncode == 0, done.stderr[-3000:]
    return {**json.loads(report.read_text()), "run_dir": run_dir, "seconds": time.perf_counter() - start}


#: seen twice on 2026-12-07 (2 of about 20 runs, both on a loaded 2-core machine), never reproduced on purpose:
#: the job finished and wrote its report, then rank 0 aborted at interpreter exit with this C++ message
EXIT_ABORT = "terminate called without an active exception"


def run_ddp_job(run_dir: Path, report: Path) -> subprocess.CompletedProcess:
    """tests/ddp_job.py under torchrun (2 processes), run again once from the same run directory if, and only if,
    it failed with the exit-time abort above (a warning says so); any other failure is returned at once."""
    snapshot = report.with_name("run-before-job")  # beside the report, not among the runs
    shutil.copytree(run_dir, snapshot)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = distributed.torchrun_command(2, [])[:-2] + [str(HERE / "ddp_job.py"), str(run_dir), str(report)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0 and EXIT_ABORT in done.stderr:
        warnings.warn(f"ddp_job.py: rank 0 aborted at exit ({EXIT_ABORT!r}); ran it again once", stacklevel=1)
        shutil.rmtree(run_dir)
        shutil.copytree(snapshot, run_dir)
        report.unlink(missing_ok=True)
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    return done


def test_two_processes_train_like_one_with_the_same_global_batch(one, two):
    assert two["world_size"] == 2 and two["results"]["world_size"] == 2
    single = metrics(one["full_dir"])
    assert [m["epoch"] for m in two["metrics"]] == [1, 2] == [m["epoch"] for m in single]
    for m2, m1 in zip(two["metrics"], single):
        assert m2["train_loss"] == pytest.approx(m1["train_loss"], rel=1e-4, abs=1e-5)
        assert m2["val_accuracy"] == pytest.approx(m1["val_accuracy"], abs=1 / 48 + 1e-9)
    assert single[1]["train_loss"] < single[0]["train_loss"]  # it did learn something
    for key in ("clean_accuracy", "worst_case_accuracy"):
        assert two["results"][key] == pytest.approx(one["full"][key], abs=2 / 96 + 1e-9)
    print(f"\n1 process: {single}\n2 processes: {two['metrics']}\n2-process job wall time {two['seconds']:.1f}s"
          f"\nclean/worst 1 process {one['full']['clean_accuracy']}/{one['full']['worst_case_accuracy']}, "
          f"2 processes {two['results']['clean_accuracy']}/{two['results']['worst_case_accuracy']}")


def test_resume_continues_as_if_never_stopped(one):
    """Per-rank randomness is reseeded from (seed, rank, epoch): a resumed run redraws it exactly."""
    full, resumed = metrics(one["random_dir"]), metrics(one["resumed_dir"])
    assert [m["epoch"] for m in resumed] == [1, 2]
    for a, b in zip(resumed, full):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-6)
    assert one["resumed"]["clean_accuracy"] == one["random_full"]["clean_accuracy"]
    assert full[1]["train_loss"] != pytest.approx(metrics(one["full_dir"])[1]["train_loss"], rel=1e-4)  # it was random


def test_only_rank_zero_writes(two):
    run_dir = two["run_dir"]
    assert len(metrics(run_dir)) == 2  # one line per epoch, not one per rank
    assert len(list(run_dir.parent.iterdir())) == 1  # one run directory for the job
    assert (run_dir / "checkpoints" / "last.safetensors").is_file() and (run_dir / "results.json").is_file()


def test_sharded_evaluation_is_identical_to_one_process(two):
    from robustx.runs.reevaluate import evaluate_run

    single, _ = evaluate_run(two["run_dir"], ATTACKS, device="cpu", fresh=True)  # no process group: 1 process
    sharded = two["evaluated"]
    assert sharded["n"] == single["n"] == 96
    assert sharded["clean_accuracy"] == single["clean_accuracy"]
    assert [a["robust_accuracy"] for a in sharded["attacks"]] == [a["robust_accuracy"] for a in single["attacks"]]
    assert sharded["worst_case_accuracy"] == single["worst_case_accuracy"]


def test_a_study_runs_and_resumes_under_torchrun(recipe_file, tmp_path):
    """Every row of a study is one 2-process run; rank 0 alone writes the study; --resume works too."""
    out = tmp_path / "runs"
    rows_arg = "variants=[{name: standard, overrides: {train.defense: {name: standard}}}, {name: pgd_at}]"
    common = ["--nproc", "2", "--device", "cpu", "--quiet"]
    result = CliRunner().invoke(cli, ["recipe", "run", str(recipe_file), "train.epochs=1", rows_arg,
                                      "--out", str(out), *common])
    assert result.exit_code == 0, result.output
    (study_dir,) = out.iterdir()  # one study directory for the job, not one per rank
    rows = json.loads((study_dir / "study.json").read_text())["rows"]
    assert [r["name"] for r in rows] == ["standard", "pgd_at"]
    assert [r["results"]["world_size"] for r in rows] == [2, 2]
    table = (study_dir / "table.md").read_text()
    assert "| standard |" in table and "| pgd_at |" in table and "not run" not in table
    # the second row loses its results: --resume skips the first and re-evaluates the second's checkpoint
    second = Path(rows[1]["run_dir"])
    (second / "results.json").unlink()
    result = CliRunner().invoke(cli, ["recipe", "run", str(recipe_file), "--resume", str(study_dir), *common])
    assert result.exit_code == 0, result.output
    again = json.loads((second / "results.json").read_text())
    assert again["world_size"] == 2 and again["clean_accuracy"] == rows[1]["results"]["clean_accuracy"]
    assert list(out.iterdir()) == [study_dir]


def test_eval_nproc_shards_the_cli_evaluation_of_a_run(two):
    """`robustx eval RUN_DIR --nproc 2`: two processes, the numbers of one, one results file."""
    from robustx.runs.reevaluate import evaluate_run

    eval_dir = two["run_dir"] / "eval"
    before = set(eval_dir.glob("results-*.json"))
    flags = [f"--attack={json.dumps(spec)}" for spec in ATTACKS]  # JSON is a YAML mapping
    result = CliRunner().invoke(cli, ["eval", str(two["run_dir"]), *flags, "--fresh", "--nproc", "2",
                                      "--device", "cpu", "--quiet"])
    assert result.exit_code == 0, result.output
    (written,) = set(eval_dir.glob("results-*.json")) - before  # rank 0 alone writes
    sharded = json.loads(written.read_text())
    single, _ = evaluate_run(two["run_dir"], ATTACKS, device="cpu", fresh=True)
    assert sharded["world_size"] == 2 and "world_size" not in single
    assert sharded["n"] == single["n"] == 96
    assert [a["robust_accuracy"] for a in sharded["attacks"]] == [a["robust_accuracy"] for a in single["attacks"]]


def test_eval_nproc_is_refused_for_any_model():
    result = CliRunner().invoke(cli, ["eval", "--model", "small_cnn", "--weights", "w.safetensors",
                                      "--dataset", "digits", "--nproc", "2"])
    assert result.exit_code != 0 and "--nproc splits the evaluation of a RUN_DIR" in result.output


def test_every_rank_gets_a_disjoint_slice_of_the_same_global_batches():
    from robustx.datasets.batches import DeviceImageSet
    from robustx.datasets.bundle import ImageSet

    data = DeviceImageSet(ImageSet(torch.arange(70).float().view(70, 1, 1, 1), torch.arange(70)),
                          torch.device("cpu"))
    shards = [distributed.Shard(r, 3, seed=5, epoch=2) for r in range(3)]
    per_rank = [[y.tolist() for _, y in data.batches(16, shuffle=True, shard=s)] for s in shards]
    assert {len(b) for b in per_rank} == {data.num_batches(16, shard=shards[0])} == {5}
    for step in range(5):
        parts = [set(b[step]) for b in per_rank]
        assert sum(map(len, parts)) == len(set().union(*parts))  # disjoint
    again = [y.tolist() for _, y in data.batches(16, shuffle=True, shard=shards[1])]
    assert again == per_rank[1]  # the order depends on (seed, epoch) only
    other = [y.tolist() for _, y in data.batches(16, shuffle=True, shard=distributed.Shard(1, 3, 5, epoch=3))]
    assert other != per_rank[1]


def test_launch_errors_are_one_line():
    with pytest.raises(RobustxError, match="--nproc 0: expected a number of processes >= 1"):
        distributed.relaunch(0, ["recipe", "run", "quickstart"])
    with gloo_world_of_one(), pytest.raises(RobustxError, match="train.sync_batchnorm: SyncBatchNorm needs CUDA"):
        distributed.wrap_model(torch.nn.Linear(2, 2), torch.device("cpu"), sync_batchnorm=True)


def test_torchrun_command_runs_robustx_as_a_module():
    cmd = distributed.torchrun_command(4, ["recipe", "run", "quickstart"])
    assert cmd[:3] == [sys.executable, "-m", "torch.distributed.run"]
    assert "--nproc_per_node=4" in cmd and cmd[-5:] == ["-m", "robustx", "recipe", "run", "quickstart"]
