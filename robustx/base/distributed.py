"""Multi-process runs on torch.distributed (torchrun): process group, data shards, rank-0 writes.

Under ``torchrun`` (RANK / WORLD_SIZE in the environment) ``init_from_env`` joins the process
group (NCCL on CUDA, gloo on CPU) once per process; without it everything here is a
single-process no-op, so the single-process path pays nothing. Rules the runner follows:

- every rank draws the SAME seeded order of an epoch (``Shard.order_generator``: from the run's
  seed and the epoch, so a resumed run draws the same orders) and keeps its slice of each global
  batch; the recipe's ``batch_size`` stays the global batch;
- each rank's own randomness (augmentation, attack random starts) is reseeded from
  (seed, rank, epoch) at every epoch, so it is reproducible and survives ``--resume`` without
  storing every rank's RNG state;
- only rank 0 writes files; evaluation is split across ranks and the per-example outcomes are
  gathered (``robustx.evaluation.sharded``) so every worst case over attacks stays exact.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from robustx.base.errors import RobustxError

if TYPE_CHECKING:
    import torch
    from torch import nn

T = TypeVar("T")
EXIT_TIMEOUT_S = 60  # how long a finished rank waits at exit for the others (a failed peer stops the wait)


def launched() -> bool:
    """True in a process that torchrun started (its environment names a rank and a world size)."""
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def active() -> bool:
    """True once this process has joined a process group."""
    import torch.distributed as dist  # lazy: loads torch

    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    import torch.distributed as dist  # lazy: loads torch

    return dist.get_rank() if active() else 0


def world_size() -> int:
    import torch.distributed as dist  # lazy: loads torch

    return dist.get_world_size() if active() else 1


def is_main() -> bool:
    """Rank 0 (or a single process): the one that writes checkpoints, metrics and results."""
    return rank() == 0


def init_from_env(device: "torch.device") -> None:
    """Join torchrun's process group (once); on CUDA each process takes the GPU of its LOCAL_RANK."""
    if not launched() or active():
        return
    import torch  # lazy: loads torch
    import torch.distributed as dist  # lazy: loads torch

    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(local_device(device))
    dist.init_process_group(backend=backend)
    atexit.register(shutdown)


def shutdown() -> None:
    """Leave the group together: a rank that exits while a peer still talks to it can abort the peer."""
    if not active():
        return
    import torch.distributed as dist  # lazy: loads torch

    try:
        if dist.get_backend() == "gloo":
            dist.monitored_barrier(timeout=timedelta(seconds=EXIT_TIMEOUT_S))
        else:
            dist.barrier()
    finally:
        dist.destroy_process_group()


def local_device(device: "torch.device") -> "torch.device":
    """Under torchrun a plain ``cuda`` means this process's GPU (LOCAL_RANK); CPU is shared."""
    import torch  # lazy: loads torch

    if device.type == "cuda" and device.index is None and launched():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return device


def barrier() -> None:
    if active():
        import torch.distributed as dist  # lazy: loads torch

        dist.barrier()


def on_main(make: Callable[[], T]) -> T:
    """``make()`` on rank 0 only, its (picklable) result sent to every rank (e.g. a new run directory).

    An exception on rank 0 is sent too and raised on every rank, so no rank waits forever.
    """
    if not active():
        return make()
    import torch.distributed as dist  # lazy: loads torch

    box: list[Any] = [None]
    if is_main():
        try:
            box[0] = ("ok", make())
        except Exception as exc:  # noqa: BLE001 - re-raised below, on every rank
            box[0] = ("error", exc)
    dist.broadcast_object_list(box, src=0)
    status, value = box[0]
    if status == "error":
        raise value
    return value


def mean_over_ranks(value: float) -> float:
    """The average of a per-rank scalar (e.g. the training loss of each rank's shard)."""
    if not active():
        return value
    import torch  # lazy: loads torch
    import torch.distributed as dist  # lazy: loads torch

    tensor = torch.tensor([float(value)], dtype=torch.float64, device=collective_device())
    dist.all_reduce(tensor)
    return float(tensor) / world_size()


def collective_device() -> "torch.device":
    """Where tensors for collectives must live: this rank's GPU under NCCL, the CPU under gloo."""
    import torch  # lazy: loads torch
    import torch.distributed as dist  # lazy: loads torch

    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


@dataclass(frozen=True)
class Shard:
    """This rank's part of each global training batch, and the epoch's shared order."""

    rank: int
    world: int
    seed: int
    epoch: int

    def order_generator(self) -> "torch.Generator":
        """The same generator on every rank: the epoch's order depends only on (seed, epoch)."""
        import torch  # lazy: loads torch

        return torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)

    def take(self, index: "torch.Tensor") -> "torch.Tensor":
        """This rank's contiguous slice of one global batch (sizes differ by at most one)."""
        return index.tensor_split(self.world)[self.rank]


def training_shard(seed: int, epoch: int) -> Shard | None:
    """The shard of this rank for ``epoch``, or None in a single process not launched by torchrun."""
    return Shard(rank(), world_size(), seed, epoch) if active() else None


def reseed_rank(seed: int, epoch: int, generator: "torch.Generator") -> None:
    """Per-rank randomness of an epoch (global RNG: attack starts; ``generator``: augmentation)."""
    import torch  # lazy: loads torch

    value = (seed * 1_000_003 + rank() * 10_007 + epoch) % (2**63)
    torch.manual_seed(value)
    generator.manual_seed(value)


def wrap_model(model: "nn.Module", device: "torch.device", *, sync_batchnorm: bool) -> "nn.Module":
    """DDP around ``model`` for the training step (attacks keep the unwrapped module).

    ``sync_batchnorm`` converts BatchNorm layers in place (SyncBatchNorm needs a GPU backend at
    its forward pass: on CPU/gloo torch refuses it, so it is refused here with one line).
    """
    if not active():
        return model

    import torch  # lazy: loads torch
    from torch.nn.parallel import DistributedDataParallel  # lazy: loads torch

    # 1-channel convs have ambiguous strides; torch warns although the gradients are right
    warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")

    if sync_batchnorm:
        if device.type != "cuda":
            raise RobustxError("train.sync_batchnorm: SyncBatchNorm needs CUDA devices (torch does not support it "
                               "on CPU/gloo); set train.sync_batchnorm: false or run with --device cuda")
        torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def shard_rows(n: int) -> slice:
    """The contiguous rows [start, stop) of ``n`` examples that this rank evaluates."""
    world, r = world_size(), rank()
    bounds = [n * i // world for i in range(world + 1)]
    return slice(bounds[r], bounds[r + 1])


def gather_tensor(part: "torch.Tensor") -> "torch.Tensor":
    """Concatenate every rank's ``part`` in rank order (parts may differ in length)."""
    import torch.distributed as dist  # lazy: loads torch

    parts: list[Any] = [None] * world_size()
    dist.all_gather_object(parts, part.cpu())
    import torch  # lazy: loads torch

    return torch.cat(parts)


def torchrun_command(nproc: int, args: list[str]) -> list[str]:
    """``python -m torch.distributed.run --standalone --nproc_per_node N -m robustx ARGS``."""
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
            "-m", "robustx", *args]


def relaunch(nproc: int, args: list[str]) -> int:
    """Run ``robustx ARGS`` in ``nproc`` processes under torchrun; returns torchrun's exit code."""
    if nproc < 1:
        raise RobustxError(f"--nproc {nproc}: expected a number of processes >= 1")
    if launched():
        raise RobustxError("--nproc: already running under torchrun; drop --nproc")
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    return subprocess.call(torchrun_command(nproc, args), env=env)
