"""GPU check, one JSON: PGD-10 adversarial training throughput, AutoAttack throughput, memory, 1-GPU DDP.

On a CUDA machine (at most ~8 minutes; ``--budget-s`` stops early and says which parts were skipped):

- PGD-10 adversarial training of PreAct ResNet-18 on 32x32 images (random CIFAR-shaped data: nothing
  to download), images/s for fp32, bf16 and bf16 + channels_last + torch.compile, each through
  robustx's engine (``pgd_at`` defense with the registry's ``pgd`` inside ``train_one_epoch``) and
  through a hand-written PyTorch loop doing the same work, and peak GPU memory of each;
- AutoAttack (``autoattack``, the published configuration) evaluation throughput through
  ``robustx.evaluation.evaluator`` on the trained model, images/s;
- a 1-GPU DDP sanity check: two training steps through ``DistributedDataParallel`` (world size 1,
  NCCL) give the same weights as without DDP (the largest difference is reported).

    python bench/gpu_check.py --out gpu_check.json           # on the GPU machine
    python bench/gpu_check.py --smoke --out /tmp/smoke.json  # tiny, on CPU, seconds (the test suite runs this)

``--smoke`` runs the same code on a tiny model at 8x8 on CPU (gloo for DDP, no compile: inductor's
C++ build alone takes longer than the whole smoke run); its numbers measure nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

import torch
import torch.nn.functional as F

EPS, ALPHA = 8 / 255, 2 / 255


@dataclass(frozen=True)
class Settings:
    arch: str
    image: int
    channels: int
    batch: int
    steps: int  # PGD steps
    warmup: int  # batches before timing (compile happens here)
    timed: int  # batches timed
    aa_images: int
    aa_attack: dict[str, Any]
    compile: bool


FULL = Settings("preact_resnet18", 32, 3, 128, 10, 3, 15, 512, {"name": "autoattack", "eps": 8 / 255}, True)
SMOKE = Settings("small_cnn", 8, 1, 16, 2, 1, 2, 16,
                 {"name": "autoattack_fast", "eps": 8 / 255, "steps": 2, "n_queries": 10}, False)
CONFIGS = {"fp32": ("fp32", False, False), "bf16": ("bf16", False, False),
           "bf16+channels_last+compile": ("bf16", True, True)}


def build_model(s: Settings, device: torch.device) -> torch.nn.Module:
    import robustx

    torch.manual_seed(0)
    return robustx.create_model(s.arch, num_classes=10, in_channels=s.channels, image_size=s.image,
                                mean=[0.5] * s.channels, std=[0.25] * s.channels).to(device)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def peak_memory(device: torch.device) -> float | None:
    return round(torch.cuda.max_memory_allocated(device) / 2**20, 1) if device.type == "cuda" else None


def reset_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def robustx_step(s: Settings, device: torch.device, precision: str, channels_last: bool, compile_: bool,
                 data: tuple[torch.Tensor, torch.Tensor]) -> Callable[[int, int], None]:
    """Train on batches [first, last) through robustx's engine (as a recipe does)."""
    from robustx.datasets.batches import DeviceImageSet
    from robustx.datasets.bundle import ImageSet
    from robustx.host.manager import registry
    from robustx.train.defense import TrainContext
    from robustx.train.epoch import train_one_epoch
    from robustx.train.precision import StepPrecision, prepare_model

    model = build_model(s, device)
    prepare_model(model, channels_last=channels_last)
    attack_model = prepare_model(model, compile=compile_)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    defense = registry("defense").create("pgd_at", attack={"name": "pgd", "eps": EPS, "alpha": ALPHA,
                                                           "steps": s.steps})
    ctx = TrainContext(model=attack_model, device=device, info=None, epochs=1,  # type: ignore[arg-type]
                       generator=torch.Generator().manual_seed(0),
                       create_attack=lambda spec, m: registry("attack").create(
                           spec["name"], m, **{k: v for k, v in spec.items() if k != "name"}))
    defense.setup(ctx)
    step = StepPrecision(precision, device, channels_last)
    x, y = data

    def run(first: int, last: int) -> None:
        part = DeviceImageSet(ImageSet(x[first * s.batch:last * s.batch], y[first * s.batch:last * s.batch]), device)
        train_one_epoch(attack_model, defense, part, optimizer, ctx=ctx, batch_size=s.batch, augment="none",
                        progress=False, precision=step)

    return run


