"""Re-evaluate a finished run (``robustx eval``) with its own attacks or new ones.

New attacks join the run's saved per-example outcomes (eval/outcomes.*): attacks already measured
on the same examples are not re-run, and every threat-model group is recomputed over all of them.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from .engine.specs import attack_builder
from .plugins import PluginHost, get_host


def unique_result_path(out_dir: Path, prefix: str = "results") -> Path:
    """A new ``<prefix>-<date>-<time>-<microseconds>.json`` created exclusively: concurrent evals never collide."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    for i in range(1000):
        path = out_dir / (f"{prefix}-{stamp}" + (f"-{i}" if i else "") + ".json")
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a new results file in {out_dir}")


def merge_with_saved(eval_dir: Path, new: Any) -> Any:
    """Add ``new`` outcomes to those saved in ``eval_dir`` (same examples) and save; return all of them.

    Rows not run this time are marked ``reused``. Outcomes on other examples (another --limit) are
    returned alone and leave the saved ones untouched.
    """
    from . import outcomes as store
    from .worstcase import AttackOutcome, Outcomes

    with store.locked(eval_dir):
        saved = store.load(eval_dir)  # re-read under the lock: a concurrent eval's additions are kept
        if saved is not None and not store.same_examples(saved, new.labels):
            return new
        merged = new if saved is None else store.merge(saved, new)
        store.save(eval_dir, merged)
    ran = {store.spec_key(a.spec) for a in new.attacks if not a.row.get("reused")}
    rows = [a if store.spec_key(a.spec) in ran or a.row["name"] == "clean"
            else AttackOutcome({**a.row, "reused": True}, a.spec, a.correct, a.norm) for a in merged.attacks]
    return Outcomes(merged.labels, merged.clean, rows, merged.meta)


def evaluate_run(run_dir: str | Path, attacks: list[dict[str, Any]] | None = None, *, limit: int | None = None,
                 device: str = "auto", progress: bool = False, fresh: bool = False,
                 host: PluginHost | None = None) -> tuple[dict[str, Any], Path]:
    from . import distributed
    from . import outcomes as store
    from .data import ImageSet
    from .engine.checkpoint import write_text_atomic
    from .engine.evaluate import results_from
    from .engine.loader import on_device
    from .runner.device import resolve_device
    from .runner.evaluation import eval_config
    from .recipe import validate_attack
    from .rundir import load_run
    from .threat import threat_resolver

    host = host or get_host()
    run = load_run(run_dir, host)
    model_device = resolve_device(device)
    distributed.init_from_env(model_device)  # under torchrun: join the process group
    model = run.model(device=str(model_device))  # raises a clean error when there is no model
    ev = run.recipe.get("evaluate", {})
    specs = attacks or ev.get("attacks") or [{"name": "clean"}]
    specs = [validate_attack(s, f"--attack[{i}]", host) for i, s in enumerate(specs)]
    test = run.dataset().test
    n = limit or ev.get("limit") or run.recipe["data"].get("test_limit") or run.recipe["data"].get("limit")
    if n:
        test = ImageSet(test.x[:n], test.y[:n])

    data = on_device(test, model_device)  # an image folder too big for memory streams from disk
    eval_dir = run.path / "eval"
    config = eval_config(run.recipe, ev.get("batch_size"), progress)
    new = distributed.evaluate_outcomes(model, data, specs, attack_builder(host), config,
                                        threat_of=threat_resolver(host),
                                        reuse=None if fresh else store.load(eval_dir))  # split under torchrun

    def write() -> tuple[dict[str, Any], Path]:  # rank 0 only
        results = results_from(new if fresh else merge_with_saved(eval_dir, new))
        if distributed.active():
            results["world_size"] = distributed.world_size()
        path = unique_result_path(eval_dir)
        write_text_atomic(path, json.dumps(results, indent=2))
        return results, path

    return distributed.on_main(write)
