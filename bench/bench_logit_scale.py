"""Is a Table 1 cell the model's confidence rather than its robustness? The same models with their logits scaled.

Multiplying a classifier's logits by T > 0 changes none of its predictions and no sign of any margin gradient,
so its clean accuracy, its accuracy under robustx's ``cw_linf`` (sign steps on the logit margin) and its actual
robustness stay exactly as they were. Attacks on the cross-entropy loss (FGSM, BIM, PGD) see a different
model: at T > 1 the softmax concentrates on the top competitor and, once it saturates in float32, the
gradient shrinks to the few classes still visible. A cell that moves with T measures the model's confidence
as much as its robustness. AutoAttack is the control: its targeted DLR attacks do not depend on T.

This re-attacks rows of a finished ``ds_table1_mnist`` run (their saved best checkpoints; nothing is
retrained) with the recipe's own evaluation attacks, at each scale, and counts the cells within 3 points of
the paper. It prints each scaled model's confidence: the median top-1 minus top-2 logit, and the share of
images whose float32 softmax is saturated (top class exactly 1.0).

    python bench/bench_logit_scale.py RUN [--rows ours crossentropy] [--scales 1 2 3 4 5 6 8] [--limit 1000]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import torch
from bench_confidence import confidence
from torch import nn

import robustx
from robustx.evaluation.anymodel import load_data

PAPER_MARGIN = 3.0


class ScaledLogits(nn.Module):
    """``model`` with its logits multiplied by ``scale``: same predictions, different softmax confidence."""

    def __init__(self, model: nn.Module, scale: float) -> None:
        super().__init__()
        self.model, self.scale = model, scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x) * self.scale


def cells(model: nn.Module, x: torch.Tensor, y: torch.Tensor, attacks: list[dict[str, Any]]) -> dict[str, float]:
    """Accuracy (%) under each of the recipe's attacks, by label (seeded, so random starts repeat)."""
    torch.manual_seed(0)
    results = robustx.evaluate(model, (x, y), attacks=attacks)
    by_label = {entry["label"]: 100.0 * entry["robust_accuracy"] for entry in results["attacks"]}
    clean = next(spec["label"] for spec in attacks if spec["name"] == "clean")
    by_label[clean] = 100.0 * results["clean_accuracy"]
    return by_label


def within(row: dict[str, float], paper: dict[str, float]) -> int:
    """How many of the paper's cells this row matches to within ``PAPER_MARGIN`` points."""
    return sum(abs(row[column] - value) <= PAPER_MARGIN for column, value in paper.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="directory of a ds_table1_mnist run (holds study.json)")
    parser.add_argument("--rows", nargs="+", default=["ours", "crossentropy"], help="row directories to re-attack")
    parser.add_argument("--scales", nargs="+", type=float, default=[1, 2, 3, 4, 5, 6, 8], help="logit scales T")
    parser.add_argument("--limit", type=int, default=1000, help="first N test images (the recipe's 1000)")
    args = parser.parse_args()
    study = json.loads((args.run / "study.json").read_text())
    names = {Path(row["run_dir"]).name: row["name"] for row in study["rows"]}
    x, y, _ = load_data("mnist", limit=args.limit)
    print(f"first {len(y)} MNIST test images; accuracy (%) with the logits multiplied by T; the recipe's attacks")
    for row_dir in args.rows:
        name = names[row_dir]
        run = robustx.load_run(args.run / row_dir)
        attacks = [dict(spec) for spec in run.recipe["evaluate"]["attacks"]]
        paper = study["paper"]["rows"].get(name, {})
        columns = [spec["label"] for spec in attacks]
        model = run.model().eval()
        print(f"\n{name} ({row_dir}):\n")
        print("| T | median logit gap | softmax saturated | " + " | ".join(columns) + " | within ±3 of the paper |")
        print("|---|---|---|" + "---|" * len(columns) + "---|")
        print("| paper | | | " + " | ".join(str(paper.get(c, "")) for c in columns) + " | |")
        for scale in args.scales:
            scaled = ScaledLogits(model, scale).eval()
            gap, saturated = confidence(scaled, x)
            row = cells(scaled, x, y, attacks)
            print(f"| {scale:g} | {gap:.2f} | {saturated:.1f}% | " + " | ".join(f"{row[c]:.1f}" for c in columns)
                  + f" | {within(row, paper)} of {len(paper)} |", flush=True)


if __name__ == "__main__":
    main()
