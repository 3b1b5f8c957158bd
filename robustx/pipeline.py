"""seed -> data -> model -> defense.fit -> evaluate -> report -> run directory."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from . import results as results_io
from .errors import CheckpointError, RobustxError
from .engine.specs import attack_params
from .plugins import PluginHost, get_host
from .recipe import DATA_KEYS, MODEL_KEYS, Recipe, apply_overrides, factory_params, parse_yaml

DEFAULT_DATA_ROOT = "~/.cache/robustx/data"


@dataclass
class RunOptions:
    out: str | Path = "runs"
    device: str = "auto"
    resume: str | Path | None = None
    progress: bool = True
    echo: Any = None  # callable(str) for status lines; None = silent
    run_dir: str | Path | None = None  # exact directory (used by sweeps)
    extra: dict[str, Any] = field(default_factory=dict)


def resolve_device(name: str) -> "Any":
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise RobustxError("--device cuda: no CUDA device is available here; use --device cpu or auto")
    if name not in ("cpu",) and not name.startswith("cuda"):
        raise RobustxError(f"--device {name}: expected auto, cpu, cuda or cuda:N")
    return torch.device(name)


def make_run_dir(out: str | Path, name: str) -> Path:
    out = Path(out).expanduser()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        out.mkdir(parents=True, exist_ok=True)
        for i in range(1000):
            run_dir = out / (f"{name}-{stamp}" + (f"-{i}" if i else ""))
            try:
                run_dir.mkdir()
                break
            except FileExistsError:
                continue
        probe = run_dir / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise RobustxError(f"cannot write to output directory {out}: {exc.strerror or exc}; "
                           "choose another with --out DIR") from None
    return run_dir


# -- data ----------------------------------------------------------------------------------
def load_data(spec: dict[str, Any], seed: int, host: PluginHost) -> tuple[Any, Any, Any, Any]:
    """Build the dataset, then the core's train/validation split and ``limit``s. Returns (train, val, test, info)."""
    import torch

    from .data import ImageSet
    from .errors import DataError

    root = spec["root"] or os.environ.get("ROBUSTX_DATA", DEFAULT_DATA_ROOT)
    root_path = Path(root).expanduser()
    if spec["root"] and not root_path.exists():
        raise DataError(f"data.root {root_path} does not exist; create it or point data.root at your datasets")
    bundle = host.registry("dataset").create(spec["name"], root=str(root_path), download=spec["download"],
                                             **factory_params(spec, DATA_KEYS))
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(bundle.train), generator=generator)
    n_val = int(round(len(order) * spec["val_split"]))
    val_idx, train_idx = order[:n_val], order[n_val:]
    if spec["limit"]:
        train_idx = train_idx[: spec["limit"]]
        val_idx = val_idx[: max(1, spec["limit"] // 5)] if n_val else val_idx
    train, val = bundle.train.subset(train_idx), bundle.train.subset(val_idx)
    test = bundle.test
    test_limit = spec["test_limit"] or spec["limit"]
    if test_limit:
        test = ImageSet(test.x[:test_limit], test.y[:test_limit])
    return train, val, test, bundle.info


# -- the run ---------------------------------------------------------------------------------
class Run:
    """One execution of a validated recipe in a run directory (fresh or resumed)."""

    def __init__(self, recipe: Recipe, run_dir: Path, options: RunOptions, host: PluginHost) -> None:
        self.recipe, self.cfg, self.run_dir, self.options, self.host = recipe, recipe.data, run_dir, options, host
        self.echo = options.echo or (lambda _msg: None)

    def create_attack(self, spec: dict[str, Any], model: Any) -> Any:
        return self.host.registry("attack").create(spec["name"], model, **attack_params(spec))

    def event(self, name: str, payload: dict[str, Any]) -> None:
        self.host.call_hook("robustx_run_event", event=name, payload={"run_dir": str(self.run_dir), **payload})

    def execute(self) -> dict[str, Any]:
        import torch

        from .defense import TrainContext
        from .engine.batches import DeviceImageSet
        from .engine.checkpoint import load_training_state, load_weights, write_text_atomic
        from .engine.optim import build_optimizer, build_schedule
        from .modeling import create_model, model_metadata
        from .seeding import seed_everything, set_rng_state

        cfg, run_dir = self.cfg, self.run_dir
        device = resolve_device(self.options.device)
        seed_everything(cfg["seed"])
        write_text_atomic(run_dir / "recipe.yaml", self.recipe.to_yaml())
        t0 = time.perf_counter()

        train_set, val_set, test_set, info = load_data(cfg["data"], cfg["seed"], self.host)
        self.info = info
        model_spec = cfg["model"]
        arch_params = factory_params(model_spec, MODEL_KEYS)
        model = create_model(model_spec["name"], num_classes=info.num_classes, in_channels=info.in_channels,
                             image_size=info.image_size, mean=info.mean, std=info.std,
                             transforms=model_spec["transforms"], host=self.host, **arch_params)
        if model_spec["weights"]:
            state = load_weights(model_spec["weights"], allow_pickle=model_spec["allow_pickle"])
            target = model if any(k.startswith("net.") for k in state) else model.net  # type: ignore[union-attr]
            target.load_state_dict(state)
        model.to(device)
        self.meta = model_metadata(model_spec, info, robustx_version=_version(), recipe=cfg["name"])

        train_cfg = cfg["train"]
        bs = cfg["data"]["batch_size"]
        train_data = DeviceImageSet(train_set, device)
        val_data = DeviceImageSet(val_set, device) if len(val_set) else None
        test_data = DeviceImageSet(test_set, device)
        optimizer = build_optimizer(model.parameters(), train_cfg["optimizer"])
        scheduler, per_batch = build_schedule(optimizer, train_cfg["schedule"], train_cfg["epochs"],
                                              train_data.num_batches(bs))
        defense_spec = dict(train_cfg["defense"])
        defense = self.host.registry("defense").create(defense_spec.pop("name"), **defense_spec)
        generator = torch.Generator().manual_seed(cfg["seed"])
        ctx = TrainContext(model=model, device=device, info=info, epochs=train_cfg["epochs"], generator=generator,
                           create_attack=self.create_attack)
        defense.setup(ctx)

        history: list[dict[str, Any]] = []
        best = {"value": -1.0, "epoch": 0, "stale": 0}
        start_epoch = 1
        ckpt_dir = run_dir / "checkpoints"
        ckpt_dir.mkdir(exist_ok=True)
        last_path = ckpt_dir / "last.safetensors"
        if self.options.resume is not None and last_path.is_file():
            state = load_training_state(last_path)
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            if scheduler is not None and state["scheduler"] is not None:
                scheduler.load_state_dict(state["scheduler"])
            set_rng_state(state["rng"]["global"])
            generator.set_state(state["rng"]["generator"])
            history, best = state["extra"]["history"], state["extra"]["best"]
            ctx.step = state["extra"]["step"]
            start_epoch = state["epoch"] + 1
            self.echo(f"resuming {run_dir} after epoch {state['epoch']}")
        write_text_atomic(run_dir / "metrics.jsonl", "".join(json.dumps(m) + "\n" for m in history))

        tracker = _ExampleTracker(run_dir, test_set, train_cfg["track_examples"], device)
        if start_epoch == 1:
            tracker.record(model, 0)
        val_attack = train_cfg["val_attack"] or next(
            (a for a in cfg["evaluate"]["attacks"] if a["name"] != "clean"), None)
        self.event("run_start", {"recipe": cfg, "start_epoch": start_epoch})

        from .engine.train import train_one_epoch

        stop_reason = None
        for epoch in range(start_epoch, train_cfg["epochs"] + 1):
            ctx.epoch = epoch
            metrics: dict[str, Any] = {"epoch": epoch, "lr": optimizer.param_groups[0]["lr"]}
            metrics.update(train_one_epoch(model, defense, train_data, optimizer, ctx=ctx, batch_size=bs,
                                           augment=cfg["data"]["augment"],
                                           scheduler=scheduler if per_batch else None,
                                           grad_clip=train_cfg["grad_clip"], progress=self.options.progress))
            if scheduler is not None and not per_batch:
                scheduler.step()
            if val_data is not None:
                metrics.update(self.validate(model, val_data, val_attack, train_cfg["val_limit"]))
            defense.on_epoch_end(epoch, metrics)
            tracker.record(model, epoch)
            key = (train_cfg["early_stopping"] or {}).get("metric") or (
                "val_robust_accuracy" if "val_robust_accuracy" in metrics else "val_accuracy")
            value = metrics.get(key, -1.0 if val_data is not None else float(epoch))
            min_delta = (train_cfg["early_stopping"] or {}).get("min_delta", 0.0)
            if value > best["value"] + min_delta or best["epoch"] == 0:
                best = {"value": value, "epoch": epoch, "stale": 0, "metric": key}
                self.save_model(model, "model.safetensors", epoch=epoch, checkpoint="best")
            else:
                best["stale"] += 1
            metrics["best_epoch"] = best["epoch"]
            history.append(metrics)
            self.save_state(last_path, model, optimizer, scheduler, generator, epoch, history, best, ctx.step)
            with open(run_dir / "metrics.jsonl", "a", encoding="utf-8") as handle:
                handle.write(json.dumps(metrics) + "\n")
            self.echo(_epoch_line(metrics, train_cfg["epochs"]))
            self.event("epoch_end", {"metrics": metrics})
            es = train_cfg["early_stopping"]
            if es and best["stale"] >= es["patience"]:
                stop_reason = f"early stopping: {es['metric']} did not improve for {es['patience']} epochs"
                self.echo(stop_reason)
                break

        self.save_model(model, "model_last.safetensors", epoch=history[-1]["epoch"] if history else 0,
                        checkpoint="last")
        if not (run_dir / "model.safetensors").is_file():
            self.save_model(model, "model.safetensors", epoch=0, checkpoint="last")
        if cfg["evaluate"]["checkpoint"] == "best" and best["epoch"]:
            from .engine.checkpoint import read

            model.load_state_dict(read(run_dir / "model.safetensors")[0])
        results = self.evaluate(model, test_data)
        results.update({"recipe": cfg["name"], "run_dir": str(run_dir), "best_epoch": best["epoch"],
                        "epochs_trained": history[-1]["epoch"] if history else 0, "stopped": stop_reason,
                        "seconds_total": round(time.perf_counter() - t0, 2), "device": str(device)})
        write_text_atomic(run_dir / "results.json", json.dumps(results, indent=2))
        write_text_atomic(run_dir / "results.md", results_io.markdown(results, f"{cfg['name']}: {cfg['description']}"))
        self.event("evaluation_end", {"results": results})
        self.run_analyses(device)
        self.event("run_end", {"results": results})
        return results

    # -- pieces ---------------------------------------------------------------------------
    def validate(self, model: Any, data: Any, val_attack: dict[str, Any] | None, limit: int | None) -> dict[str, float]:
        from .data import ImageSet
        from .engine.batches import DeviceImageSet
        from .engine.evaluate import EvalConfig, evaluate_attacks

        if limit and len(data) > limit:
            data = DeviceImageSet(ImageSet(data.x[:limit], data.y[:limit]), data.device)
        ev = self.cfg["evaluate"]
        attacks = [{"name": "clean"}] + ([val_attack] if val_attack else [])
        res = evaluate_attacks(model, data, attacks, self.create_attack, EvalConfig(
            batch_size=self.cfg["data"]["test_batch_size"] or self.cfg["data"]["batch_size"],
            eot_samples=ev["eot_samples"], n_predictions=ev["n_predictions"], progress=False))
        out = {"val_accuracy": res["clean_accuracy"]}
        if val_attack:
            out["val_robust_accuracy"] = res["attacks"][1]["robust_accuracy"]
        model.train()
        return out

    def evaluate(self, model: Any, data: Any) -> dict[str, Any]:
        from .data import ImageSet
        from .engine.batches import DeviceImageSet
        from .engine.evaluate import EvalConfig, evaluate_attacks

        ev = self.cfg["evaluate"]
        if ev["limit"] and len(data) > ev["limit"]:
            data = DeviceImageSet(ImageSet(data.x[: ev["limit"]], data.y[: ev["limit"]]), data.device)
        return evaluate_attacks(model, data, ev["attacks"], self.create_attack, EvalConfig(
            batch_size=ev["batch_size"] or self.cfg["data"]["test_batch_size"] or self.cfg["data"]["batch_size"],
            eot_samples=ev["eot_samples"], n_predictions=ev["n_predictions"], progress=self.options.progress))

    def save_model(self, model: Any, filename: str, **extra: Any) -> None:
        from .engine.checkpoint import state_tensors, write_atomic, write_text_atomic

        meta = {**self.meta, **extra}
        write_atomic(self.run_dir / filename, state_tensors(model), meta)
        if filename == "model.safetensors":
            write_text_atomic(self.run_dir / "model.json", json.dumps(meta, indent=2))

    def save_state(self, path: Path, model: Any, optimizer: Any, scheduler: Any, generator: Any, epoch: int,
                   history: list[dict[str, Any]], best: dict[str, Any], step: int) -> None:
        from .engine.checkpoint import save_training_state
        from .seeding import rng_state

        save_training_state(path, model=model, optimizer=optimizer, scheduler=scheduler, epoch=epoch,
                            rng={"global": rng_state(), "generator": generator.get_state()},
                            extra={"history": history, "best": best, "step": step})

    def run_analyses(self, device: Any) -> None:
        """Run ``report.analyses`` in order on the finished run; their summaries go to analysis/summary.json."""
        specs = self.cfg["report"]["analyses"]
        if not specs:
            return
        from .engine.checkpoint import write_text_atomic
        from .run import AnalysisContext, load_run

        out_dir = self.run_dir / "analysis"
        out_dir.mkdir(exist_ok=True)
        context = AnalysisContext(run_dir=self.run_dir, run=load_run(self.run_dir, host=self.host),
                                  device=str(device), out_dir=out_dir)
        summaries = []
        for spec in specs:
            params = {k: v for k, v in spec.items() if k != "name"}
            self.echo(f"analysis {spec['name']} ...")
            analysis = self.host.registry("analysis").create(spec["name"], **params)
            summaries.append({"name": spec["name"], "params": params, "summary": analysis(context)})
        write_text_atomic(out_dir / "summary.json", json.dumps(summaries, indent=2, default=str))


class _ExampleTracker:
    """Class probabilities of a few fixed test images after every epoch (for the training-dynamics view)."""

    def __init__(self, run_dir: Path, test_set: Any, count: int, device: Any) -> None:
        self.count = min(count, len(test_set))
        self.path = run_dir / "tracking" / "probs.jsonl"
        if not self.count:
            return
        from .engine.checkpoint import write_atomic

        self.path.parent.mkdir(exist_ok=True)
        self.x = test_set.as_float(slice(0, self.count)).to(device)
        self.y = test_set.y[: self.count]
        write_atomic(self.path.parent / "examples.safetensors", {"x": self.x.cpu(), "y": self.y.cpu()}, {})

    def record(self, model: Any, epoch: int) -> None:
        if not self.count:
            return
        import torch

        was_training = model.training
        model.eval()
        with torch.no_grad():
            probs = model(self.x).softmax(1).cpu().tolist()
        model.train(was_training)
        if epoch == 0 and self.path.exists():
            self.path.unlink()
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"epoch": epoch, "probs": [[round(p, 5) for p in row] for row in probs]}) + "\n")


