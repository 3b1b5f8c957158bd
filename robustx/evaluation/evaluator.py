"""Robust accuracy for a list of attacks, batched, kept per example and grouped per threat model."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from robustx.base.errors import RobustxError
from robustx.base.progress import progress_bar
from robustx.base.seeding import rng_state, set_rng_state
from robustx.config.models import EVAL_BATCH_SIZE, evaluation_default
from robustx.config.specs import attack_params, restart_specs
from robustx.config.threat import attribute_threat, threat_resolver
from robustx.datasets.batches import DeviceImageSet
from robustx.evaluation import cascade
from robustx.evaluation.outcomes import outcome_key, same_examples
from robustx.evaluation.resumable import EvalInterrupted, EvalStore, attack_key, examples_key
from robustx.evaluation.stochastic import EOTModel, correct_fraction, is_stochastic
from robustx.evaluation.worstcase import AttackOutcome, Outcomes, summarize, threat_name

AttackFactory = Callable[[dict[str, Any], nn.Module], Callable[[torch.Tensor, torch.Tensor], torch.Tensor]]
ThreatOf = Callable[[dict[str, Any]], "dict[str, Any] | None"]
BALL_TOLERANCE = 1e-4
SCHEMA_VERSION = 2


@dataclass
class EvalConfig:
    batch_size: int = EVAL_BATCH_SIZE
    eot_samples: int = evaluation_default("eot_samples")  # the recipe's evaluate defaults (recipe_models)
    n_predictions: int = evaluation_default("n_predictions")
    progress: bool = True
    mode: str = evaluation_default("mode")  # each: every attack on every example; cascade: robustx.evaluation.cascade
    stop: Callable[[], "int | None"] | None = None  # asked after every batch (robustx.base.preemption.requested)


class AttackContractError(RobustxError):
    """An attack returned images outside [0,1] or outside its eps-ball: its numbers would be wrong."""


def perturbation_size(x: torch.Tensor, x_adv: torch.Tensor, norm: str) -> torch.Tensor:
    """Per-example size of ``x_adv - x`` in ``norm`` (over all channels and pixels)."""
    delta = (x_adv - x).flatten(1).float()
    if norm == "Linf":
        return delta.abs().amax(1)
    return delta.norm(dim=1) if norm == "L2" else delta.abs().sum(1)


def check_adversarial(name: str, attack: Any, x: torch.Tensor, x_adv: torch.Tensor,
                      threat: dict[str, Any] | None = None) -> None:
    if x_adv.shape != x.shape:
        raise AttackContractError(f"attack '{name}' changed the input shape {tuple(x.shape)} -> {tuple(x_adv.shape)}")
    if x_adv.min() < -1e-6 or x_adv.max() > 1 + 1e-6:
        raise AttackContractError(f"attack '{name}' returned pixels outside [0, 1]")
    threat = threat if threat is not None else attribute_threat(attack)
    if threat is None or threat.get("eps") is None:
        return
    norm, eps = threat["norm"], threat["eps"]
    size = perturbation_size(x, x_adv, norm)
    if len(size) and size.max() > eps + BALL_TOLERANCE:
        raise AttackContractError(f"attack '{name}' left its {norm} ball: {size.max():.5f} > eps {eps:.5f}")


def row_details(attack: Any) -> dict[str, Any]:
    """What an attack object reports about its own run (optional ``row_details()``: AutoAttack gives its budget
    and the accuracy after each sub-attack); with restarts, the first run's."""
    details = getattr(attack, "row_details", None)
    return dict(details()) if callable(details) else {}


def _threat_row(threat: dict[str, Any] | None) -> dict[str, Any]:
    return {"threat_model": threat_name(threat), "norm": threat and threat["norm"],
            "eps": threat.get("eps") if threat else None, "minimum_norm": bool(threat and threat.get("minimum_norm"))}


