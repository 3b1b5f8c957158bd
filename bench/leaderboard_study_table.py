"""The table of the Fashion-MNIST ingredient study (docs/reproductions.md) from a finished study directory.

Per row: clean and AutoAttack accuracy on the test images, the audit's verdicts (quick level), the
best epoch, wall seconds per training epoch (not a cost on a shared CPU), and the per-epoch
validation robust accuracy (PGD-10 on the held-out images) - the curve that robust overfitting (Rice et al. 2020) bends down and EMA / AWP
are meant to keep up. Reads only the files the run wrote.

    python bench/leaderboard_study_table.py STUDY_DIR [STUDY_DIR ...]

Several directories (one study's rows run as separate processes, each with ``variants=`` naming its
rows) are read in order; a row is taken from the first directory where it finished.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path


def audit_summary(findings: list[dict]) -> str:
    """'pass (N checks)' or the counts of other statuses with the checks that gave them (skips not counted)."""
    ran = [f for f in findings if f.get("status") != "skip"]
    bad = [f for f in ran if f.get("status") != "pass"]
    if not bad:
        return f"pass ({len(ran)} checks)"
    counts = Counter(f.get("status") for f in bad)
    names = ", ".join(sorted({str(f.get("check", f.get("name", "?"))) for f in bad}))
    return " ".join(f"{n} {v}" for v, n in counts.items()) + f" ({names})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study_dirs", type=Path, nargs="+")
    args = parser.parse_args()
    rows: dict[str, dict] = {}
    for study_dir in args.study_dirs:
        if not (study_dir / "study.json").is_file():  # no row finished there yet
            continue
        for row in json.loads((study_dir / "study.json").read_text())["rows"]:
            if row["name"] not in rows or (row["results"] and not rows[row["name"]]["results"]):
                rows[row["name"]] = row
    print("| row | clean | AutoAttack | audit | best epoch | wall s/epoch | val robust accuracy by epoch |")
    print("|---|---|---|---|---|---|---|")
    for row in rows.values():
        res = row["results"]
        if not res:
            print(f"| {row['name']} | not run | | | | | |")
            continue
        aa = next(a for a in res["attacks"] if a["name"] == "autoattack")
        metrics = [json.loads(line) for line in (Path(row["run_dir"]) / "metrics.jsonl").read_text().splitlines()]
        curve = " ".join(f"{100 * m['val_robust_accuracy']:.1f}" for m in metrics)
        seconds = sum(m["seconds"] for m in metrics) / len(metrics)
        print(f"| {row['name']} | {100 * res['clean_accuracy']:.1f} | {100 * aa['robust_accuracy']:.1f} | "
              f"{audit_summary(res.get('audit', []))} | {res['best_epoch']} | {seconds:.0f} | {curve} |")


if __name__ == "__main__":
    main()
