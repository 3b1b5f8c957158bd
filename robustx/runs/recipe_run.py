"""One run of a validated recipe, in stages: setup -> resume -> train -> evaluate -> finish.

Under torchrun every rank runs every stage (robustx.base.distributed): training on its shard of
each global batch through the DDP-wrapped ``train_model``, evaluation on its rows with the
outcomes gathered; only rank 0 writes files (checkpoints, metrics, results, events).

Each stage is a short method that a reader (or a test, or a subclass) can take on its own; the
jobs they delegate live in the sibling modules. ``execute`` is the whole run.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from robustx.base import distributed
from robustx.base.checkpoint import read, state_tensors, write_atomic, write_text_atomic
from robustx.base.device import resolve_device
from robustx.base.errors import DivergenceError
from robustx.base.preemption import Preempted, signal_name, stop_agreed, stop_on_signals
from robustx.base.seeding import seed_everything
from robustx.base.version import __version__
from robustx.config.components import attack_builder
from robustx.config.recipe import Recipe
from robustx.datasets.extra import mix_extra
from robustx.datasets.splits import load_splits
from robustx.evaluation.resumable import EvalInterrupted
from robustx.host.manager import PluginHost, warn
from robustx.models.build import model_metadata
from robustx.runs import measure
from robustx.runs.directory import CHECKPOINT, remove_leftovers
from robustx.runs.finish import epoch_line, run_analyses, write_results
from robustx.runs.sanity import run_warnings
from robustx.runs.setup import build_model, build_training
from robustx.runs.state import (
    Progress,
    append_metrics,
    gather_ranks_rng,
    reconcile_model_files,
    restore_state,
    save_state,
    write_metrics,
)
from robustx.train.divergence import DivergenceGuard
from robustx.train.ema import build_ema
from robustx.train.epoch import train_one_epoch
from robustx.train.position import EpochInterrupted
from robustx.train.precision import StepPrecision, prepare_model


@dataclass
class RunOptions:
    """How to run (not what): device, progress bars, status lines, and whether this continues a run."""

    device: str = "auto"
    progress: bool = True
    echo: Callable[[str], None] | None = None  # status lines; None = silent
    resume: bool = False


class RecipeRun:
    """One execution of ``recipe`` in ``run_dir`` (fresh, or resumed from its checkpoint)."""

    def __init__(self, recipe: Recipe, run_dir: Path, options: RunOptions, host: PluginHost) -> None:
        self.recipe, self.cfg, self.run_dir, self.options, self.host = recipe, recipe.settings, run_dir, options, host
        self.echo = options.echo or (lambda _msg: None)
        self.create_attack = attack_builder(host)  # attacks for training, validation and the test
        self.progress = Progress()
        self.stop_reason: str | None = None

    def execute(self) -> dict[str, Any]:
        self.echo(f"run directory: {self.run_dir}")
        with stop_on_signals():  # SIGTERM/SIGUSR1: stop after the batch in flight, checkpoint, exit 128+signal
            self.setup()
            self.resume()
            self.train()
            results = self.evaluate()
        self.finish(results)
        return results

    # -- stages -----------------------------------------------------------------------------
    def setup(self) -> None:
        """Device, seed, data, model, optimizer/schedule and defense: everything before epoch 1."""

        cfg = self.cfg
        self.started = time.perf_counter()
        self.device = resolve_device(self.options.device)
        seed_everything(cfg.seed)
        splits = load_splits(cfg.data, cfg.seed, self.host)
        self.test_set = splits.test
        if distributed.is_main() and not self.options.resume:  # said once, when the run starts
            for message in run_warnings(cfg, len(splits.train)):
                warn(message)
        self.model = build_model(cfg.model, splits.info, self.host).to(self.device)
        self.meta = model_metadata(cfg.model, splits.info, robustx_version=__version__, recipe=cfg.name)
        self.train_data, self.val_data, self.test_data = splits.on(self.device)
        if cfg.data.extra:  # data.extra: a fixed share of every batch from a second source

            self.train_data = mix_extra(self.train_data, cfg.data.extra, splits.info, self.host, cfg.data)
        steps = self.train_data.num_batches(cfg.data.batch_size, shard=distributed.training_shard(cfg.seed, 1))
        attack_model = self.step_models()
        self.training = build_training(attack_model, cfg, splits.info, self.device, steps, self.create_attack, self.host)
        self.training.precision = StepPrecision(cfg.train.precision, self.device, cfg.train.channels_last)
        self.training.ema = build_ema(self.model, cfg.train.ema, self.training.optimizer)
        self.guard = DivergenceGuard()

    def step_models(self) -> Any:
        """The modules the training step calls; returns the one defenses attack (``TrainContext.model``).

        ``channels_last`` converts ``self.model`` in place; with ``compile`` the attack and the
        training forward run compiled. Under torchrun ``self.train_model`` is DDP around the
        model, while attacks use the unwrapped (possibly compiled) module, so attack gradients
        never go through DDP's hooks. ``self.model`` stays the plain module for checkpoints
        and evaluation.
        """

        train = self.cfg.train
        prepare_model(self.model, channels_last=train.channels_last)
        attack_model = prepare_model(self.model, compile=train.compile)
        wrapped = distributed.wrap_model(self.model, self.device, sync_batchnorm=train.sync_batchnorm)
        self.train_model = attack_model if wrapped is self.model else prepare_model(wrapped, compile=train.compile)
        return attack_model

    def resume(self) -> None:
        """Continue after the checkpoint's epoch, with every per-epoch file made to agree with it.

        A kill can leave ``.tmp`` files of interrupted atomic writes and model files or lines
        written after the last checkpoint; all of them are dropped or rewritten here. (A fresh
        run has nothing to restore; the same cleanup is a no-op on its new directory.)
        """
        main = distributed.is_main()
        if main:
            remove_leftovers(self.run_dir)
        checkpoint = self.run_dir / CHECKPOINT
        if self.options.resume and checkpoint.is_file():
            self.progress = restore_state(checkpoint, self.model, self.training)
            self.guard.reference = self.progress.loss_reference
            cut = self.progress.position
            self.echo(f"resuming {self.run_dir} after epoch {self.progress.epoch}" + (
                f", at batch {cut.batch + 1} of epoch {cut.epoch}" if cut else ""))
        if main:
            reconcile_model_files(self.run_dir, self.progress,
                                  lambda: self.save_model("model.safetensors", epoch=self.progress.best.epoch,
                                                          checkpoint="best"))
            write_metrics(self.run_dir, self.progress.history)
        distributed.barrier()

    def train(self) -> None:
        """The epoch loop; early stopping may end it. Leaves model_last and model.safetensors."""
        epochs, start = self.cfg.train.epochs, self.progress.epoch + 1
        self.event("run_start", {"recipe": self.cfg, "start_epoch": start, "model": self.model,
                                 "test_set": self.test_set, "device": self.device})
        for epoch in range(start, epochs + 1):
            metrics = self.train_epoch(epoch)
            self.echo(epoch_line(metrics, epochs))
            self.event("epoch_end", {"epoch": epoch, "metrics": metrics, "model": self.eval_model})
            self.stop_if_asked(f"after epoch {epoch} (its checkpoint is written)")
            self.stop_reason = self.progress.best.stop_reason(self.cfg.train.early_stopping)
            if self.stop_reason:
                self.echo(self.stop_reason)
                break
        self.save_model("model_last.safetensors", epoch=self.progress.epoch, checkpoint="last")
        if not (self.run_dir / "model.safetensors").is_file():
            self.save_model("model.safetensors", epoch=0, checkpoint="last")

    def train_epoch(self, epoch: int) -> dict[str, Any]:
        """Train one epoch, validate, score it, then checkpoint (before the best-model file; see state.py)."""

        cfg, t = self.cfg, self.training
        t.ctx.epoch = epoch
        position, self.progress.position = self.progress.position, None  # a preempted epoch continues once
        position = position if position is not None and position.epoch == epoch else None
        metrics: dict[str, Any] = {"epoch": epoch, "lr": position.lr if position else t.optimizer.param_groups[0]["lr"]}
        shard = distributed.training_shard(cfg.seed, epoch)
        if shard is not None and position is None:  # a cut epoch restored every rank's RNG instead
            distributed.reseed_rank(cfg.seed, epoch, t.ctx.generator)
        try:
            metrics.update(train_one_epoch(
                self.train_model, t.defense, self.train_data, t.optimizer, ctx=t.ctx,
                batch_size=cfg.data.batch_size, augment=cfg.data.augment,
                scheduler=t.scheduler if t.per_batch else None, grad_clip=cfg.train.grad_clip,
                progress=self.options.progress, guard=self.guard, precision=t.precision, shard=shard,
                stop=stop_agreed, position=position))
        except EpochInterrupted as cut:
            self.save_cut_epoch(cut)
        except DivergenceError as exc:
            kept = (f"the checkpoint of epoch {epoch - 1} is kept in {self.run_dir}" if epoch > 1
                    else "no epoch finished, so nothing was kept")
            raise DivergenceError(f"{exc}; {kept}") from None
        t.end_epoch()
        metrics["train_loss"] = distributed.mean_over_ranks(metrics["train_loss"])
        if self.val_data is not None:
            metrics.update(measure.validation_pass(self.eval_model, self.val_data, cfg, measure.default_val_attack(cfg),
                                               self.create_attack))
        t.defense.on_epoch_end(epoch, metrics)
        improved = self.progress.best.update(metrics, epoch, cfg.train.early_stopping, self.val_data is not None)
        metrics["best_epoch"] = self.progress.best.epoch
        self.progress.history.append(metrics)
        self.progress.loss_reference = self.guard.reference
        if distributed.is_main():
            save_state(self.run_dir / CHECKPOINT, self.model, t, self.progress)
            if improved:
                self.save_model("model.safetensors", epoch=epoch, checkpoint="best")
            append_metrics(self.run_dir, metrics)
        return metrics

    def evaluate(self) -> dict[str, Any]:
        """The recipe's attacks on the test split, with the best (or last) epoch's weights."""

        distributed.barrier()  # rank 0 has written the model files the other ranks read
        if self.training.ema is not None:  # the averaged weights are the trained model (train.ema)
            self.model.load_state_dict(self.training.ema.module.state_dict())
        if self.cfg.evaluate.checkpoint == "best" and self.progress.best.epoch:
            self.model.load_state_dict(read(self.run_dir / "model.safetensors")[0])

        try:
            results = measure.test(self.model, self.test_data, self.cfg, self.create_attack, self.host,
                                      self.run_dir, self.options.progress)
        except EvalInterrupted as cut:  # finished attacks and the cut one's batches are saved in RUN_DIR/eval
            raise self.preempted(cut.signum, f"during the evaluation: {cut} (saved)") from None
        results.update({"recipe": self.cfg.name, "run_dir": str(self.run_dir),
                        "best_epoch": self.progress.best.epoch, "epochs_trained": self.progress.epoch,
                        "stopped": self.stop_reason, "seconds_total": round(time.perf_counter() - self.started, 2),
                        "device": str(self.device)})
        if distributed.active():
            results["world_size"] = distributed.world_size()
        return results

    def finish(self, results: dict[str, Any]) -> None:
        """results.json/.md, the recipe's analyses, and the events loggers wait for (rank 0 only)."""
        if not distributed.is_main():
            return
        write_results(self.run_dir, results, f"{self.cfg.name}: {self.cfg.description}")
        self.event("evaluation_end", {"results": results})
        run_analyses(self.run_dir, self.cfg.report.analyses, self.host, self.device, self.echo)
        self.event("run_end", {"results": results})

    # -- preemption (robustx.base.preemption) -----------------------------------------------------
    def save_cut_epoch(self, cut: Any) -> None:
        """Checkpoint the epoch where a stop signal cut it (weights, optimizer, order, every RNG), then stop."""

        self.progress.position = cut.position
        self.progress.loss_reference = self.guard.reference
        ranks_rng = gather_ranks_rng(self.training)  # every rank takes part; rank 0 writes
        if distributed.is_main():
            save_state(self.run_dir / CHECKPOINT, self.model, self.training, self.progress, ranks_rng=ranks_rng)
        distributed.barrier()
        raise self.preempted(cut.signum, f"after batch {cut.position.batch} of epoch {cut.position.epoch} "
                                         "(checkpoint written)")

    def stop_if_asked(self, where: str) -> None:
        signum = stop_agreed()
        if signum:
            raise self.preempted(signum, where)

    def preempted(self, signum: int, where: str) -> Exception:
        """The one-line ``Preempted`` error: the signal, where the run stopped, and the command to continue."""

        return Preempted(f"Preempted by {signal_name(signum)} {where}. A run can continue with "
                         f"`robustx recipe run {self.cfg.name} --resume {self.run_dir}`.", signum)

    # -- helpers ----------------------------------------------------------------------------
    @property
    def eval_model(self) -> Any:
        """What validation, the model files and evaluation use: the EMA weights with ``train.ema``, else the model."""
        ema = self.training.ema
        return ema.module if ema is not None else self.model

    def event(self, name: str, payload: dict[str, Any]) -> None:
        """Tell run-event plugins; torch's RNG is forked so an observer cannot change the training run."""
        import torch  # lazy: loads torch

        if not distributed.is_main():
            return

        devices = [self.device.index or 0] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            self.host.call_hook("robustx_run_event", event=name, payload={"run_dir": str(self.run_dir), **payload})

    def save_model(self, filename: str, **extra: Any) -> None:
        if not distributed.is_main():
            return
        meta = {**self.meta, **extra}
        write_atomic(self.run_dir / filename, state_tensors(self.eval_model), meta)
        if filename == "model.safetensors":
            write_text_atomic(self.run_dir / "model.json", json.dumps(meta, indent=2))
