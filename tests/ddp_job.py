"""Run under torchrun by tests/e2e/test_distributed.py: resume a run, then re-evaluate it, sharded.

Usage: python -m torch.distributed.run --nproc_per_node N tests/ddp_job.py RUN_DIR OUT_JSON
Rank 0 writes OUT_JSON: the resumed run's metrics and results, and the sharded ``evaluate_run``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import robustx
from robustx.base import distributed
from robustx.runs.reevaluate import evaluate_run

ATTACKS = [{"name": "clean"}, {"name": "fgsm", "eps": 0.1},
           {"name": "pgd", "eps": 0.1, "alpha": 0.03, "steps": 3, "random_start": False}]


def main(run_dir: str, out: str) -> None:
    results = robustx.run_recipe(None, resume=run_dir, device="cpu")
    evaluated, _ = evaluate_run(run_dir, ATTACKS, device="cpu", fresh=True)
    if distributed.is_main():
        metrics = [json.loads(line) for line in (Path(run_dir) / "metrics.jsonl").read_text().splitlines()]
        Path(out).write_text(json.dumps({"world_size": distributed.world_size(), "metrics": metrics,
                                         "results": results, "evaluated": evaluated}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