def hand_step(s: Settings, device: torch.device, precision: str, channels_last: bool, compile_: bool,
              data: tuple[torch.Tensor, torch.Tensor]) -> Callable[[int, int], None]:
    """The same work written by hand: PGD-k with random start (model in eval mode), then one SGD step."""
    model = build_model(s, device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    net = torch.compile(model) if compile_ else model
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    dtype = torch.bfloat16 if precision == "bf16" else None
    x_all, y_all = data

    def autocast() -> Any:
        return torch.autocast(device.type, dtype=dtype) if dtype else torch.autocast(device.type, enabled=False)

    def run(first: int, last: int) -> None:
        for b in range(first, last):
            x = x_all[b * s.batch:(b + 1) * s.batch].float().div_(255.0)
            y = y_all[b * s.batch:(b + 1) * s.batch]
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            model.eval()
            adv = (x + torch.empty_like(x).uniform_(-EPS, EPS)).clamp(0, 1).detach()
            for _ in range(s.steps):
                adv.requires_grad_(True)
                with autocast():
                    loss = F.cross_entropy(net(adv), y)
                (grad,) = torch.autograd.grad(loss, adv)
                adv = (x + (adv.detach() + ALPHA * grad.sign() - x).clamp(-EPS, EPS)).clamp(0, 1).detach()
            model.train()
            optimizer.zero_grad(set_to_none=True)
            with autocast():
                loss = F.cross_entropy(net(adv), y)
            loss.backward()
            optimizer.step()

    return run


def throughput(make: Callable[..., Callable[[int, int], None]], s: Settings, device: torch.device,
               config: tuple[str, bool, bool], data: tuple[torch.Tensor, torch.Tensor]) -> dict[str, Any]:
    precision, channels_last, compile_ = config
    if compile_ and not s.compile:
        return {"skipped": "compile is off in --smoke"}
    reset_memory(device)
    run = make(s, device, precision, channels_last, compile_, data)
    start = time.perf_counter()
    run(0, s.warmup)
    sync(device)
    warm = time.perf_counter() - start
    start = time.perf_counter()
    run(s.warmup, s.warmup + s.timed)
    sync(device)
    seconds = time.perf_counter() - start
    return {"images_per_s": round(s.timed * s.batch / seconds, 1), "seconds": round(seconds, 3),
            "warmup_seconds": round(warm, 2), "peak_memory_mib": peak_memory(device)}


def autoattack_throughput(s: Settings, device: torch.device, data: tuple[torch.Tensor, torch.Tensor]) -> dict:
    """robustx's evaluation of ``s.aa_attack`` on ``s.aa_images`` images of an (untrained) model."""
    from robustx.config.components import attack_builder
    from robustx.datasets.batches import DeviceImageSet
    from robustx.datasets.bundle import ImageSet
    from robustx.evaluation.evaluator import EvalConfig, evaluate_outcomes, results_from
    from robustx.host.manager import get_host

    model = build_model(s, device).eval()
    x, y = data
    images = DeviceImageSet(ImageSet(x[:s.aa_images], y[:s.aa_images]), device)
    reset_memory(device)
    start = time.perf_counter()
    out = evaluate_outcomes(model, images, [{"name": "clean"}, s.aa_attack], attack_builder(get_host()),
                            EvalConfig(batch_size=min(256, s.aa_images), progress=False))
    sync(device)
    seconds = time.perf_counter() - start
    res = results_from(out)
    return {"attack": s.aa_attack, "images": s.aa_images, "images_per_s": round(s.aa_images / seconds, 2),
            "seconds": round(seconds, 2), "clean_accuracy": res["clean_accuracy"],
            "robust_accuracy": res["attacks"][1]["robust_accuracy"], "peak_memory_mib": peak_memory(device),
            "note": "an untrained model: most examples fall to the first sub-attack, so this is an upper bound "
                    "on the throughput for a robust model"}


def ddp_sanity(s: Settings, device: torch.device, data: tuple[torch.Tensor, torch.Tensor]) -> dict[str, Any]:
    """Two SGD steps through DDP (world size 1) vs without: the weights must agree."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    x, y = data
    xb, yb = x[:s.batch].float().div(255.0), y[:s.batch]

    def two_steps(wrap: bool) -> dict[str, torch.Tensor]:
        model = build_model(s, device)
        net = DistributedDataParallel(model, device_ids=[device.index or 0] if device.type == "cuda" else None) \
            if wrap else model
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(2):
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(net(xb), yb).backward()
            optimizer.step()
        return {k: v.detach().float().cpu() for k, v in model.state_dict().items()}

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    backend = "nccl" if device.type == "cuda" else "gloo"
    start = time.perf_counter()
    dist.init_process_group(backend, rank=0, world_size=1)
    try:
        with_ddp = two_steps(True)
    finally:
        dist.destroy_process_group()
    plain = two_steps(False)
    diff = max(float((with_ddp[k] - plain[k]).abs().max()) for k in plain)
    return {"backend": backend, "world_size": 1, "max_abs_weight_difference": diff, "ok": diff < 1e-4,
            "seconds": round(time.perf_counter() - start, 2)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny, on CPU (the test suite's run)")
    parser.add_argument("--out", default="gpu_check.json")
    parser.add_argument("--device", default=None, help="default: cuda (cpu with --smoke)")
    parser.add_argument("--budget-s", type=float, default=480.0, help="skip what would start after this many seconds")
    args = parser.parse_args(argv)
    s = SMOKE if args.smoke else FULL
    device = torch.device(args.device or ("cpu" if args.smoke else "cuda"))
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error("no CUDA device here: run on a GPU machine, or pass --smoke for the CPU self-test")
    began = time.perf_counter()
    g = torch.Generator().manual_seed(0)
    n = (s.warmup + s.timed) * s.batch
    data = (torch.randint(0, 256, (n, s.channels, s.image, s.image), dtype=torch.uint8, generator=g).to(device),
            torch.randint(0, 10, (n,), generator=g).to(device))
    report: dict[str, Any] = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu",
        "torch": torch.__version__, "smoke": args.smoke, "settings": asdict(s), "pgd_training": {}}

    def budget_left() -> bool:
        return time.perf_counter() - began < args.budget_s

    for name, config in CONFIGS.items():
        for impl, make in (("robustx", robustx_step), ("hand_written", hand_step)):
            key = f"{name}/{impl}"
            report["pgd_training"][key] = throughput(make, s, device, config, data) if budget_left() else \
                {"skipped": "time budget spent"}
            print(key, report["pgd_training"][key], flush=True)
    for name in CONFIGS:
        a, b = report["pgd_training"][f"{name}/robustx"], report["pgd_training"][f"{name}/hand_written"]
        if "images_per_s" in a and "images_per_s" in b:
            report["pgd_training"][f"{name}/robustx_over_hand"] = round(a["images_per_s"] / b["images_per_s"], 3)
    report["autoattack"] = autoattack_throughput(s, device, data) if budget_left() else {"skipped": "time budget"}
    print("autoattack", report["autoattack"], flush=True)
    report["ddp_1_gpu"] = ddp_sanity(s, device, data) if budget_left() else {"skipped": "time budget"}
    print("ddp", report["ddp_1_gpu"], flush=True)
    report["seconds_total"] = round(time.perf_counter() - began, 1)
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2)
    print(f"written: {args.out} ({report['seconds_total']} s)")
    return report


if __name__ == "__main__":
    main()
