"""How far a run's logged ``natural_fraction`` strays from the configured one, seed by seed.

``natural_fraction: f`` makes each batch natural with probability f (a draw from the run's seeded
generator), so one run's share of natural batches is binomial, not exactly f. This replays the
real engine (``train_one_epoch``: shuffle, then one defense loss per batch) with the real
``mat_rand`` defense for many seeds, on stand-in data of the shape that matters (the number of
training images and the batch size) and with attacks that return their input, so only the random
draws are exercised. ``fmnist_report_t6_mix`` (10,000 images, batch 128, 4 epochs before early
stopping, f = 0.05, seed 0) logged 7, 9, 4 and 10 natural batches of 79 per epoch; seed 0 here
must give the same counts, and the other seeds show how rare that is.

    python bench/bench_natural_fraction.py [--seeds 300] [--n 10000] [--batch-size 128] [--epochs 4]
"""

from __future__ import annotations

import argparse
import json
import statistics

import torch

from robustx.datasets.batches import DeviceImageSet
from robustx.datasets.bundle import DatasetInfo, ImageSet
from robustx.host.manager import registry
from robustx.train.defense import TrainContext
from robustx.train.epoch import train_one_epoch

ATTACKS = [{"name": "pgd", "eps": 0.1}, {"name": "pgd_l2", "eps": 1.5}]


def natural_batches(seed: int, data: DeviceImageSet, batch_size: int, epochs: int, fraction: float) -> list[int]:
    """Natural batches per epoch of a mat_rand run seeded with ``seed`` (the recipe's ``seed``)."""
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(1, 10))
    defense = registry("defense").create("mat_rand", attacks=ATTACKS, natural_fraction=fraction)
    info = DatasetInfo(name="stand-in", num_classes=10, in_channels=1, image_size=1, mean=(0.5,), std=(0.5,))
    ctx = TrainContext(model=model, device=torch.device("cpu"), info=info, epochs=epochs,
                       generator=torch.Generator().manual_seed(seed),
                       create_attack=lambda spec, m: (lambda x, y: x))  # the input back: no attack cost
    defense.setup(ctx)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    counts = []
    for epoch in range(1, epochs + 1):
        ctx.epoch = epoch
        metrics = train_one_epoch(model, defense, data, optimizer, ctx=ctx, batch_size=batch_size,
                                  augment="none", progress=False)
        counts.append(round(metrics["natural_fraction"] * data.num_batches(batch_size)))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=300)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--fraction", type=float, default=0.05)
    args = parser.parse_args()
    data = DeviceImageSet(ImageSet(torch.zeros(args.n, 1, 1, 1), torch.zeros(args.n, dtype=torch.long)),
                          torch.device("cpu"))
    batches = args.epochs * data.num_batches(args.batch_size)
    per_seed = {seed: natural_batches(seed, data, args.batch_size, args.epochs, args.fraction)
                for seed in range(args.seeds)}
    totals = sorted(sum(c) for c in per_seed.values())
    seed0 = sum(per_seed[0])
    print(f"seed 0: natural batches per epoch {per_seed[0]}, {seed0}/{batches} = {seed0 / batches:.2%}")
    print(f"{args.seeds} seeds: mean {statistics.mean(totals) / batches:.2%}, "
          f"5th-95th percentile {totals[len(totals) // 20] / batches:.2%}-{totals[-len(totals) // 20] / batches:.2%}, "
          f"seeds with at least seed 0's count: {sum(t >= seed0 for t in totals)}")
    print(json.dumps({"seed0": per_seed[0], "batches": batches, "totals": totals}))


if __name__ == "__main__":
    main()
