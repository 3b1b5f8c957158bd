"""Does the attack explain a Table 1 cell? BIM / C&W under other step readings, libraries, clipping, labels, target.

The decision-surface paper (appendix A.3) gives BIM and C&W "10 iterations and step size = 0.1" on MNIST and
names no library. This re-attacks trained ``ds_table1_mnist`` rows (their saved best checkpoints) and changes
one thing at a time, so a miss against the paper can be put on the attack or ruled out for it:

- the step: 0.1 (the paper), eps/10 (the step that just reaches eps in 10 iterations) and 0.05 (cleverhans'
  ``BasicIterativeMethod`` default), for BIM and C&W at eps 0.1 / 0.2 / 0.3;
- for BIM 0.3: the same attack from a second library (ART's PGD without random start), a third implementation
  written here, the same without clipping to [0,1] (cleverhans' default ``clip_min=None``), with the model's
  predicted labels instead of the true ones (cleverhans' default ``y=None``), and 100 small steps;
- the target: Kurakin et al.'s iterative least-likely-class method (the targeted loss the paper's Figure 4
  visualizes) beside the untargeted BIM, at eps 0.1 / 0.2 / 0.3; a hit is any wrong prediction.

It also prints how confident each model is (median top-1 minus top-2 logit, and the share of test images
whose float32 softmax is saturated, where the cross-entropy gradient is exactly zero).

    python bench/bench_bim_readings.py RUN/natural-model RUN/crossentropy RUN/ours RUN/advtrain [--limit 1000]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
import torch.nn.functional as F
from bench_confidence import confidence

import robustx
from robustx.evaluation.anymodel import load_data

EPSILONS = (0.1, 0.2, 0.3)
STEP_READINGS = {"step 0.1 (paper)": lambda eps: 0.1, "step eps/10": lambda eps: round(eps / 10, 3),
                 "step 0.05 (cleverhans default)": lambda eps: 0.05}


def bim(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float, step: float, steps: int,
        clip: bool = True, predicted_labels: bool = False) -> float:
    """Accuracy (%) under a plain BIM written out here, so clipping and labels can be changed."""
    with torch.no_grad():
        target = model(x).argmax(1) if predicted_labels else y
    adv = x.clone()
    for _ in range(steps):
        adv.requires_grad_(True)
        (grad,) = torch.autograd.grad(F.cross_entropy(model(adv), target, reduction="sum"), adv)
        adv = torch.min(torch.max(adv.detach() + step * grad.sign(), x - eps), x + eps)
        if clip:
            adv = adv.clamp(0, 1)
    with torch.no_grad():
        return 100.0 * (model(adv).argmax(1) == y).float().mean().item()


def registered(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, specs: list[dict]) -> list[float]:
    """Accuracy (%) under each spec, through robustx's registry (torchattacks / ART / robustx plugins)."""
    results = robustx.evaluate(model, (x, y), attacks=specs)
    by_label = {entry["label"]: entry["robust_accuracy"] for entry in results["attacks"]}
    return [100.0 * by_label[spec["label"]] for spec in specs]


def step_table(rows: dict[str, torch.nn.Module], x: torch.Tensor, y: torch.Tensor) -> list[str]:
    columns = [f"{attack} {eps}" for attack in ("BIM", "C&W") for eps in EPSILONS]
    lines = ["| model | step reading | " + " | ".join(columns) + " |", "|---|---|" + "---|" * len(columns)]
    for name, model in rows.items():
        for reading, step_of in STEP_READINGS.items():
            specs = [{"name": attack, "eps": eps, "alpha": step_of(eps), "steps": 10, "label": f"{attack} {eps}"}
                     for attack in ("bim", "cw_linf") for eps in EPSILONS]
            cells = registered(model, x, y, specs)
            lines.append(f"| {name} | {reading} | " + " | ".join(f"{c:.1f}" for c in cells) + " |")
    return lines


def bim03_table(rows: dict[str, torch.nn.Module], x: torch.Tensor, y: torch.Tensor) -> list[str]:
    readings = ["torchattacks BIM", "ART PGD, no random start", "BIM written here", "no [0,1] clipping",
                "predicted labels", "100 steps of 0.01"]
    lines = ["| model | " + " | ".join(readings) + " |", "|---|" + "---|" * len(readings)]
    for name, model in rows.items():
        library = registered(model, x, y, [
            {"name": "bim", "eps": 0.3, "alpha": 0.1, "steps": 10, "label": "torchattacks"},
            {"name": "art:pgd", "eps": 0.3, "eps_step": 0.1, "max_iter": 10, "num_random_init": 0, "label": "art"},
            {"name": "bim", "eps": 0.3, "alpha": 0.01, "steps": 100, "label": "long"}])
        own = [bim(model, x, y, eps=0.3, step=0.1, steps=10),
               bim(model, x, y, eps=0.3, step=0.1, steps=10, clip=False),
               bim(model, x, y, eps=0.3, step=0.1, steps=10, predicted_labels=True)]
        cells = library[:2] + own + library[2:]
        lines.append(f"| {name} | " + " | ".join(f"{c:.1f}" for c in cells) + " |")
    return lines


def least_likely_table(rows: dict[str, torch.nn.Module], x: torch.Tensor, y: torch.Tensor) -> list[str]:
    columns = [f"BIM {eps}" for eps in EPSILONS]
    lines = ["| model | target | " + " | ".join(columns) + " |", "|---|---|" + "---|" * len(columns)]
    for name, model in rows.items():
        for target in ("none", "least_likely"):
            specs = [{"name": "bim", "eps": eps, "alpha": 0.1, "steps": 10, "targeted": target, "label": f"BIM {eps}"}
                     for eps in EPSILONS]
            reading = "true label (untargeted)" if target == "none" else "least-likely class"
            lines.append(f"| {name} | {reading} | " + " | ".join(f"{c:.1f}" for c in registered(model, x, y, specs)) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dirs", nargs="+", type=Path, help="row directories of a ds_table1_mnist run")
    parser.add_argument("--limit", type=int, default=1000, help="first N test images (the recipe's 1000)")
    args = parser.parse_args()
    torch.manual_seed(0)
    x, y, _ = load_data("mnist", limit=args.limit)
    rows = {run.name: robustx.load_model(run).eval() for run in args.run_dirs}
    print(f"first {len(y)} MNIST test images; accuracy (%) under each attack\n")
    for name, model in rows.items():
        gap, saturated = confidence(model, x)
        print(f"- {name}: median logit gap {gap:.2f}, softmax saturated {saturated:.1f}%")
    print("\nStep readings (10 iterations; torchattacks BIM, robustx cw_linf):\n")
    print("\n".join(step_table(rows, x, y)))
    print("\nBIM eps 0.3, step 0.1, 10 iterations unless named:\n")
    print("\n".join(bim03_table(rows, x, y)))
    print("\nBIM step 0.1, 10 iterations, untargeted vs least-likely-class target (torchattacks):\n")
    print("\n".join(least_likely_table(rows, x, y)))


if __name__ == "__main__":
    main()
