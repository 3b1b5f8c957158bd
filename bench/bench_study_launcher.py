"""A 3-row study run sequentially, then with ``--launcher local`` (rows as parallel submitit jobs).

Prints each wall time, whether the two ``table.md`` files are identical, and ``robustx study status``.
Tiny rows (2 epochs of PGD-AT on 460 digits images; FGSM and PGD-10 on 128): this measures the
launcher's overhead, not a speed-up (that needs rows longer than robustx's start-up, and free cores).

    python bench/bench_study_launcher.py [--workdir /tmp/study-bench]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STUDY = """\
name: study3
description: three tiny rows
seed: 0
data: {name: digits, batch_size: 128, limit: 512, val_split: 0.1}
model: {name: small_cnn}
train: {epochs: 2, optimizer: {name: adam, lr: 0.003}, val_limit: 64, track_examples: 0,
        defense: {name: pgd_at, attack: {name: pgd, eps: 0.1, alpha: 0.025, steps: 3}}}
evaluate:
  limit: 128
  attacks: [clean, {name: fgsm, eps: 0.1, label: FGSM}, {name: pgd, eps: 0.1, alpha: 0.025, steps: 10, label: PGD}]
variants:
  - name: A
  - name: B
    overrides: {train.optimizer.lr: 0.01}
  - name: C
    overrides: {seed: 1}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="study-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    (work / "study3.yaml").write_text(STUDY)
    env = {**os.environ, "ROBUSTX_NO_PROGRESS": "1"}
    robustx = [sys.executable, "-m", "robustx"]
    tables = {}
    for tag, extra in (("sequential", []), ("launcher local", ["--launcher", "local"])):
        out = work / tag.replace(" ", "_")
        start = time.perf_counter()
        done = subprocess.run(robustx + ["recipe", "run", str(work / "study3.yaml"), "--out", str(out), "--device",
                                         "cpu", "--quiet", *extra], env=env, capture_output=True, text=True)
        print(f"{tag}: exit {done.returncode}, wall {time.perf_counter() - start:.1f}s")
        (study_dir,) = out.iterdir()
        tables[tag] = (study_dir / "table.md").read_text()
    print("table.md identical:", tables["sequential"] == tables["launcher local"])
    print(tables["launcher local"])
    status = subprocess.run(robustx + ["study", "status", str(study_dir)], env=env, capture_output=True, text=True)
    print(status.stdout)


if __name__ == "__main__":
    main()
