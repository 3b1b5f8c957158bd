"""SIGTERM from another process during epoch 2 of a real ``robustx recipe run``, then ``--resume``.

Prints the exit code and the one line the run printed, the resume line, and how many weight tensors
of the resumed run's ``model_last.safetensors`` are ``torch.equal`` to an uninterrupted run's
(3 epochs of PGD-AT on digits with augmentation and a per-batch schedule; about a minute on a CPU).

    python bench/bench_preemption.py [--workdir /tmp/preempt] [--at 0.4]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import yaml
from safetensors.torch import load_file

RECIPE = {"name": "preempt", "seed": 3,
          "data": {"name": "digits", "batch_size": 64, "val_split": 0.1, "test_limit": 128, "augment": "crop_flip"},
          "model": {"name": "small_cnn"},
          "train": {"epochs": 3, "optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.9},
                    "schedule": {"name": "onecycle", "max_lr": 0.1},
                    "defense": {"name": "pgd_at", "attack": {"name": "pgd", "eps": 0.1, "alpha": 0.05, "steps": 3}},
                    "val_limit": 64, "track_examples": 0},
          "evaluate": {"attacks": ["clean", {"name": "fgsm", "eps": 0.1}]}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--at", type=float, default=0.4, help="fraction of epoch 1's time into epoch 2")
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="preempt-"))
    work.mkdir(parents=True, exist_ok=True)
    os.chdir(work)
    robustx = [sys.executable, "-m", "robustx"]
    env = {**os.environ, "ROBUSTX_NO_PROGRESS": "1"}
    Path("preempt.yaml").write_text(yaml.safe_dump(RECIPE))
    start = time.perf_counter()
    whole = subprocess.run(robustx + ["recipe", "run", "preempt.yaml", "--out", "whole", "--device", "cpu"], env=env,
                           capture_output=True, text=True)
    print(f"uninterrupted: exit {whole.returncode}, {time.perf_counter() - start:.1f}s")
    proc = subprocess.Popen(robustx + ["recipe", "run", "preempt.yaml", "--out", "cut", "--device", "cpu"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("epoch 1/"):
            wait = args.at * float(line.split()[-1].rstrip("s"))
            time.sleep(wait)
            proc.send_signal(signal.SIGTERM)
            print(f"SIGTERM sent {wait:.1f}s into epoch 2")
            break
    rest = proc.stderr.read().strip().splitlines()
    proc.wait()
    print(f"interrupted: exit {proc.returncode}; it printed: {rest[-1] if rest else ''}")
    run_dir = next(Path("cut").iterdir())
    resumed = subprocess.run(robustx + ["recipe", "run", "preempt", "--resume", str(run_dir), "--device", "cpu"],
                             env=env, capture_output=True, text=True)
    print(f"resumed: exit {resumed.returncode}; " + next(
        (x for x in resumed.stderr.splitlines() if x.startswith("resuming")), "(no resume line)"))
    a = load_file(str(next(Path("whole").iterdir()) / "model_last.safetensors"))
    b = load_file(str(run_dir / "model_last.safetensors"))
    equal = sum(torch.equal(a[k], b[k]) for k in a)
    print(f"weights: {equal} of {len(a)} tensors torch.equal to the uninterrupted run's")


if __name__ == "__main__":
    main()
