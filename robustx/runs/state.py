"""The resumable state of a run, and the per-epoch files that must agree with it.

``checkpoints/last.safetensors`` is written after every epoch, before ``model.safetensors``
(the best epoch's weights): a kill between the two leaves the model file behind the
checkpoint, which ``reconcile_model_files`` repairs from the checkpoint's weights. Written the
other way round, the best file could run ahead of the checkpoint and the true best be lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from robustx.base import distributed
from robustx.base.checkpoint import load_training_state, read_metadata, save_training_state, write_text_atomic
from robustx.base.errors import CheckpointError
from robustx.base.seeding import rng_state, set_rng_state
from robustx.runs.setup import Training
from robustx.train.best import BestEpoch
from robustx.train.position import EpochPosition

if TYPE_CHECKING:
    from torch import nn

    from robustx.train.position import EpochPosition

METRICS = "metrics.jsonl"


@dataclass
class Progress:
    """How far a run got: completed epochs' metrics, the best epoch, and the divergence reference loss."""

    history: list[dict[str, Any]] = field(default_factory=list)
    best: BestEpoch = field(default_factory=BestEpoch)
    loss_reference: float | None = None
    position: "EpochPosition | None" = None  # where a preempted epoch stopped (None: between epochs)

    @property
    def epoch(self) -> int:
        return self.history[-1]["epoch"] if self.history else 0


def save_state(path: Path, model: "nn.Module", training: Training, progress: Progress,
               ranks_rng: list[dict[str, Any]] | None = None) -> None:
    """The checkpoint after ``progress.epoch`` (plus ``progress.position`` when an epoch was cut).

    ``ranks_rng``: every rank's RNG states under torchrun (a mid-epoch stop: each rank continues
    from its own; between epochs they are reseeded from (seed, rank, epoch) and not needed).
    """
    path.parent.mkdir(exist_ok=True)
    rng = {"global": rng_state(), "generator": training.ctx.generator.get_state()}
    if ranks_rng:
        rng["ranks"] = ranks_rng
    save_training_state(path, model=model, optimizer=training.optimizer, scheduler=training.scheduler,
                        epoch=progress.epoch, rng=rng,
                        extra={"history": progress.history, "best": progress.best.to_json(),
                               "step": training.ctx.step, "loss_reference": progress.loss_reference,
                               "grad_scaler": training.precision.state_dict() if training.precision else {},
                               "ema": training.ema.state_dict() if training.ema is not None else None,
                               "position": progress.position.to_state() if progress.position else None})


def restore_state(path: Path, model: "nn.Module", training: Training) -> Progress:
    """Load weights, optimizer, schedule and every RNG as they were after the checkpoint's epoch."""
    state = load_training_state(path)
    model.load_state_dict(state["model"])
    training.optimizer.load_state_dict(state["optimizer"])
    if training.scheduler is not None and state["scheduler"] is not None:
        training.scheduler.load_state_dict(state["scheduler"])

    rng = state["rng"]
    if rng.get("ranks") and distributed.active():  # a mid-epoch stop under torchrun: this rank's own states
        rng = rng["ranks"][distributed.rank()]
    set_rng_state(rng["global"])
    training.ctx.generator.set_state(rng["generator"])
    extra = state["extra"]
    training.ctx.step = extra["step"]
    if training.precision is not None:
        training.precision.load_state_dict(extra.get("grad_scaler"))
    if training.ema is not None and extra.get("ema"):
        training.ema.load_state_dict(extra["ema"])
    position = EpochPosition.from_state(extra["position"]) if extra.get("position") else None
    return Progress(extra["history"], BestEpoch.from_json(extra["best"]), extra.get("loss_reference"), position)


def gather_ranks_rng(training: Training) -> list[dict[str, Any]] | None:
    """Every rank's RNG states, on every rank (a collective: all ranks call it); None in one process."""

    if not distributed.active():
        return None
    import torch.distributed as dist  # lazy: loads torch

    mine = {"global": rng_state(), "generator": training.ctx.generator.get_state()}
    states: list[Any] = [None] * distributed.world_size()
    dist.all_gather_object(states, mine)
    return states


def write_metrics(run_dir: Path, history: list[dict[str, Any]]) -> None:
    """metrics.jsonl holds exactly the checkpoint's epochs (drops lines a kill left after it)."""
    write_text_atomic(run_dir / METRICS, "".join(json.dumps(m) + "\n" for m in history))


def append_metrics(run_dir: Path, metrics: dict[str, Any]) -> None:
    with open(run_dir / METRICS, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(metrics) + "\n")


def reconcile_model_files(run_dir: Path, progress: Progress, save_best: Callable[[], None]) -> None:
    """Make model files agree with the checkpoint of ``progress.epoch`` before training goes on.

    ``model_last`` is rewritten when training ends, so it is dropped; ``model.safetensors`` must
    hold the best epoch: when it does not and the best epoch is the checkpoint's, the
    checkpoint's weights (already loaded) are written again through ``save_best``.
    """
    (run_dir / "model_last.safetensors").unlink(missing_ok=True)
    best_file = run_dir / "model.safetensors"
    if progress.best.epoch == 0:
        best_file.unlink(missing_ok=True)
        (run_dir / "model.json").unlink(missing_ok=True)
        return
    written = (read_metadata(best_file) or {}).get("epoch")
    if written == progress.best.epoch:
        return
    if progress.best.epoch != progress.epoch:
        raise CheckpointError(f"{best_file} holds epoch {written}, not the best epoch {progress.best.epoch}; "
                              "it cannot be rebuilt from the checkpoint, so this run cannot be resumed")
    save_best()
