"""``evaluate.mode``: each vs cascade on a finished run's own attacks, one after the other.

Copies RUN_DIR twice (without its eval/ folder), runs ``robustx eval COPY --mode each`` and
``--mode cascade``, and prints for each: the wall time, every attack row (accuracy, examples
attacked and broken, seconds) and the threat-model groups, then whether the groups are equal.

    python bench/bench_cascade.py runs/quickstart-20261207-032135 [--limit 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def evaluate(run: Path, mode: str, limit: int | None) -> tuple[dict, float]:
    cmd = [sys.executable, "-m", "robustx", "eval", str(run), "--mode", mode, "--device", "cpu", "--quiet"]
    start = time.perf_counter()
    done = subprocess.run(cmd + (["--limit", str(limit)] if limit else []), capture_output=True, text=True,
                          env={**os.environ, "ROBUSTX_NO_PROGRESS": "1"})
    wall = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    return json.loads(sorted((run / "eval").glob("results-*.json"))[-1].read_text()), wall


def show(mode: str, res: dict, wall: float) -> None:
    print(f"== {mode}: wall {wall:.1f}s, attacks {sum(r['seconds'] for r in res['attacks']):.1f}s")
    for r in res["attacks"]:
        print(f"  {r['label']:<14} {100 * r['robust_accuracy']:6.2f}%  attacked {r.get('attacked', '-')!s:>5}  "
              f"broken {r.get('broken', '-')!s:>5}  {r['seconds']:8.1f}s")
    for g in res["threat_models"]:
        print(f"  group {g['norm']} {g['eps']:g}: {100 * g['robust_accuracy']:.2f}% ({', '.join(g['attacks'])})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cascade-"))
    out = {}
    for mode in ("each", "cascade"):
        copy = work / mode
        shutil.copytree(args.run_dir, copy, ignore=shutil.ignore_patterns("eval"))
        out[mode] = evaluate(copy, mode, args.limit)
        show(mode, *out[mode])
    print("groups equal:", out["each"][0]["threat_models"] == out["cascade"][0]["threat_models"])


if __name__ == "__main__":
    main()
