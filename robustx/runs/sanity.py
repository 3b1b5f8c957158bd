"""Recipe values that run but are probably not what the user meant: said out loud before the work.

Why: ``data.batch_size=100000000`` silently trains one batch per epoch, and ``train.epochs=0``
silently evaluates a randomly initialized model (9.7% on digits, reported like any result). Both
are legitimate in some hands (full-batch training; evaluating given ``model.weights``), so
robustx warns with what will actually happen instead of refusing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from robustx.config.models import RecipeSettings


def run_warnings(cfg: "RecipeSettings", n_train: int) -> list[str]:
    """The warnings for a run of ``cfg`` on ``n_train`` training images.

    (An evaluation batch larger than the test set is not one: evaluation batches only bound memory.)
    """
    found = []
    batch = cfg.data.batch_size
    if cfg.train.epochs > 0 and batch > n_train:
        found.append(f"data.batch_size={batch} is larger than the {n_train} training images: every epoch is "
                     f"one batch of {n_train} (full-batch training); lower data.batch_size for mini-batches")
    if cfg.train.epochs == 0:
        if cfg.model.weights:
            found.append(f"train.epochs=0: no training; evaluating the weights of {cfg.model.weights} as given")
        else:
            found.append("train.epochs=0 and no model.weights: evaluating an untrained (randomly initialized) "
                         "model; set train.epochs, or model.weights to evaluate trained weights")
    return found
