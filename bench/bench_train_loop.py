"""PGD adversarial-training epoch: robustx's engine vs a hand-written PyTorch loop, as a ratio in one run.

Both do the same work on the same model, data and batch order: PGD-k (random start, signed
steps, projection; model in eval mode during the attack, as torchattacks does) on every batch,
then one SGD step on the adversarial batch. robustx goes through everything a recipe uses:
the registry's ``pgd`` (torchattacks) inside the ``pgd_at`` defense, inside ``train_one_epoch``.
Repetitions alternate (robustx, hand, robustx, hand, ...) so machine noise hits both alike.

    python bench/bench_train_loop.py [--data-root ../shared/data] [--n 4096] [--reps 5]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time

import torch
import torch.nn.functional as F

import robustx
from robustx.datasets.batches import DeviceImageSet
from robustx.host.manager import registry
from robustx.train.defense import TrainContext
from robustx.train.epoch import train_one_epoch

EPS, ALPHA, STEPS, BATCH, LR = 0.3, 0.04, 10, 128, 0.01


def hand_written_epoch(model, x_all, y_all, order, opt) -> float:
    """What a researcher writes by hand: PGD then an SGD step, batch by batch."""
    start = time.perf_counter()
    for i in range(0, len(order), BATCH):
        idx = order[i:i + BATCH]
        x, y = x_all[idx].float().div_(255.0), y_all[idx]
        model.eval()
        adv = (x + torch.empty_like(x).uniform_(-EPS, EPS)).clamp(0, 1).detach()
        for _ in range(STEPS):
            adv.requires_grad_(True)
            loss = F.cross_entropy(model(adv), y)
            (grad,) = torch.autograd.grad(loss, adv)
            adv = adv.detach() + ALPHA * grad.sign()
            adv = (x + (adv - x).clamp(-EPS, EPS)).clamp(0, 1).detach()
        model.train()
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(adv), y).backward()
        opt.step()
    return time.perf_counter() - start


def robustx_epoch(model, data: DeviceImageSet, opt, seed: int) -> float:
    defense = registry("defense").create("pgd_at", attack={"name": "pgd", "eps": EPS, "alpha": ALPHA, "steps": STEPS})
    gen = torch.Generator().manual_seed(seed)
    ctx = TrainContext(model=model, device=torch.device("cpu"), info=None, epochs=1, generator=gen,  # type: ignore[arg-type]
                       create_attack=lambda spec, m: registry("attack").create(
                           spec["name"], m, **{k: v for k, v in spec.items() if k != "name"}))
    defense.setup(ctx)
    start = time.perf_counter()
    train_one_epoch(model, defense, data, opt, ctx=ctx, batch_size=BATCH, augment="none", progress=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default="../shared/data")
    parser.add_argument("--n", type=int, default=4096, help="training images per epoch")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--model", default="ds_mnist_net")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    bundle = registry("dataset").create("mnist", root=args.data_root)
    train = bundle.train.subset(torch.arange(args.n))
    info = bundle.info
    torch.manual_seed(0)
    init = robustx.create_model(args.model, num_classes=10, in_channels=1, image_size=28, mean=info.mean, std=info.std)
    data = DeviceImageSet(train, torch.device("cpu"))

    ours, hand = [], []
    for rep in range(args.reps):
        order = torch.randperm(args.n, generator=torch.Generator().manual_seed(rep))
        m1 = copy.deepcopy(init)
        ours.append(robustx_epoch(m1, data, torch.optim.SGD(m1.parameters(), lr=LR, momentum=0.9), seed=rep))
        m2 = copy.deepcopy(init)
        hand.append(hand_written_epoch(m2, train.x, train.y, order, torch.optim.SGD(m2.parameters(), lr=LR, momentum=0.9)))
        print(f"rep {rep}: robustx {ours[-1]:.2f}s  hand-written {hand[-1]:.2f}s  ratio {ours[-1] / hand[-1]:.3f}")
    ratios = [a / b for a, b in zip(ours, hand)]
    summary = {"model": args.model, "images": args.n, "batch": BATCH, "pgd_steps": STEPS, "threads": torch.get_num_threads(),
               "robustx_median_s": statistics.median(ours), "hand_median_s": statistics.median(hand),
               "ratio_median": statistics.median(ratios), "ratio_of_medians": statistics.median(ours) / statistics.median(hand),
               "ratios": [round(r, 4) for r in ratios]}
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
