"""Croce & Hein's reference AutoAttack behind the robustx attack contract.

The reference logs its progress (``robust accuracy after APGD-CE: 33.70%``) instead of returning it; the
per-stage counts are read from its own per-batch log lines, so what results.json records is what the
reference itself computed. Its model checks (randomized, output range ...) go to the same log and are kept
as ``flags``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import torch
from torch import nn

from robustx.evaluation.attack_guard import check_images, draw_seed, finish, isolated_rng, model_guard

_PERTURBED = re.compile(r"^(?P<attack>[a-z-]+) - \d+/\d+ - (?P<fooled>\d+) out of (?P<total>\d+) successfully perturbed")


class _StageCounter(logging.Handler):
    """Counts, per sub-attack, the examples the reference reports as perturbed; keeps its warnings."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.fooled: dict[str, int] = {}
        self.flags: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        match = _PERTURBED.match(message)
        if match:
            self.fooled[match["attack"]] = self.fooled.get(match["attack"], 0) + int(match["fooled"])
        elif record.levelno >= logging.WARNING and message not in self.flags:
            self.flags.append(message[:300])


class ReferenceAutoAttack:
    """Callable ``attack(x, y) -> x_adv`` running ``pyautoattack.AutoAttack.run_standard_evaluation``."""

    def __init__(self, model: nn.Module, *, norm: str, eps: float, version: str, seed: int | None) -> None:
        self.model = model
        self.name = "autoattack_reference"
        self.norm = norm
        self.eps = float(eps)
        self.version = version
        self.seed = seed
        self._seen = 0
        self._clean_correct = 0
        self._counter = _StageCounter()
        self._order: list[str] = []

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        from pyautoattack import AutoAttack

        check_images(x, self.name)
        if x.shape[0] == 0:
            return x.detach().clone()
        y = y.to(x.device)
        seed = self.seed if self.seed is not None else draw_seed()
        logger = logging.getLogger("auto-attack")
        old_level, old_propagate = logger.level, logger.propagate
        logger.setLevel(logging.DEBUG)
        logger.propagate = False  # its debug lines are ours to count, not the user's terminal's
        logger.addHandler(self._counter)
        try:
            with model_guard(self.model), isolated_rng(seed):
                adversary = AutoAttack(self.model, norm=self.norm, eps=self.eps, version=self.version, seed=seed,
                                       device=x.device)
                self._order = list(adversary.attacks_to_run)
                with torch.no_grad():
                    self._clean_correct += int((self.model(x).argmax(1) == y).sum())
                x_adv, _ = adversary.run_standard_evaluation(x, y, batch_size=len(x))
        finally:
            logger.removeHandler(self._counter)
            logger.setLevel(old_level)
            logger.propagate = old_propagate
        self._seen += len(y)
        return finish(x_adv, x)

    def row_details(self) -> dict[str, Any]:
        """The reference's robust accuracy after each sub-attack, over every example seen so far."""
        seen = max(self._seen, 1)
        robust, stages = self._clean_correct, [{"attack": "clean", "robust_accuracy": self._clean_correct / seen}]
        for attack in self._order:
            robust -= self._counter.fooled.get(attack, 0)
            stages.append({"attack": attack, "robust_accuracy": robust / seen})
        details: dict[str, Any] = {"version": self.version, "budget": "published", "implementation": "reference",
                                   "stage_examples": self._seen, "stages": stages}
        if self._counter.flags:
            details["reference_flags"] = self._counter.flags
        return details

    def __repr__(self) -> str:
        return f"ReferenceAutoAttack(norm={self.norm}, eps={self.eps}, version={self.version})"
