"""``ArtAttack``: an ART evasion attack behind the robustx attack contract.

ART works on NumPy arrays through an estimator; this class builds a ``PyTorchClassifier``
around the model on the first call (the input shape and class count are known then),
converts torch -> float32 NumPy -> torch on x's device, picks targets for the targeted
modes, and guards the model state the same way the torchattacks wrapper does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from robustx.evaluation.attack_guard import check_images, finish, isolated_rng, model_guard, num_classes_of

from .modules import CastInput
from .seeding import random_states_from_global_seed
from .targets import pick_targets

if TYPE_CHECKING:
    from art.attacks import EvasionAttack
    from art.estimators.classification import PyTorchClassifier

TARGETED_MODES = ("none", "least_likely", "random")

#: ``make(classifier, batch_size)`` returns a configured ART attack
MakeAttack = Callable[["PyTorchClassifier", int], "EvasionAttack"]


class ArtAttack:
    """Callable ``attack(x, y) -> x_adv`` running an ART evasion attack built per call."""

    def __init__(
        self,
        model: nn.Module,
        make: MakeAttack,
        *,
        name: str,
        norm: str | None,
        eps: float | None,
        targeted: str = "none",
        seed: int | None = None,
    ) -> None:
        if targeted not in TARGETED_MODES:
            raise ValueError(f"attack '{name}': targeted must be one of {TARGETED_MODES}, got {targeted!r}")
        self.model = model
        self.name = name
        self.norm = norm
        self.eps = None if eps is None else float(eps)
        self.targeted = targeted
        self.seed = seed
        self._make = make
        self._classifier: Any = None
        self._shape: tuple[int, ...] | None = None

    @property
    def classifier(self) -> "PyTorchClassifier | None":
        """The ART estimator around the model (None until the first call)."""
        return self._classifier

    def _classifier_for(self, x: torch.Tensor) -> "PyTorchClassifier":
        shape = tuple(x.shape[1:])
        if self._classifier is None or self._shape != shape:
            from art.estimators.classification import PyTorchClassifier

            dtype = next((p.dtype for p in self.model.parameters() if p.is_floating_point()), torch.float32)
            # ART picks the *current* CUDA device; make that x's device so the model is not moved
            where = torch.cuda.device(x.device) if x.is_cuda else contextlib.nullcontext()
            with where:
                self._classifier = PyTorchClassifier(
                    CastInput(self.model, dtype), loss=nn.CrossEntropyLoss(), input_shape=shape,
                    nb_classes=num_classes_of(self.model, x), clip_values=(0.0, 1.0),
                    device_type="gpu" if x.is_cuda else "cpu",
                )
            self._shape = shape
        return self._classifier

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        check_images(x, self.name)
        if x.shape[0] == 0:
            return x.detach().clone()
        rng = isolated_rng(self.seed) if self.seed is not None else contextlib.nullcontext()
        with model_guard(self.model), rng, random_states_from_global_seed():
            self.model.eval()  # as ART's own predict/gradient calls do; model_guard restores the modes
            classifier = self._classifier_for(x)
            labels = y if self.targeted == "none" else pick_targets(self.model, x, y, self.targeted)
            attack = self._make(classifier, int(x.shape[0]))
            x_np = x.detach().cpu().numpy().astype(np.float32)
            x_adv = attack.generate(x_np, y=labels.detach().cpu().numpy())
        return finish(torch.from_numpy(np.asarray(x_adv, dtype=np.float32)), x)

    def __repr__(self) -> str:
        return f"ArtAttack({self.name}, norm={self.norm}, eps={self.eps}, targeted={self.targeted})"
