"""``TorchAttack``: a torchattacks.Attack behind the robustx attack contract.

torchattacks does the attacking; this class only adds what the contract needs and the
library leaves open: [0,1] input check, exact model-state restore, output on x's device
and dtype, targeted modes, reproducible seeding, and ``norm``/``eps`` for the evaluator.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from robustx.evaluation.attack_guard import check_images, draw_seed, finish, isolated_rng, model_guard

if TYPE_CHECKING:
    import torch
    import torchattacks
    from torch import nn

TARGETED_MODES = ("none", "least_likely", "random")


class TorchAttack:
    """Callable ``attack(x, y) -> x_adv`` around a torchattacks attack built on the first call.

    ``build(x)`` receives the first batch, so attacks that need facts about the model
    (AutoAttack's ``n_classes``) can infer them. ``reseeds_rng`` marks attacks that call
    ``torch.manual_seed(self.seed)`` themselves (APGD, Square, AutoAttack): they get a seed
    drawn from the global RNG (or ``seed``) and run on a forked RNG, so they neither repeat
    the same noise on every batch nor reset the caller's RNG.
    """

    def __init__(
        self,
        model: "nn.Module",
        build: Callable[["torch.Tensor"], "torchattacks.Attack"],
        *,
        name: str,
        norm: str | None,
        eps: float | None,
        targeted: str = "none",
        seed: int | None = None,
        reseeds_rng: bool = False,
    ) -> None:
        if targeted not in TARGETED_MODES:
            raise ValueError(f"attack '{name}': targeted must be one of {TARGETED_MODES}, got {targeted!r}")
        self.model = model
        self.name = name
        self.norm = norm
        self.eps = None if eps is None else float(eps)
        self.targeted = targeted
        self.seed = seed
        self._build = build
        self._reseeds_rng = reseeds_rng
        self._attack: Any = None

    @property
    def attack(self) -> "torchattacks.Attack | None":
        """The underlying torchattacks object (None until the first call)."""
        return self._attack

    def _get(self, x: "torch.Tensor") -> "torchattacks.Attack":
        if self._attack is None:
            with contextlib.redirect_stdout(io.StringIO()):  # torchattacks prints instead of warning
                attack = self._build(x)
            if self.targeted == "least_likely":
                attack.set_mode_targeted_least_likely(quiet=True)
            elif self.targeted == "random":
                attack.set_mode_targeted_random(quiet=True)
            self._attack = attack
        self._attack.set_device(x.device)
        return self._attack

    def _rng(self, attack: "torchattacks.Attack") -> contextlib.AbstractContextManager[None]:
        if self._reseeds_rng:
            seed = self.seed if self.seed is not None else draw_seed()
            for sub in (attack, *attack._attacks.values()):  # AutoAttack's APGD/FAB/Square inside
                if hasattr(sub, "seed"):
                    sub.seed = seed
            return isolated_rng()
        if self.seed is not None:
            return isolated_rng(self.seed)
        return contextlib.nullcontext()

    def __call__(self, x: "torch.Tensor", y: "torch.Tensor") -> "torch.Tensor":
        check_images(x, self.name)
        if x.shape[0] == 0:
            return x.detach().clone()
        with model_guard(self.model):
            attack = self._get(x)
            with self._rng(attack):
                x_adv = attack(x, y.to(x.device))
        if isinstance(x_adv, tuple):  # some attacks return (images, target_labels)
            x_adv = x_adv[0]
        return finish(x_adv, x)

    def row_details(self) -> dict[str, Any]:
        """Extra facts for the results row (AutoAttack: its budget and the accuracy after each sub-attack)."""
        report = getattr(self._attack, "stage_report", None)
        return report() if callable(report) else {}

    def __repr__(self) -> str:
        return f"TorchAttack({self.name}, norm={self.norm}, eps={self.eps}, targeted={self.targeted})"
