"""Training cost per epoch of each issue-29 ingredient against plain PGD-AT, measured in one run.

Every row trains a fresh copy of one initialization on the same Fashion-MNIST subset, in interleaved
repetitions; the table gives the median epoch time in CPU seconds of this process
(``time.process_time``: with one thread it is the work done, whatever else runs on the machine) and in
wall seconds, the CPU ratio to plain PGD-AT, and CPU milliseconds per optimizer step. An epoch is one pass over the original
images; with ``data.extra`` at fraction f a batch holds only (1 - f) of them, so that epoch has
1 / (1 - f) times the steps (Gowal et al. / Rebuffi et al. count epochs the same way).

    OMP_NUM_THREADS=1 python bench/bench_leaderboard_cost.py [--n 2048] [--reps 3] [--model fast_mnist_net]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
from typing import Any

import torch

import robustx
from robustx.datasets.batches import DeviceImageSet
from robustx.datasets.mixed import MixedImageSet
from robustx.host.manager import registry
from robustx.train.defense import TrainContext
from robustx.train.ema import WeightAverage
from robustx.train.epoch import train_one_epoch

PGD = {"name": "pgd", "eps": 0.1, "alpha": 0.025, "steps": 10}
TRADES = {"name": "trades", "eps": 0.1, "alpha": 0.025, "steps": 10, "beta": 6.0}
AWP = {"gamma": 0.005}
#: row -> (defense spec, EMA decay or None, extra-data fraction or None)
ROWS: dict[str, tuple[dict[str, Any], float | None, float | None]] = {
    "pgd_at (PGD-10)": ({"name": "pgd_at", "attack": PGD}, None, None),
    "+ label_smoothing 0.1": ({"name": "pgd_at", "attack": PGD, "label_smoothing": 0.1}, None, None),
    "+ ema 0.999": ({"name": "pgd_at", "attack": PGD}, 0.999, None),
    "+ awp 0.005": ({"name": "pgd_at", "attack": PGD, "awp": AWP}, None, None),
    "+ extra data 0.5": ({"name": "pgd_at", "attack": PGD}, None, 0.5),
    "mart (PGD-10)": ({"name": "mart", "attack": PGD}, None, None),
    "trades (10 steps)": (TRADES, None, None),
    "trades + awp 0.005": ({**TRADES, "awp": AWP}, None, None),
}


def epoch_time(spec: dict[str, Any], ema: float | None, extra: float | None, model: torch.nn.Module,
               data: DeviceImageSet, extra_data: DeviceImageSet, info: Any) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, optimizer steps) of one epoch of ``spec`` with the optional EMA and extra data."""
    spec = dict(spec)
    defense = registry("defense").create(spec.pop("name"), **spec)
    ctx = TrainContext(model=model, device=torch.device("cpu"), info=info, epochs=1, epoch=1,
                       generator=torch.Generator().manual_seed(0),
                       create_attack=lambda s, m: registry("attack").create(
                           s["name"], m, **{k: v for k, v in s.items() if k != "name"}))
    defense.setup(ctx)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    if ema is not None:
        WeightAverage(model, decay=ema).attach(optimizer)
    batches = MixedImageSet(data, extra_data, extra) if extra is not None else data
    cpu, wall = time.process_time(), time.perf_counter()
    train_one_epoch(model, defense, batches, optimizer, ctx=ctx, batch_size=128, augment="none",  # type: ignore[arg-type]
                    progress=False)
    return time.process_time() - cpu, time.perf_counter() - wall, ctx.step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2048, help="training images (the extra source: the next n)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--model", default="fast_mnist_net")
    args = parser.parse_args()
    bundle = registry("dataset").create("fashion_mnist", root=str(robustx.config.data_source.resolve_data_root(None)),
                                        download=False)
    data = DeviceImageSet(bundle.train.subset(torch.arange(args.n)), torch.device("cpu"))
    extra_data = DeviceImageSet(bundle.train.subset(torch.arange(args.n, 2 * args.n)), torch.device("cpu"))
    torch.manual_seed(0)
    init = robustx.create_model(args.model, num_classes=10, in_channels=1, image_size=28,
                                mean=bundle.info.mean, std=bundle.info.std)
    times: dict[str, list[float]] = {name: [] for name in ROWS}
    walls: dict[str, list[float]] = {name: [] for name in ROWS}
    steps: dict[str, int] = {}
    for _ in range(args.reps):
        for name, (spec, ema, extra) in ROWS.items():
            cpu, wall, steps[name] = epoch_time(spec, ema, extra, copy.deepcopy(init), data, extra_data, bundle.info)
            times[name].append(cpu)
            walls[name].append(wall)
    base = statistics.median(times["pgd_at (PGD-10)"])
    print(f"{args.n} Fashion-MNIST images, {args.model}, batch 128, median of {args.reps} interleaved repetitions")
    print(f"{'row':24s} {'CPU s/epoch':>11s} {'x pgd_at':>9s} {'wall s':>7s} {'steps':>6s} {'CPU ms/step':>11s}")
    for name, values in times.items():
        epoch = statistics.median(values)
        print(f"{name:24s} {epoch:11.2f} {epoch / base:9.2f} {statistics.median(walls[name]):7.1f} {steps[name]:6d} "
              f"{1000 * epoch / steps[name]:11.1f}")
    print(json.dumps({n: round(statistics.median(v) / base, 3) for n, v in times.items()}))


if __name__ == "__main__":
    main()
