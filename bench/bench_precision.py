"""PGD-10 AT step on CIFAR-shaped data: robustx vs a hand-written loop, and images/s per precision mode.

For each model: (1) robustx's ``train_one_epoch`` (registry ``pgd`` inside ``pgd_at``, with
``StepPrecision``) against a hand-written PGD-AT loop with the SAME precision and memory layout,
as a ratio (goal <= 1.03); repetitions alternate so machine noise hits both alike. (2) images/s
of robustx's step for fp32, bf16, channels_last and bf16 + channels_last + compile. Synthetic
uint8 data (3x32x32, 10 classes): the speed of a step does not depend on the pixels.

    python bench/bench_precision.py --device cuda --models preact_resnet18 wrn_34_10 --n 2048 --batch 128
    python bench/bench_precision.py --device cpu --n 32 --batch 16 --reps 2     # CPU smoke numbers
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
from typing import Any

import torch
import torch.nn.functional as F

import robustx
from robustx.datasets.batches import DeviceImageSet
from robustx.datasets.bundle import ImageSet
from robustx.host.manager import registry
from robustx.train.defense import TrainContext
from robustx.train.epoch import train_one_epoch
from robustx.train.precision import StepPrecision, prepare_model

EPS, ALPHA, STEPS, LR = 8 / 255, 2 / 255, 10, 0.1
MODES = {"fp32": ("fp32", False, False), "bf16": ("bf16", False, False),
         "channels_last": ("fp32", True, False), "bf16+channels_last+compile": ("bf16", True, True)}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def hand_written_epoch(model, data: DeviceImageSet, order: torch.Tensor, opt, batch: int, step: StepPrecision) -> float:
    """PGD-10 (random start, eval-mode attack like torchattacks) then one SGD step, under ``step``'s autocast."""
    sync(data.device)
    start = time.perf_counter()
    for i in range(0, len(order), batch):
        idx = order[i:i + batch].to(data.device)
        x, y = step.layout(data.x[idx].float().div_(255.0)), data.y[idx]
        with step.autocast():
            model.eval()
            adv = (x + torch.empty_like(x).uniform_(-EPS, EPS)).clamp(0, 1).detach()
            for _ in range(STEPS):
                adv.requires_grad_(True)
                (grad,) = torch.autograd.grad(F.cross_entropy(model(adv), y), adv)
                adv = (x + (adv.detach() + ALPHA * grad.sign() - x).clamp(-EPS, EPS)).clamp(0, 1).detach()
            model.train()
            loss = F.cross_entropy(model(adv), y)
        opt.zero_grad(set_to_none=True)
        step.backward_step(loss, opt, model, None)
    sync(data.device)
    return time.perf_counter() - start


def robustx_epoch(model, data: DeviceImageSet, opt, batch: int, step: StepPrecision, seed: int) -> float:
    defense = registry("defense").create("pgd_at", attack={"name": "pgd", "eps": EPS, "alpha": ALPHA, "steps": STEPS})
    ctx = TrainContext(model=model, device=data.device, info=None, epochs=1,  # type: ignore[arg-type]
                       generator=torch.Generator().manual_seed(seed),
                       create_attack=lambda spec, m: registry("attack").create(
                           spec["name"], m, **{k: v for k, v in spec.items() if k != "name"}))
    defense.setup(ctx)
    sync(data.device)
    start = time.perf_counter()
    train_one_epoch(model, defense, data, opt, ctx=ctx, batch_size=batch, augment="none", progress=False,
                    precision=step)
    sync(data.device)
    return time.perf_counter() - start


def make(name: str, device: torch.device) -> torch.nn.Module:
    torch.manual_seed(0)
    return robustx.create_model(name, num_classes=10, in_channels=3, image_size=32, mean=(0.5,) * 3,
                                std=(0.25,) * 3).to(device)


def compare(name: str, data: DeviceImageSet, args: argparse.Namespace, precision: str) -> dict[str, Any]:
    """robustx vs hand-written at one precision (channels_last as --channels-last says)."""
    init = make(name, data.device)
    ours, hand = [], []

    def fresh() -> tuple[torch.nn.Module, torch.optim.Optimizer, StepPrecision]:
        model = prepare_model(copy.deepcopy(init), channels_last=args.channels_last)
        return (model, torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9),
                StepPrecision(precision, data.device, args.channels_last))

    for rep in range(args.reps):
        order = torch.randperm(len(data), generator=torch.Generator().manual_seed(rep))
        for side in ("robustx", "hand") if rep % 2 == 0 else ("hand", "robustx"):  # neither always goes first
            model, opt, step = fresh()
            if side == "robustx":
                ours.append(robustx_epoch(model, data, opt, args.batch, step, rep))
            else:
                hand.append(hand_written_epoch(model, data, order, opt, args.batch, step))
        print(f"{name} {precision} rep {rep}: robustx {ours[-1]:.2f}s  hand {hand[-1]:.2f}s  "
              f"ratio {ours[-1] / hand[-1]:.3f}", flush=True)
    return {"model": name, "precision": precision, "channels_last": args.channels_last,
            "ratio_of_medians": round(statistics.median(ours) / statistics.median(hand), 4),
            "ratios": [round(a / b, 4) for a, b in zip(ours, hand)]}


def throughput(name: str, data: DeviceImageSet, args: argparse.Namespace) -> dict[str, float]:
    """Images/s of robustx's PGD-10 AT epoch per mode (the first epoch warms up / compiles, the next is timed)."""
    out = {}
    for mode in args.modes:
        precision, channels_last, compile_ = MODES[mode]
        model = make(name, data.device)
        step_model = prepare_model(model, channels_last=channels_last, compile=compile_)
        opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9)
        step = StepPrecision(precision, data.device, channels_last)
        robustx_epoch(step_model, data.rows(slice(0, args.batch)), opt, args.batch, step, 0)  # warm-up
        seconds = robustx_epoch(step_model, data, opt, args.batch, step, 1)
        out[mode] = round(len(data) / seconds, 2)
        print(f"{name} {mode}: {out[mode]:.1f} images/s", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--models", nargs="+", default=["preact_resnet18", "wrn_34_10"])
    parser.add_argument("--n", type=int, default=2048, help="images per timed epoch")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--precisions", nargs="+", default=["fp32", "bf16"], help="for the robustx/hand ratio")
    parser.add_argument("--channels-last", action="store_true", help="the ratio with channels_last on both sides")
    parser.add_argument("--modes", nargs="*", default=list(MODES), choices=list(MODES))
    args = parser.parse_args()
    from robustx.base.device import resolve_device

    device = resolve_device(args.device)
    gen = torch.Generator().manual_seed(0)
    data = DeviceImageSet(ImageSet(torch.randint(0, 256, (args.n, 3, 32, 32), dtype=torch.uint8, generator=gen),
                                   torch.randint(0, 10, (args.n,), generator=gen)), device)
    report: dict[str, Any] = {"device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
                              "threads": torch.get_num_threads(), "n": args.n, "batch": args.batch,
                              "pgd_steps": STEPS, "ratios": [], "images_per_s": {}}
    for name in args.models:
        for precision in args.precisions:
            report["ratios"].append(compare(name, data, args, precision))
        if args.modes:
            report["images_per_s"][name] = throughput(name, data, args)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
