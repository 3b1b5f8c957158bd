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

from robustx.base import distributed
from robustx.base.device import resolve_device
from robustx.base.files import check_writable
from robustx.base.preemption import Preempted, requested, signal_name, stop_on_signals
from robustx.base.seeding import seed_everything
from robustx.config.certifiers import validate_certifiers
from robustx.config.components import attack_builder, check_spec
from robustx.config.threat import threat_resolver
from robustx.datasets.bundle import ImageSet
from robustx.evaluation.certification import certify_results
from robustx.host.manager import PluginHost, get_host
from robustx.runs.measure import eval_config
from robustx.runs.rundir import load_run


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
    from robustx.evaluation import outcomes as store  # lazy: loads torch
    from robustx.evaluation.worstcase import AttackOutcome, Outcomes  # lazy: loads torch

    with store.locked(eval_dir):
        saved = store.load(eval_dir)  # re-read under the lock: a concurrent eval's additions are kept
        if saved is not None and not store.same_examples(saved, new.labels):
            return new
        merged = new if saved is None else store.merge(saved, new)
        store.save(eval_dir, merged)
    ran = {store.outcome_key(a) for a in new.attacks if not a.row.get("reused")}
    rows = [a if store.outcome_key(a) in ran or a.row["name"] == "clean"
            else AttackOutcome({**a.row, "reused": True}, a.spec, a.correct, a.norm) for a in merged.attacks]
    return Outcomes(merged.labels, merged.clean, rows, merged.meta)


def _outcomes_resumable(model: Any, data: Any, specs: list[dict[str, Any]], create_attack: Any, config: Any,
                        threat_of: Any, eval_dir: Path, fresh: bool) -> Any:
    """The attacks' outcomes, saved after every attack and per batch (robustx.evaluation.resumable) unless ``fresh``.

    SIGTERM/SIGUSR1 stop after the batch in flight with everything saved; the same command continues
    (finished attacks are reused, the cut one goes on from its last batch with the same RNG).
    """
    from robustx.evaluation import outcomes as store  # lazy: loads torch
    from robustx.evaluation import sharded  # lazy: loads torch
    from robustx.evaluation.resumable import EvalInterrupted, EvalStore  # lazy: loads torch

    progress = None if fresh or distributed.active() else EvalStore(eval_dir)  # torchrun: saved at the end only
    config.stop = requested
    with stop_on_signals():
        try:
            return sharded.evaluate_outcomes(model, data, specs, create_attack, config, threat_of=threat_of,
                                             reuse=None if fresh else store.load(eval_dir),
                                             store=progress)  # split under torchrun
        except EvalInterrupted as cut:
            raise Preempted(f"Preempted by {signal_name(cut.signum)} during `robustx eval`: {cut} (saved in "
                            f"{eval_dir}). Run the same command again to continue.", cut.signum) from None


def evaluate_run(run_dir: str | Path, attacks: list[dict[str, Any]] | None = None, *, limit: int | None = None,
                 device: str = "auto", progress: bool = False, fresh: bool = False, seed: int | None = None,
                 host: PluginHost | None = None, certify: list[Any] | None = None,
                 mode: str | None = None) -> tuple[dict[str, Any], Path]:
    """Evaluate the run's model; returns (results, the new eval/results-*.json).

    Seeded (``seed``, else the run's recipe seed) right before the attacks, so the same command
    gives the same numbers (random starts, Square's queries); the seed is recorded in the results.
    ``certify``: certifier specs (default: the run's ``evaluate.certify`` when no attacks are given); their
    certificates join eval/certificates.* and each threat model gets ``certified_accuracy``.
    """
    from robustx.base.checkpoint import write_text_atomic  # lazy: loads torch
    from robustx.datasets.loader import on_device  # lazy: loads torch
    from robustx.evaluation.evaluator import results_from  # lazy: loads torch

    host = host or get_host()
    run = load_run(run_dir, host)
    check_writable(run.path / "eval", "robustx eval")  # before hours of attacks, not after
    model_device = resolve_device(device)
    distributed.init_from_env(model_device)  # under torchrun: join the process group
    model = run.model(device=str(model_device))  # raises a clean error when there is no model
    ev = run.settings.evaluate
    specs = attacks or ev.attacks
    specs = [check_spec("attack", s, f"--attack[{i}]", host) for i, s in enumerate(specs)]

    certifiers = validate_certifiers(certify if certify is not None else ([] if attacks else ev.certify),
                                     "--certify", host)
    test = run.dataset().test
    n = limit or ev.limit or run.settings.data.test_limit or run.settings.data.limit
    if n:
        test = ImageSet(test.x[:n], test.y[:n])

    data = on_device(test, model_device)  # an image folder too big for memory streams from disk
    eval_dir = run.path / "eval"
    config = eval_config(run.settings, ev.batch_size, progress)
    seed = run.settings.seed if seed is None else seed
    seed_everything(seed)
    config.mode = mode or ev.mode  # evaluate.mode (robustx.evaluation.cascade), or --mode
    new = _outcomes_resumable(model, data, specs, attack_builder(host), config, threat_resolver(host), eval_dir,
                              fresh)

    def write() -> tuple[dict[str, Any], Path]:  # rank 0 only
        merged = new if fresh else merge_with_saved(eval_dir, new)
        results = results_from(merged)
        if certifiers:  # on rank 0: certificates are per example and cheap next to attacks (IBP)

            results = certify_results(results, model, data, certifiers, host, batch_size=config.batch_size,
                                      progress=progress, eval_dir=eval_dir, outcomes=merged, reuse=not fresh)
        results["seed"] = seed  # attacks run this time used it; reused rows keep the numbers they were saved with
        if distributed.active():
            results["world_size"] = distributed.world_size()
        path = unique_result_path(eval_dir)
        write_text_atomic(path, json.dumps(results, indent=2))
        return results, path

    return distributed.on_main(write)
