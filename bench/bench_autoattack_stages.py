"""Which implementation of each AutoAttack sub-attack is faster: torchattacks' (robustx's ``autoattack``) or the
reference code's (``pyautoattack``, what ``autoattack_reference`` runs)?

Each sub-attack of the standard version runs, with the published constants, on the same clean-correct images of a
run's model; the two implementations alternate within each repetition (ratios from one process on a shared machine),
and the minimum over repetitions is kept. It also prints how many examples each one breaks.

    python bench/bench_autoattack_stages.py RUN_DIR [--limit 100] [--reps 2] [--eps 0.1]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

import robustx
from robustx.evaluation.anymodel import load_data

STAGES = ("apgd-ce", "apgd-t", "fab-t", "square")


def ours(model: torch.nn.Module, stage: str, norm: str, eps: float, n_classes: int):  # noqa: ANN201
    from robustx_torchattacks.autoattack_cascade import build_stage
    from robustx_torchattacks.autoattack_config import PUBLISHED, VERSIONS

    spec = next(s for s in VERSIONS["standard"] if s.name == stage)
    attack = build_stage(model, spec, norm=norm, eps=eps, n_classes=n_classes, budget=PUBLISHED)
    return lambda x, y: attack(x, y)


def reference(model: torch.nn.Module, stage: str, norm: str, eps: float, n_classes: int):  # noqa: ANN201
    from pyautoattack import AutoAttack

    aa = AutoAttack(model, norm=norm, eps=eps, version="standard", seed=0)
    if stage == "apgd-ce":
        aa.apgd.loss = "ce"
        return aa.apgd.perturb
    if stage == "apgd-t":
        return aa.apgd_targeted.perturb
    if stage == "fab-t":
        aa.fab.targeted, aa.fab.n_restarts = True, 1
        return aa.fab.perturb
    return aa.square.perturb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--eps", type=float, default=None)
    parser.add_argument("--norm", default="Linf")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    run = robustx.load_run(args.run_dir)
    eps = args.eps if args.eps is not None else next(
        float(s["eps"]) for s in run.recipe["evaluate"]["attacks"] if isinstance(s, dict) and "autoattack" in s["name"])
    x, y, _ = load_data(run.recipe["data"]["name"], limit=args.limit)
    model = run.model().eval()
    for p in model.parameters():
        p.requires_grad_(False)
    with torch.no_grad():
        logits = model(x)
    keep = logits.argmax(1) == y
    x, y, n_classes = x[keep], y[keep], logits.shape[1]
    print(f"{args.run_dir.name}: {len(y)} clean-correct images, {args.norm} eps={eps:g}, min of {args.reps} reps\n")
    print("| sub-attack | torchattacks s | reference s | reference / torchattacks | broken: torchattacks / reference |")
    print("|---|---|---|---|---|")
    for stage in STAGES:
        best = {"torchattacks": float("inf"), "reference": float("inf")}
        broken = {}
        for rep in range(args.reps):
            order = [("torchattacks", ours), ("reference", reference)]
            for label, build in (order if rep % 2 == 0 else order[::-1]):
                attack = build(model, stage, args.norm, eps, n_classes)
                torch.manual_seed(0)
                start = time.perf_counter()
                x_adv = attack(x.clone(), y.clone())
                best[label] = min(best[label], time.perf_counter() - start)
                with torch.no_grad():
                    broken[label] = int((model(x_adv).argmax(1) != y).sum())
        print(f"| {stage} | {best['torchattacks']:.1f} | {best['reference']:.1f} | "
              f"{best['reference'] / best['torchattacks']:.2f} | {broken['torchattacks']} / {broken['reference']} |",
              flush=True)


if __name__ == "__main__":
    main()
