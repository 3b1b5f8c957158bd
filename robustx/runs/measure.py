"""The attacks a run measures: per-epoch validation (clean + ``val_attack``) and the final test."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from robustx.base.preemption import requested
from robustx.config.threat import threat_resolver
from robustx.evaluation.audit.finding import verdict
from robustx.evaluation.certification import certify_results
from robustx.host.manager import PluginHost
from robustx.train.precision import autocast

if TYPE_CHECKING:
    from torch import nn

    from robustx.config.models import RecipeSettings
    from robustx.datasets.batches import DeviceImageSet


def first_n(data: "DeviceImageSet", limit: int | None) -> "DeviceImageSet":
    """The first ``limit`` images (all of them without a limit)."""
    if not limit or len(data) <= limit:
        return data
    return data.rows(slice(0, limit))


def eval_config(recipe: "RecipeSettings | dict[str, Any]", batch_size: int | None, progress: bool) -> Any:
    """The EvalConfig a recipe asks for: batch size (``batch_size``, else ``data.test_batch_size``, else
    ``data.batch_size``), EOT samples and predictions. A recipe saved by an older robustx (a mapping, read
    by ``saved_settings``) gets the typed defaults for the keys it lacks, so ``robustx eval RUN_DIR`` and
    ``recipe run`` agree."""
    from robustx.config.models import saved_settings  # lazy: loads pydantic
    from robustx.evaluation.evaluator import EvalConfig  # lazy: loads torch

    if isinstance(recipe, dict):
        recipe = saved_settings(recipe)
    ev, data = recipe.evaluate, recipe.data
    batch = batch_size or data.test_batch_size or data.batch_size
    return EvalConfig(batch_size=batch, eot_samples=ev.eot_samples, n_predictions=ev.n_predictions,
                      progress=progress)


def default_val_attack(cfg: "RecipeSettings") -> dict[str, Any] | None:
    """``train.val_attack``, else the first non-clean evaluation attack, else none."""
    return cfg.train.val_attack or next((a for a in cfg.evaluate.attacks if a["name"] != "clean"), None)


def validation_pass(model: "nn.Module", data: "DeviceImageSet", cfg: "RecipeSettings", val_attack: dict[str, Any] | None,
             create_attack: Callable[..., Any]) -> dict[str, float]:
    """val_accuracy (and val_robust_accuracy under ``val_attack``) on at most ``train.val_limit`` images."""
    from robustx.evaluation.sharded import evaluate_attacks  # split across ranks under torchrun  # lazy: loads torch

    attacks = [{"name": "clean"}] + ([val_attack] if val_attack else [])
    res = evaluate_attacks(model, first_n(data, cfg.train.val_limit), attacks, create_attack,
                           eval_config(cfg, None, progress=False))
    out = {"val_accuracy": res["clean_accuracy"]}
    if val_attack:
        out["val_robust_accuracy"] = res["attacks"][1]["robust_accuracy"]
    model.train()
    return out


def test(model: "nn.Module", data: "DeviceImageSet", cfg: "RecipeSettings", create_attack: Callable[..., Any],
         host: PluginHost, run_dir: Path, progress: bool) -> dict[str, Any]:
    """The recipe's ``evaluate`` section on the test split; per-example outcomes go to RUN_DIR/eval."""
    from robustx.evaluation.sharded import evaluate_attacks  # split across ranks under torchrun  # lazy: loads torch


    ev = cfg.evaluate
    config = eval_config(cfg, ev.batch_size, progress)
    config.mode, config.stop = ev.mode, requested  # a stop signal: save after the batch, raise
    with autocast(ev.precision, data.device):  # fp32 unless the recipe asks (then recorded below)
        results = evaluate_attacks(model, first_n(data, ev.limit), ev.attacks, create_attack, config,
                                   threat_of=threat_resolver(host), outcomes_dir=run_dir / "eval")
    if ev.precision != "fp32":
        results["precision"] = ev.precision
    if ev.certify:  # proved lower bounds beside the attacked upper bounds (robustx.evaluation.certification)

        results = certify_results(results, model, first_n(data, ev.limit), ev.certify, host,
                                  batch_size=config.batch_size, progress=progress, eval_dir=run_dir / "eval",
                                  reuse=False)  # the run's own evaluation: computed, like its attacks
    if ev.audit:  # robustx.evaluation.audit on the evaluated examples, with the evaluation's own EOT settings
        from robustx.evaluation.audit.run import audit_fields  # lazy: loads pydantic

        results.update(audit_fields(model, first_n(data, ev.limit), results, ev.audit,
                                    create_attack=create_attack, batch_size=config.batch_size,
                                    eot_samples=config.eot_samples, n_predictions=config.n_predictions))
        if ev.precision != "fp32":
            results["audit"].append(low_precision_finding(ev.precision))
    return results


def low_precision_finding(precision: str) -> dict[str, Any]:
    """The audit's warning for an evaluation under autocast: rounding weakens gradient attacks."""

    found = verdict("warn", f"the evaluation ran under {precision} autocast (evaluate.precision: {precision}); "
                    "rounded logits and gradients weaken gradient attacks and can look like robustness",
                    "re-evaluate with evaluate.precision: fp32 before reporting these numbers")
    found.check = "low_precision_evaluation"
    found.reference = "Carlini et al. 2019, 'On Evaluating Adversarial Robustness', sec. 5 (gradient masking)"
    return {"id": "precision", **found.as_dict()}