def evaluate_outcomes(model: nn.Module, data: DeviceImageSet, attacks: list[dict[str, Any]],
                      create_attack: AttackFactory, config: EvalConfig, *, threat_of: ThreatOf | None = None,
                      reuse: Outcomes | None = None, store: Any = None) -> Outcomes:
    """Run every spec and keep per-example correctness (and perturbation norms of minimum-norm attacks).

    Specs found in ``reuse`` (same name, parameters and mode, same examples) are copied, not re-run,
    and the RNG continues from where it was after them. ``store`` (robustx.evaluation.resumable.EvalStore)
    saves the outcomes after every attack and the attack in flight per batch, and continues an
    attack a kill cut; a stop request (``config.stop``) raises ``EvalInterrupted`` after its batch.
    """

    threat_of = threat_of or threat_resolver()
    model.eval()
    first_x, _ = next(data.batches(min(config.batch_size, len(data))))
    stochastic = is_stochastic(model, first_x[:16])
    predictions = config.n_predictions if stochastic else 1
    target = EOTModel(model, config.eot_samples, predictions).eval() if stochastic else model
    labels = torch.cat([y for _, y in data.batches(config.batch_size)]).cpu()
    reuse = reuse if reuse is not None and same_examples(reuse, labels) else None
    saved = {outcome_key(a): a for a in reuse.attacks} if reuse else {}
    clean = reuse.clean if reuse else torch.cat(
        [correct_fraction(model, x, y, predictions).cpu() for x, y in data.batches(config.batch_size)])
    outcomes = Outcomes(labels, clean, meta={"stochastic": stochastic, "n_predictions": predictions,
                                             "eot_samples": config.eot_samples if stochastic else None})
    for spec in attacks:
        key = attack_key(spec, "each" if spec["name"] == "clean" else config.mode)
        if key in saved:
            old = saved[key]
            outcomes.attacks.append(AttackOutcome({**old.row, "label": spec.get("label") or old.row["label"],
                                                   "reused": True}, spec, old.correct, old.norm, old.rng))
            if old.rng is not None:  # the next attack starts from the RNG it had in the interrupted evaluation
                set_rng_state(old.rng)
            continue
        outcome = _run_attack(model, target, data, spec, create_attack, config, threat_of, clean, predictions,
                              stochastic, done=outcomes.attacks, store=store, key=key, labels=labels)
        outcome.rng = rng_state()
        outcomes.attacks.append(outcome)
        if store is not None and spec["name"] != "clean":
            store.attack_done(outcomes)
            store.clear(key)
    return outcomes


def _run_attack(model: nn.Module, target: nn.Module, data: DeviceImageSet, spec: dict[str, Any],
                create_attack: AttackFactory, config: EvalConfig, threat_of: ThreatOf, clean: torch.Tensor,
                predictions: int, stochastic: bool, *, done: list[AttackOutcome] | None = None, store: Any = None,
                key: str = "", labels: torch.Tensor | None = None) -> AttackOutcome:
    name = spec["name"]
    row: dict[str, Any] = {"name": name, "label": spec.get("label") or name, "params": attack_params(spec)}
    if name == "clean":
        correct, norms, seconds = clean, None, 0.0
    else:
        eot = int(spec.get("eot_samples") or config.eot_samples)
        if stochastic and eot != config.eot_samples:  # this attack's own EOT (eot_samples: 1 = no EOT)
            target = EOTModel(model, eot, predictions).eval()
        attacks = [create_attack(one, target) for one in restart_specs(spec)]
        threat = threat_of(spec) or attribute_threat(attacks[0])
        minimum = bool(threat and threat.get("minimum_norm"))
        prior = cascade.prior_correct(done or [], threat, clean) if config.mode == "cascade" else None
        mask = cascade.attacked_rows(prior) if prior is not None else torch.ones(len(clean), dtype=torch.bool)
        part = data if bool(mask.all()) else _rows(data, mask)
        examples = examples_key(labels if labels is not None else clean, mask if prior is not None else None)
        start = time.perf_counter()
        scores, sizes, earlier = _attack_batches(model, part, name, attacks, threat, config, predictions, store,
                                                 key, examples)
        seconds = earlier + time.perf_counter() - start
        scores = torch.cat(scores) if scores else torch.zeros(0)
        sizes = torch.cat(sizes) if minimum and sizes else torch.zeros(0)
        if prior is None:
            correct, norms = scores, sizes if minimum else None
            row["attacked"], row["broken"] = len(correct), int(((correct < 0.5) & (clean >= 0.5)).sum())
        else:
            correct = cascade.spread(prior, mask, scores)
            norms = cascade.spread_norms(len(clean), mask, sizes) if minimum else None
            row.update(mode="cascade", attacked=int(mask.sum()), broken=int(((correct < 0.5) & mask).sum()))
        if len(attacks) > 1:
            row["restarts"] = len(attacks)
        row.update(_threat_row(threat))
        row.update(row_details(attacks[0]))
        if stochastic:
            row["eot_samples"] = eot
    row.update({"robust_accuracy": float(correct.mean()), "n": len(correct), "seconds": round(seconds, 3)})
    if stochastic:
        row["predictions_averaged"] = predictions
    return AttackOutcome(row, dict(spec), correct, norms)


