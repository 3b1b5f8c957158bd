"""Per-example outcomes on disk: RUN_DIR/eval/outcomes.safetensors plus a JSON index.

Why: ``robustx eval RUN --attack new`` must add an attack to the same per-example worst case
without re-running the old ones (as AutoAttack's saved state does). Tensors go to safetensors
(``labels``, ``clean``, ``<i>.correct``, ``<i>.norm``), everything else to outcomes.json, so
nothing is ever unpickled. A lock file serializes the read-merge-write of concurrent evals.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import torch

from robustx.base.checkpoint import pack, unpack, write_atomic, write_text_atomic
from robustx.base.files import file_lock
from robustx.evaluation.worstcase import AttackOutcome, Outcomes

TENSORS = "outcomes.safetensors"
INDEX = "outcomes.json"
VERSION = 1


def spec_key(spec: dict[str, Any]) -> str:
    """Identity of an attack spec for reuse: its name and parameters (the table label does not count)."""
    return json.dumps({k: v for k, v in spec.items() if k != "label"}, sort_keys=True, default=str)


def save(directory: Path, outcomes: Outcomes) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    tensors = {"labels": outcomes.labels.cpu().clone(), "clean": outcomes.clean.float().cpu().clone()}
    index = []
    for i, a in enumerate(outcomes.attacks):
        tensors[f"{i}.correct"] = a.correct.float().cpu().clone()  # clean's row shares the clean tensor
        if a.norm is not None:
            tensors[f"{i}.norm"] = a.norm.float().cpu().clone()
        entry = {"index": i, "spec": a.spec, "row": a.row, "has_norm": a.norm is not None}
        if a.rng is not None:  # the RNG after this attack: a resumed evaluation continues from it (eval_progress)
            entry["rng"] = pack(a.rng, tensors, f"{i}.rng")
        index.append(entry)
    write_atomic(directory / TENSORS, tensors, {"outcomes_version": VERSION})
    write_text_atomic(directory / INDEX, json.dumps(
        {"outcomes_version": VERSION, "n": len(outcomes.labels), "meta": outcomes.meta, "attacks": index}, indent=2))


def load(directory: Path) -> Outcomes | None:
    """The saved outcomes, or None when there are none (schema-1 runs) or the two files disagree."""
    from safetensors.torch import load_file  # lazy: loads safetensors (and torch)

    if not (directory / TENSORS).is_file() or not (directory / INDEX).is_file():
        return None
    try:
        index = json.loads((directory / INDEX).read_text(encoding="utf-8"))
        tensors = load_file(str(directory / TENSORS))
        attacks = [AttackOutcome(row=e["row"], spec=e["spec"], correct=tensors[f"{e['index']}.correct"],
                                 norm=tensors.get(f"{e['index']}.norm") if e["has_norm"] else None,
                                 rng=unpack(e["rng"], tensors) if e.get("rng") else None)
                   for e in index["attacks"]]
        return Outcomes(tensors["labels"], tensors["clean"], attacks, index.get("meta", {}))
    except (KeyError, ValueError, OSError):  # interrupted between the two writes, or hand-edited
        return None


def locked(directory: Path) -> contextlib.AbstractContextManager[None]:
    """Exclusive lock around a read-merge-write of the outcomes (POSIX; a no-op elsewhere)."""
    directory.mkdir(parents=True, exist_ok=True)
    return file_lock(directory / ".outcomes.lock")


def outcome_key(outcome: AttackOutcome) -> str:
    """``spec_key`` plus the evaluation mode: a cascade row (robustx.evaluation.cascade) is not an ``each`` row."""
    mode = outcome.row.get("mode", "each")
    return spec_key(outcome.spec) + ("" if mode == "each" else f"|{mode}")


def merge(old: Outcomes, new: Outcomes) -> Outcomes:
    """``old`` plus the attacks of ``new`` that ``old`` lacks (same spec and mode; same examples required)."""
    have = {outcome_key(a) for a in old.attacks}
    added = [a for a in new.attacks if outcome_key(a) not in have]
    return Outcomes(old.labels, old.clean, [*old.attacks, *added], {**old.meta, **new.meta})


def same_examples(a: Outcomes, labels: torch.Tensor) -> bool:
    return a.labels.shape == labels.shape and bool(torch.equal(a.labels.cpu(), labels.cpu()))
