"""How confident is each trained model, beside the cells its own evaluation recorded?

Attacks on the cross-entropy loss (FGSM, BIM, PGD) depend on how confident a model is, not only on how
robust it is (``bench_logit_scale.py`` shows it on one model). This prints, for any finished runs, the
median top-1 minus top-2 logit on the test images, the share of images whose float32 softmax is saturated
(top class exactly 1.0, where the cross-entropy gradient vanishes), and the accuracies (%) that run's own
``results.json`` recorded under the chosen attack labels. Nothing is attacked again.

    python bench/bench_confidence.py RUN_DIR [RUN_DIR ...] [--columns "FGSM 0.3" "BIM 0.3" ...] [--limit 1000]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch import nn

import robustx
from robustx.evaluation.anymodel import load_data
from robustx.runs.rundir import RunDir

COLUMNS = ["Natural", "FGSM 0.3", "BIM 0.2", "BIM 0.3", "C&W 0.3", "PGD-40 0.3", "AutoAttack 0.3"]


def confidence(model: nn.Module, x: torch.Tensor) -> tuple[float, float]:
    """(median top-1 minus top-2 logit, % of images whose float32 softmax top class is exactly 1)."""
    with torch.no_grad():
        logits = model(x)
    top2 = logits.topk(2, dim=1).values
    saturated = (logits.softmax(1).max(1).values == 1).float().mean().item()
    return (top2[:, 0] - top2[:, 1]).median().item(), 100.0 * saturated


def recorded(run: RunDir) -> dict[str, float]:
    """Accuracy (%) per attack label, as the run's evaluation wrote it (its results.json)."""
    return {entry["label"]: 100.0 * entry["robust_accuracy"] for entry in run.results["attacks"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dirs", nargs="+", type=Path, help="finished run (or study row) directories")
    parser.add_argument("--columns", nargs="+", default=COLUMNS, help="attack labels of results.json to show")
    parser.add_argument("--limit", type=int, default=1000, help="first N test images (the recipes' 1000)")
    args = parser.parse_args()
    x, _, _ = load_data("mnist", limit=args.limit)
    print(f"first {len(x)} MNIST test images; confidence of each model and the accuracies (%) its run recorded\n")
    print("| run | median logit gap | softmax saturated | " + " | ".join(args.columns) + " |")
    print("|---|---|---|" + "---|" * len(args.columns))
    for run_dir in args.run_dirs:
        run = robustx.load_run(run_dir)
        gap, saturated = confidence(run.model().eval(), x)
        cells = recorded(run)
        shown = " | ".join(f"{cells[c]:.1f}" if c in cells else "" for c in args.columns)
        print(f"| {run_dir.parent.name}/{run_dir.name} | {gap:.2f} | {saturated:.1f}% | {shown} |", flush=True)


if __name__ == "__main__":
    main()