def _rows(data: DeviceImageSet, mask: torch.Tensor) -> DeviceImageSet:
    """The examples of ``mask`` (a cascade attack's rows), as the same kind of image set."""
    index = mask.nonzero().flatten()
    return data.rows(index.to(data.x.device) if isinstance(data.x, torch.Tensor) else index)


def _attack_batches(model: nn.Module, data: DeviceImageSet, name: str, attacks: list[Any],
                    threat: dict[str, Any] | None, config: EvalConfig, predictions: int, store: Any, key: str,
                    examples: str) -> tuple[list[torch.Tensor], list[torch.Tensor], float]:
    """Per batch, the worst correctness over the restarts (and the perturbation size of minimum-norm attacks).

    With ``store``, continues after the batches a cut run saved (with its RNG) and saves progress
    per batch; a stop request raises ``EvalInterrupted`` once the batch in flight is saved.
    Returns the scores, the sizes and the seconds the saved part took.
    """

    minimum = bool(threat and threat.get("minimum_norm"))
    partial = store.partial(key, examples) if store is not None else None
    scores, sizes = (list(partial.scores), list(partial.sizes)) if partial else ([], [])
    if partial:
        set_rng_state(partial.rng)
    earlier = partial.seconds if partial else 0.0
    start = time.perf_counter()
    bar = progress_bar(total=len(data) * len(attacks), desc=f"eval {name}", enabled=config.progress, unit="img")
    bar.update(min(len(data), len(scores) * config.batch_size) * len(attacks))
    for x, y in data.batches(config.batch_size, start_batch=len(scores)):
        worst = None  # per example, the lowest correctness over the restarts
        for attack in attacks:
            x_adv = attack(x, y)
            check_adversarial(name, attack, x, x_adv, threat)
            score = correct_fraction(model, x_adv, y, predictions).cpu()
            worst = score if worst is None else torch.minimum(worst, score)
            bar.update(len(y))
        scores.append(worst)
        if minimum:  # validation refuses restarts for minimum-norm attacks: x_adv is the one run's
            sizes.append(perturbation_size(x, x_adv, threat["norm"]).cpu())
        signum = config.stop() if config.stop is not None else None
        if store is not None:
            store.batch_done(key, examples, scores, sizes, earlier + time.perf_counter() - start, force=bool(signum))
        if signum:
            bar.close()
            raise EvalInterrupted(signum, name, len(scores), data.num_batches(config.batch_size))
    bar.close()
    return scores, sizes, earlier


def results_from(outcomes: Outcomes) -> dict[str, Any]:
    """results.json content (schema 2) from per-example outcomes."""
    meta = outcomes.meta
    return {
        "schema_version": SCHEMA_VERSION,
        "clean_accuracy": float(outcomes.clean.mean()),
        **summarize(outcomes),
        "attacks": [a.row for a in outcomes.attacks],
        "n": len(outcomes.labels),
        "stochastic": meta.get("stochastic", False),
        "eot_samples": meta.get("eot_samples"),
        "n_predictions": meta.get("n_predictions", 1),
    }


def evaluate_attacks(model: nn.Module, data: DeviceImageSet, attacks: list[dict[str, Any]],
                     create_attack: AttackFactory, config: EvalConfig, *, threat_of: ThreatOf | None = None,
                     outcomes_dir: Path | None = None) -> dict[str, Any]:
    """Evaluate every attack spec (``{name: clean}`` included) on ``data``; return results.json content.

    ``outcomes_dir``: also save the per-example outcomes there (what ``robustx eval`` merges into).
    """
    store = None
    if outcomes_dir is not None:  # resumable: what a cut evaluation saved is reused, not re-run (eval_progress)

        store = EvalStore(Path(outcomes_dir))
    outcomes = evaluate_outcomes(model, data, attacks, create_attack, config, threat_of=threat_of,
                                 reuse=store.load() if store else None, store=store)
    if store is not None:
        store.attack_done(outcomes)
    return results_from(outcomes)
