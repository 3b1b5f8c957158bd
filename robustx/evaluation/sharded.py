"""Evaluation split across torchrun ranks: each rank attacks its rows, outcomes gathered in example order.

Without a process group these are the single-process evaluator's functions, unchanged.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from robustx.base.distributed import active, barrier, gather_tensor, is_main, mean_over_ranks, shard_rows
from robustx.evaluation import evaluator as engine
from robustx.evaluation.outcomes import locked, save
from robustx.evaluation.worstcase import AttackOutcome

if TYPE_CHECKING:
    from torch import nn

    from robustx.evaluation.worstcase import Outcomes


def gather_outcomes(outcomes: "Outcomes") -> "Outcomes":
    """Every rank's per-example outcomes joined in example order; rows recomputed on the whole set."""
    if not active():
        return outcomes
    attacks = []
    for a in outcomes.attacks:
        correct = gather_tensor(a.correct)
        norm = gather_tensor(a.norm) if a.norm is not None else None
        seconds = mean_over_ranks(a.row.get("seconds", 0.0))
        row = {**a.row, "robust_accuracy": float(correct.mean()), "n": len(correct), "seconds": round(seconds, 3)}
        attacks.append(AttackOutcome(row, a.spec, correct, norm))
    return replace(outcomes, labels=gather_tensor(outcomes.labels), clean=gather_tensor(outcomes.clean),
                   attacks=attacks)


def evaluate_outcomes(model: "nn.Module", data: Any, attacks: list[dict[str, Any]], create_attack: Any, config: Any,
                      *, threat_of: Any = None, reuse: "Outcomes | None" = None, store: Any = None) -> "Outcomes":
    """``evaluator.evaluate_outcomes``, split across ranks under torchrun (identical outcomes).

    Each rank attacks its contiguous rows (and reuses its rows of ``reuse``); the per-example
    outcomes are gathered in example order before any number is computed from them.
    """
    if not active():
        return engine.evaluate_outcomes(model, data, attacks, create_attack, config, threat_of=threat_of,
                                        reuse=reuse, store=store)  # store: per-attack saves (one process only)
    rows = shard_rows(len(data))
    part = data.rows(rows)
    if reuse is not None and len(reuse.labels) == len(data):
        reuse = replace(reuse, labels=reuse.labels[rows], clean=reuse.clean[rows],
                        attacks=[replace(a, correct=a.correct[rows], norm=None if a.norm is None else a.norm[rows])
                                 for a in reuse.attacks])
    return gather_outcomes(engine.evaluate_outcomes(model, part, attacks, create_attack, config,
                                                    threat_of=threat_of, reuse=reuse))


def evaluate_attacks(model: "nn.Module", data: Any, attacks: list[dict[str, Any]], create_attack: Any, config: Any,
                     *, threat_of: Any = None, outcomes_dir: Any = None) -> dict[str, Any]:
    """``evaluator.evaluate_attacks`` split across ranks; only rank 0 saves the outcomes."""
    if not active():
        return engine.evaluate_attacks(model, data, attacks, create_attack, config, threat_of=threat_of,
                                       outcomes_dir=outcomes_dir)
    outcomes = evaluate_outcomes(model, data, attacks, create_attack, config, threat_of=threat_of)
    if outcomes_dir is not None and is_main():
        with locked(Path(outcomes_dir)):
            save(Path(outcomes_dir), outcomes)
    barrier()
    return engine.results_from(outcomes)
