"""Training-time cost of each defense per epoch, relative to standard training on the same model and data.

All defenses train the same model (fresh copy of one initialization) on the same MNIST subset, in
interleaved repetitions; the table gives the median epoch time and its ratio to ``standard``.
A hand-written PGD-10 adversarial-training loop (plain PyTorch, no robustx) is timed the same way, so
the ``pgd_at`` row can be checked against what the same work costs without the toolkit.
(The decision-surface paper reports 2.1x for its Jacobian regularizer on CIFAR-10.)
Run it alone on an idle machine, one thread: ``OMP_NUM_THREADS=1 python bench/bench_defense_cost.py``.

    python bench/bench_defense_cost.py [--data-root ../shared/data] [--n 2048] [--reps 3]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time

import torch

import robustx
from robustx.datasets.batches import DeviceImageSet
from robustx.host.manager import registry
from robustx.train.defense import TrainContext
from robustx.train.epoch import train_one_epoch

PGD = {"name": "pgd", "eps": 0.3, "alpha": 0.04, "steps": 10}
DEFENSES = {
    "standard": {},
    "pgd_at (PGD-10)": {"name": "pgd_at", "attack": PGD},
    "fgsm_rs": {"name": "fgsm_rs", "eps": 0.3},
    "mat_rand (Linf/L2 PGD-10)": {"name": "mat_rand", "attacks": [PGD, {"name": "pgd_l2", "eps": 2.0, "alpha": 0.25, "steps": 10}]},
    "mat_max (Linf/L2 PGD-10)": {"name": "mat_max", "attacks": [PGD, {"name": "pgd_l2", "eps": 2.0, "alpha": 0.25, "steps": 10}]},
    "trades (10 steps)": {"name": "trades", "eps": 0.3, "alpha": 0.04, "steps": 10},
    "jacobian_reg": {"name": "jacobian_reg", "c": 500, "norm": "l2_squared", "reduction": "mean"},
    "ce_grad_reg": {"name": "ce_grad_reg", "c": 1.0},
    "adv_train_cw (C&W-10)": {"name": "adv_train_cw", "eps": 0.3, "alpha": 0.1, "steps": 10},
}


def epoch_time(spec: dict, model: torch.nn.Module, data: DeviceImageSet, info) -> float:
    spec = dict(spec or {"name": "standard"})
    defense = registry("defense").create(spec.pop("name"), **spec)
    ctx = TrainContext(model=model, device=torch.device("cpu"), info=info, epochs=1,
                       generator=torch.Generator().manual_seed(0),
                       create_attack=lambda s, m: registry("attack").create(
                           s["name"], m, **{k: v for k, v in s.items() if k != "name"}))
    defense.setup(ctx)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    start = time.perf_counter()
    train_one_epoch(model, defense, data, optimizer, ctx=ctx, batch_size=128, augment="none", progress=False)
    return time.perf_counter() - start


def handwritten_pgd_epoch(model: torch.nn.Module, data: DeviceImageSet) -> float:
    """PGD-10 adversarial training written by hand: the baseline the ``pgd_at`` row should match."""
    eps, alpha, steps = PGD["eps"], PGD["alpha"], PGD["steps"]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    for x, y in data.batches(128, shuffle=True, generator=generator):
        model.eval()
        delta = torch.empty_like(x).uniform_(-eps, eps)
        x_adv = (x + delta).clamp(0, 1)
        for _ in range(steps):
            x_adv.requires_grad_(True)
            grad, = torch.autograd.grad(loss_fn(model(x_adv), y), x_adv)
            x_adv = torch.min(torch.max(x_adv.detach() + alpha * grad.sign(), x - eps), x + eps).clamp(0, 1)
        model.train()
        loss = loss_fn(model(x_adv), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default="../shared/data")
    parser.add_argument("--n", type=int, default=2048)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--model", default="ds_mnist_net")
    args = parser.parse_args()
    bundle = registry("dataset").create("mnist", root=args.data_root)
    data = DeviceImageSet(bundle.train.subset(torch.arange(args.n)), torch.device("cpu"))
    torch.manual_seed(0)
    init = robustx.create_model(args.model, num_classes=10, in_channels=1, image_size=28,
                                mean=bundle.info.mean, std=bundle.info.std)
    handwritten = "hand-written PGD-10 loop"
    times: dict[str, list[float]] = {name: [] for name in [*DEFENSES, handwritten]}
    for _ in range(args.reps):
        for name, spec in DEFENSES.items():
            times[name].append(epoch_time(spec, copy.deepcopy(init), data, bundle.info))
        times[handwritten].append(handwritten_pgd_epoch(copy.deepcopy(init), data))
    base = statistics.median(times["standard"])
    print(f"{'defense':28s} {'epoch (s)':>10s} {'x standard':>11s}")
    for name, values in times.items():
        print(f"{name:28s} {statistics.median(values):10.2f} {statistics.median(values) / base:11.2f}")
    print(json.dumps({n: round(statistics.median(v) / base, 3) for n, v in times.items()}))


if __name__ == "__main__":
    main()
