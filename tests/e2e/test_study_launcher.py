"""Studies through submitit (robustx.runs.cluster): ``--launcher local`` runs rows as parallel jobs, a failed
row does not stop the others, ``robustx study status`` shows each row, ``--resume`` resubmits only the
unfinished rows, and table.md is the sequential run's. (The 3-row timing is in the closing report of
issue 26; two rows are enough to test.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import robustx
from robustx.cli import cli

pytest.importorskip("submitit")

STUDY = """\
name: launched
description: two tiny rows
seed: 0
data: {{name: digits, batch_size: 128, limit: 256, val_split: 0.1}}
model: {{name: small_cnn}}
train: {{epochs: 1, optimizer: {{name: adam, lr: 0.003}}, val_limit: 32, track_examples: 0}}
evaluate:
  limit: 48
  attacks: [clean, {{name: fgsm, eps: 0.1, label: FGSM}}]
variants:
  - name: A
  - name: C
    overrides: {{model.weights: {weights}}}
"""


@pytest.mark.slow
def test_local_launcher_failed_row_status_resume_and_the_sequential_table(tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the jobs compute exactly as this one-thread test process
    weights = tmp_path / "start.safetensors"
    study = tmp_path / "launched.yaml"
    study.write_text(STUDY.format(weights=weights))
    runner = CliRunner()
    args = ["--out", str(tmp_path / "jobs"), "--device", "cpu", "--quiet", "--launcher", "local"]

    first = runner.invoke(cli, ["recipe", "run", str(study), *args])
    assert first.exit_code == 1, first.output  # row C's weights do not exist yet; A finishes anyway
    (study_dir,) = (tmp_path / "jobs").iterdir()
    assert "1 row(s) failed: C (log: " in first.output
    status = runner.invoke(cli, ["study", "status", str(study_dir)])
    lines = {line.split()[0]: line.split() for line in status.output.splitlines()[1:-1]}
    assert lines["A"][1] == "finished" and lines["C"][1] == "failed"
    log = Path(lines["C"][-1])
    assert "does not exist" in log.read_text() + log.with_suffix(".err").read_text()
    jobs = json.loads((study_dir / "jobs.json").read_text())

    shutil.copyfile(study_dir / "a" / "model.safetensors", weights)  # the fix: C now starts from A's weights
    again = runner.invoke(cli, ["recipe", "run", str(study), "--resume", str(study_dir), *args])
    assert again.exit_code == 0, again.output
    resubmitted = json.loads((study_dir / "jobs.json").read_text())
    assert [r for r in resubmitted if resubmitted[r]["job_id"] != jobs[r]["job_id"]] == ["C"]
    assert "2 of 2 rows finished" in runner.invoke(cli, ["study", "status", str(study_dir)]).output

    sequential = robustx.run_recipe(str(study), out=str(tmp_path / "seq"), device="cpu")
    assert (study_dir / "table.md").read_text() == (Path(sequential["study_dir"]) / "table.md").read_text()


def test_checkpoint_protocol_forwards_sigterm_and_requeues_the_row(tmp_path):
    """submitit calls ``checkpoint`` on its preemption signal: the row's process gets SIGTERM, checkpoints
    (here: a stand-in that exits 143 as robustx does), and the same row comes back to be requeued."""
    import subprocess
    import sys
    import time

    from robustx.runs.cluster.job import RowJob, read_state

    (tmp_path / "row").mkdir()
    job = RowJob(str(tmp_path), "row", "cpu", ("train.epochs=3",))
    stand_in = ("import signal, sys, time\n"
                "signal.signal(signal.SIGTERM, lambda *a: (open(sys.argv[1], 'w').write('saved'), sys.exit(143)))\n"
                "print('ready', flush=True)\ntime.sleep(60)\n")
    job._child = subprocess.Popen([sys.executable, "-c", stand_in, str(tmp_path / "saved")], stdout=subprocess.PIPE,
                                  text=True)
    assert job._child.stdout.readline() == "ready\n"
    start = time.monotonic()
    again = job.checkpoint()
    assert job._child.returncode == 143 and (tmp_path / "saved").read_text() == "saved"
    assert time.monotonic() - start < 10
    requeued = again.function
    assert isinstance(requeued, RowJob) and (requeued.study_dir, requeued.row, requeued.device, requeued.overrides) \
        == (str(tmp_path), "row", "cpu", ("train.epochs=3",))
    assert read_state(tmp_path / "row")["state"] == "requeued"


def test_launcher_config_errors_are_one_line(tmp_path):
    from robustx.base.errors import RecipeError
    from robustx.runs.cluster.options import load_options

    config = tmp_path / "cluster.yaml"
    config.write_text("partition: gpu\ngpus_per_nod: 4\n")
    with pytest.raises(RecipeError, match=r"unknown key 'gpus_per_nod' \(did you mean 'gpus_per_node'"):
        load_options("slurm", str(config), {})
    config.write_text("partition: gpu\ngpus_per_node: 4\nsbatch: {qos: high}\ntime: 600\n")
    options = load_options("slurm", str(config), {"partition": "debug", "time": None})
    params = options.submitit_parameters("robustx-x")
    assert params["slurm_partition"] == "debug" and params["timeout_min"] == 600  # the command line wins
    assert params["gpus_per_node"] == 4 and params["tasks_per_node"] == 4  # one DDP process per GPU
    assert params["slurm_additional_parameters"] == {"qos": "high"}
