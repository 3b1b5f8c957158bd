"""An evaluation that survives a kill: outcomes saved after every attack, the attack in flight per batch.

Why: a 10,000-image AutoAttack evaluation takes hours and must not start over after a preemption
(AutoAttack's reference code keeps a state file for exactly this). ``EvalStore`` is what
``robustx.evaluation.evaluator`` calls:

- ``attack_done``: after each attack, the outcomes so far are merged into RUN_DIR/eval/outcomes.*
  under the outcomes lock (robustx.evaluation.outcomes), so a concurrent ``robustx eval`` keeps its attacks too;
- ``batch_done``: the attack in flight writes its per-example scores so far, with every RNG state,
  to eval/partial/<attack>.safetensors (atomically; at most every ``SAVE_EVERY_S`` seconds, and always
  when a stop was requested), so a kill loses at most the batch in flight plus under a second of work;
- ``partial``: the same attack on the same examples picks up after the last saved batch with the
  RNG exactly as it was, so the numbers equal those of an uninterrupted evaluation.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from robustx.base.checkpoint import pack, read, unpack, write_atomic
from robustx.base.errors import CheckpointError
from robustx.base.seeding import rng_state
from robustx.evaluation import outcomes as store
from robustx.evaluation.outcomes import spec_key

PARTIAL = "partial"
SAVE_EVERY_S = 1.0  # the least time between two per-batch saves of one attack


@dataclass
class Partial:
    """An attack cut after ``batches`` batches: the scores (and norms) so far and the RNG to continue with."""

    batches: int
    scores: list[torch.Tensor]
    sizes: list[torch.Tensor]
    rng: dict[str, Any]
    seconds: float


def attack_key(spec: dict[str, Any], mode: str) -> str:
    """Identity of one attack run: its spec (robustx.evaluation.outcomes.spec_key) and the evaluation mode."""

    return spec_key(spec) + ("" if mode == "each" else f"|{mode}")


def examples_key(labels: torch.Tensor, attacked: torch.Tensor | None) -> str:
    """Which examples an attack runs on (the labels, and the cascade's subset): progress on others is ignored."""
    digest = hashlib.sha1(labels.cpu().numpy().tobytes())
    if attacked is not None:
        digest.update(attacked.cpu().numpy().tobytes())
    return digest.hexdigest()


class EvalStore:
    """Per-attack outcomes and per-batch progress of one evaluation in ``directory`` (RUN_DIR/eval)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._last_save: dict[str, float] = {}

    # -- finished attacks ------------------------------------------------------------------
    def load(self) -> Any:
        return store.load(self.directory)

    def attack_done(self, outcomes: Any) -> None:
        """Merge the outcomes so far into the saved ones (on the same examples; outcomes on other examples,
        another ``--limit``, leave the saved ones untouched, as ``robustx eval`` always did)."""

        with store.locked(self.directory):
            saved = store.load(self.directory)
            if saved is not None and not store.same_examples(saved, outcomes.labels):
                return
            store.save(self.directory, outcomes if saved is None else store.merge(saved, outcomes))

    # -- the attack in flight -------------------------------------------------------------------
    def _path(self, key: str) -> Path:
        return self.directory / PARTIAL / (hashlib.sha1(key.encode()).hexdigest()[:20] + ".safetensors")

    def partial(self, key: str, examples: str) -> Partial | None:
        """The saved progress of attack ``key`` on ``examples`` (None: none, torn, or other examples)."""

        path = self._path(key)
        if not path.is_file():
            return None
        try:
            tensors, meta = read(path)
        except CheckpointError:
            return None
        if meta.get("key") != key or meta.get("examples") != examples:
            return None
        n = int(meta["batches"])
        return Partial(n, [tensors[f"score.{i}"] for i in range(n)],
                       [tensors[f"size.{i}"] for i in range(n) if f"size.{i}" in tensors],
                       unpack(meta["rng"], tensors), float(meta.get("seconds", 0.0)))

    def batch_done(self, key: str, examples: str, scores: list[torch.Tensor], sizes: list[torch.Tensor],
                   seconds: float, *, force: bool = False) -> None:
        """Save the attack's progress after a batch (throttled to one save per SAVE_EVERY_S unless ``force``)."""

        now = time.monotonic()
        if not force and now - self._last_save.get(key, 0.0) < SAVE_EVERY_S:
            return
        tensors = {f"score.{i}": s.cpu().contiguous() for i, s in enumerate(scores)}
        tensors.update({f"size.{i}": s.cpu().contiguous() for i, s in enumerate(sizes)})
        meta = {"key": key, "examples": examples, "batches": len(scores), "seconds": seconds,
                "rng": pack(rng_state(), tensors, "rng")}
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, tensors, meta)
        self._last_save[key] = time.monotonic()

    def clear(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class EvalInterrupted(Exception):
    """A stop request (robustx.base.preemption) cut attack ``attack`` after ``batches`` of ``total`` batches (saved)."""

    def __init__(self, signum: int, attack: str, batches: int, total: int) -> None:
        super().__init__(f"attack '{attack}' stopped after batch {batches} of {total}")
        self.signum, self.attack, self.batches, self.total = signum, attack, batches, total
