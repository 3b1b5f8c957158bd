"""robustx's AutoAttack against Croce & Hein's reference code, on the same model and the same images.

For each attack (default: ``autoattack``, ``autoattack_reference``, ``autoattack_fast``) it prints the robust
accuracy, the wall time, the robust accuracy after each sub-attack, and how many examples stay robust under
one implementation but not under the reference (per example, both ways). All attacks run in this one process
one after the other, so the times are comparable as ratios (these machines are shared and noisy).

    python bench/bench_autoattack.py RUN_DIR [--limit 300] [--eps 0.3] [--norm Linf] [--batch-size 500]
    python bench/bench_autoattack.py RUN_DIR --attacks autoattack autoattack_reference

``--eps``/``--norm`` default to the run's first AutoAttack in its recipe. Data: the run's dataset (its test
split), found through ``ROBUSTX_DATA`` or ``--data-root`` as the run found it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import torch

import robustx
from robustx.evaluation.anymodel import load_data

ATTACKS = ["autoattack", "autoattack_reference", "autoattack_fast"]


def recipe_autoattack(run: Any) -> dict[str, Any]:
    """The run's first AutoAttack spec (its eps and norm), else Linf 8/255."""
    for spec in run.recipe.get("evaluate", {}).get("attacks", []):
        if isinstance(spec, dict) and str(spec.get("name", "")).startswith("autoattack"):
            return spec
    return {"norm": "Linf", "eps": 8 / 255}


def run_attack(name: str, model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, norm: str, eps: float,
               batch_size: int) -> tuple[torch.Tensor, float, list[dict[str, Any]]]:
    """(per-example robust flags, seconds, stages) of one attack over all images, batch by batch."""
    attack = robustx.create_attack(name, model, norm=norm, eps=eps, seed=0)
    robust, start = [], time.perf_counter()
    for i in range(0, len(y), batch_size):
        xb, yb = x[i:i + batch_size], y[i:i + batch_size]
        with torch.no_grad():
            robust.append(model(attack(xb, yb)).argmax(1) == yb)
    seconds = time.perf_counter() - start
    return torch.cat(robust), seconds, attack.row_details().get("stages", [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="a finished run directory")
    parser.add_argument("--limit", type=int, default=300, help="first N test images")
    parser.add_argument("--eps", type=float, default=None)
    parser.add_argument("--norm", choices=["Linf", "L2"], default=None)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--attacks", nargs="+", default=ATTACKS)
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    run = robustx.load_run(args.run_dir)
    spec = recipe_autoattack(run)
    norm, eps = args.norm or spec.get("norm", "Linf"), float(args.eps if args.eps is not None else spec["eps"])
    x, y, _ = load_data(run.recipe["data"]["name"], data_root=args.data_root, limit=args.limit)
    model = run.model().eval()
    for p in model.parameters():
        p.requires_grad_(False)
    print(f"{args.run_dir.name}: first {len(y)} test images, {norm} eps={eps:g}, {args.threads} thread(s)\n")
    results = {name: run_attack(name, model, x, y, norm, eps, args.batch_size) for name in args.attacks}
    reference = results.get("autoattack_reference", (None,))[0]
    print("| attack | robust accuracy % | seconds | after each sub-attack (%) | robust only here / only under the reference |")
    print("|---|---|---|---|---|")
    for name, (robust, seconds, stages) in results.items():
        after = ", ".join(f"{s['attack']} {100 * s['robust_accuracy']:.2f}" for s in stages)
        versus = "" if reference is None or name == "autoattack_reference" else (
            f"{int((robust & ~reference).sum())} / {int((~robust & reference).sum())}")
        print(f"| {name} | {100 * robust.float().mean():.2f} | {seconds:.1f} | {after} | {versus} |", flush=True)


if __name__ == "__main__":
    main()
