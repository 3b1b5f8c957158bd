"""The ``autoattack_reference`` factory: parameters validated from its annotations, like every attack."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, Optional

from robustx.config.markers import Range
from robustx.config.published import publishes
from robustx.config.threat import threat_model
from robustx.host.declare import component

if TYPE_CHECKING:
    from torch import nn

    from .reference import ReferenceAutoAttack


@component("autoattack_reference", kind="attack", aliases=("aa_reference",),
           description="AutoAttack, Croce & Hein's reference code (pyautoattack), with accuracy after each sub-attack",
           smoke={"eps": 0.2})
@publishes("AutoAttack")
@threat_model(norm_param="norm")
def autoattack_reference(model: "nn.Module", *, norm: Literal["Linf", "L2", "L1"] = "Linf",
                         eps: Annotated[float, Range(ge=0)] = 8 / 255,
                         version: Literal["standard", "plus", "rand"] = "standard",
                         seed: Optional[Annotated[int, Range(ge=0)]] = None) -> "ReferenceAutoAttack":
    """AutoAttack (reference code): Croce & Hein 2020, 'Reliable Evaluation of Adversarial Robustness with an
    Ensemble of Diverse Parameter-free Attacks' (arXiv:2003.01690), run by their own code (pyautoattack).

    Distance: Linf, L2 or L1 (``norm``). ``run_standard_evaluation`` of the reference on each evaluation batch;
    results.json records the robust accuracy after each sub-attack as the reference logs it.
    Arguments: norm; eps (budget); version (standard | plus | rand); seed (None: drawn from torch's global RNG,
    so the run's seed fixes it; the reference itself would use the clock).
    Example: ``{name: autoattack_reference, norm: Linf, eps: 8/255}``
    """
    from .reference import ReferenceAutoAttack

    return ReferenceAutoAttack(model, norm=norm, eps=eps, version=version, seed=seed)
