"""DDP scaling of robustx's PGD-AT epoch from 1 to N processes at a fixed global batch.

Each process count runs this file under torchrun (``python -m torch.distributed.run``); the
workers train robustx's ``train_one_epoch`` on their shards (``robustx.base.distributed.Shard``)
through DDP, exactly as ``robustx recipe run --nproc N`` does. Efficiency = throughput(N) /
(N x throughput(1)). gloo on CPU (processes share the machine's cores: each gets
``--threads``), NCCL with one GPU per process on CUDA.

    python bench/bench_ddp.py --device cpu --nproc 1 2 --images 512 --batch 64
    python bench/bench_ddp.py --device cuda --nproc 1 2 4 8 --model preact_resnet18 --images 8192 --batch 512
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EPS, ALPHA, STEPS = 8 / 255, 2 / 255, 10


def worker(args: argparse.Namespace) -> None:
    """One rank: two epochs (the first warms up), the second timed; rank 0 writes the seconds."""
    import torch

    import robustx
    from robustx.base import distributed
    from robustx.base.device import resolve_device
    from robustx.datasets.batches import DeviceImageSet
    from robustx.datasets.bundle import ImageSet
    from robustx.host.manager import registry
    from robustx.train.defense import TrainContext
    from robustx.train.epoch import train_one_epoch

    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    distributed.init_from_env(device)
    gen = torch.Generator().manual_seed(0)
    data = DeviceImageSet(ImageSet(torch.randint(0, 256, (args.images, 3, 32, 32), dtype=torch.uint8, generator=gen),
                                   torch.randint(0, 10, (args.images,), generator=gen)), device)
    torch.manual_seed(0)
    model = robustx.create_model(args.model, num_classes=10, in_channels=3, image_size=32, mean=(0.5,) * 3,
                                 std=(0.25,) * 3).to(device)
    wrapped = distributed.wrap_model(model, device, sync_batchnorm=False)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    defense = registry("defense").create("pgd_at", attack={"name": "pgd", "eps": EPS, "alpha": ALPHA, "steps": STEPS})
    ctx = TrainContext(model=model, device=device, info=None, epochs=2,  # type: ignore[arg-type]
                       generator=torch.Generator().manual_seed(distributed.rank()),
                       create_attack=lambda spec, m: registry("attack").create(
                           spec["name"], m, **{k: v for k, v in spec.items() if k != "name"}))
    defense.setup(ctx)
    seconds = 0.0
    for epoch in (1, 2):
        distributed.barrier()
        start = time.perf_counter()
        train_one_epoch(wrapped, defense, data, opt, ctx=ctx, batch_size=args.batch, augment="none", progress=False,
                        shard=distributed.training_shard(0, epoch))
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        distributed.barrier()
        seconds = time.perf_counter() - start
    if distributed.is_main():
        Path(args.out).write_text(json.dumps({"seconds": seconds, "world": distributed.world_size()}))


def measure(nproc: int, args: argparse.Namespace) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
               __file__, "--worker", "--out", str(out), "--device", args.device, "--model", args.model,
               "--images", str(args.images), "--batch", str(args.batch), "--threads", str(args.threads)]
        subprocess.run(cmd, check=True, env={**os.environ, "OMP_NUM_THREADS": str(args.threads)})
        return json.loads(out.read_text())["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--model", default="small_cnn")
    parser.add_argument("--nproc", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--images", type=int, default=512, help="images per epoch (global)")
    parser.add_argument("--batch", type=int, default=64, help="global batch")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    base = None
    rows = []
    for nproc in args.nproc:
        seconds = measure(nproc, args)
        rate = args.images / seconds
        base = base if base is not None else rate / nproc  # per-process rate of the first (smallest) count
        rows.append({"nproc": nproc, "seconds": round(seconds, 3), "images_per_s": round(rate, 2),
                     "efficiency": round(rate / (nproc * base), 3)})
        print(rows[-1], flush=True)
    print(json.dumps({"device": args.device, "model": args.model, "n": args.images, "global_batch": args.batch,
                      "threads_per_process": args.threads, "pgd_steps": STEPS, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