def _epoch_line(m: dict[str, Any], epochs: int) -> str:
    parts = [f"epoch {m['epoch']}/{epochs}", f"loss {m['train_loss']:.4f}"]
    if "val_accuracy" in m:
        parts.append(f"val {100 * m['val_accuracy']:.2f}%")
    if "val_robust_accuracy" in m:
        parts.append(f"val robust {100 * m['val_robust_accuracy']:.2f}%")
    parts.append(f"{m['seconds']:.1f}s")
    return "  ".join(parts)


def _version() -> str:
    from . import __version__

    return __version__


def run_recipe(name_or_path: str, overrides: list[str] | tuple[str, ...] = (), *, out: str | Path = "runs",
               device: str = "auto", resume: str | Path | None = None, progress: bool = False,
               echo: Any = None, host: PluginHost | None = None) -> dict[str, Any]:
    """Run a recipe end to end; returns the results dict (also written to RUN_DIR/results.json).

    A recipe with ``variants`` or a ``sweep`` is a study: every row runs in its own sub-directory
    and the return value holds each row's results plus the combined table.
    """
    import yaml

    from .recipe import load_raw
    from .study import Study, resolve, run_study

    host = host or get_host()
    echo_fn = echo or (lambda _msg: None)
    options = RunOptions(out=out, device=device, resume=resume, progress=progress, echo=echo)
    if resume is not None:
        run_dir = Path(resume).expanduser()
        saved = next((run_dir / f for f in ("study.yaml", "recipe.yaml") if (run_dir / f).is_file()), None)
        if saved is None:
            raise CheckpointError(f"--resume {run_dir}: no recipe.yaml there; is it a robustx run directory?")
        raw, source = parse_yaml(saved.read_text(encoding="utf-8"), str(saved)), str(saved)
    else:
        raw, source = load_raw(name_or_path, host)
        run_dir = None
    raw = apply_overrides(raw, overrides)
    target = resolve(raw, source, host)
    if isinstance(target, Study):
        study = target
        study_dir = run_dir or make_run_dir(out, study.name)
        from .engine.checkpoint import write_text_atomic

        write_text_atomic(study_dir / "study.yaml", yaml.safe_dump(raw, sort_keys=False))

        def run_one(recipe: Recipe, row_dir: Path, resume_row: bool) -> dict[str, Any]:
            row_options = RunOptions(out=out, device=device, resume=row_dir if resume_row else None,
                                     progress=progress, echo=echo)
            return Run(recipe, row_dir, row_options, host).execute()

        return run_study(study, study_dir, resume=resume is not None, run_one=run_one, echo=echo_fn)
    recipe = target
    if run_dir is not None:
        return Run(recipe, run_dir, options, host).execute()
    run_dir = make_run_dir(out, recipe.name)
    try:
        return Run(recipe, run_dir, options, host).execute()
    except BaseException:
        _remove_if_unstarted(run_dir)
        raise


def _remove_if_unstarted(run_dir: Path) -> None:
    """A run that failed before its first checkpoint (missing data, bad weights) leaves no directory behind."""
    import shutil

    if not (run_dir / "checkpoints" / "last.safetensors").exists():
        shutil.rmtree(run_dir, ignore_errors=True)
