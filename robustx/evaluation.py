"""Re-evaluate a finished run (``robustx eval``) with its own attacks or new ones."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from .engine.specs import attack_params
from .plugins import PluginHost, get_host


def evaluate_run(run_dir: str | Path, attacks: list[dict[str, Any]] | None = None, *, limit: int | None = None,
                 device: str = "auto", progress: bool = False,
                 host: PluginHost | None = None) -> tuple[dict[str, Any], Path]:
    from .data import ImageSet
    from .engine.batches import DeviceImageSet
    from .engine.checkpoint import write_text_atomic
    from .engine.evaluate import EvalConfig, evaluate_attacks
    from .pipeline import resolve_device
    from .recipe import validate_attack
    from .run import load_run

    host = host or get_host()
    run = load_run(run_dir, host)
    model_device = resolve_device(device)
    model = run.model(device=str(model_device))  # raises a clean error when there is no model
    ev = run.recipe.get("evaluate", {})
    specs = attacks or ev.get("attacks") or [{"name": "clean"}]
    specs = [validate_attack(s, f"--attack[{i}]", host) for i, s in enumerate(specs)]
    test = run.dataset().test
    n = limit or ev.get("limit") or run.recipe["data"].get("test_limit") or run.recipe["data"].get("limit")
    if n:
        test = ImageSet(test.x[:n], test.y[:n])

    def create_attack(spec: dict[str, Any], target: Any) -> Any:
        return host.registry("attack").create(spec["name"], target, **attack_params(spec))

    data = DeviceImageSet(test, model_device)
    results = evaluate_attacks(model, data, specs, create_attack, EvalConfig(
        batch_size=ev.get("batch_size") or run.recipe["data"].get("batch_size", 256),
        eot_samples=ev.get("eot_samples", 10), n_predictions=ev.get("n_predictions", 10), progress=progress))
    out_dir = run.path / "eval"
    out_dir.mkdir(exist_ok=True)
    path = out_dir / f"results-{datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    write_text_atomic(path, json.dumps(results, indent=2))
    return results, path
