"""One factory per torchattacks attack: ``factory(model, **params) -> TorchAttack``.

Parameter names and defaults follow torchattacks (so its documentation applies) except
where noted. The annotations are the validation rules robustx applies to recipes before
any work starts. Budgets are in [0,1] pixel units. This module stays import-light: torch
and torchattacks are imported inside the factories.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, Optional

from robustx.config.markers import Range
from robustx.config.threat import threat_model
from robustx.host.declare import component

if TYPE_CHECKING:
    from torch import nn

    from .base import TorchAttack

LinfBudget = Annotated[float, Range(ge=0, le=1)]
L2Budget = Annotated[float, Range(ge=0)]
Budget = Annotated[float, Range(ge=0)]  # Linf or L2, depending on ``norm``
StepSize = Annotated[float, Range(gt=0)]
Steps = Annotated[int, Range(ge=1)]
NonNegative = Annotated[float, Range(ge=0)]
Positive = Annotated[float, Range(gt=0)]
Count = Annotated[int, Range(ge=1)]
Targeted = Literal["none", "least_likely", "random"]
Seed = Optional[Annotated[int, Range(ge=0)]]
Norm = Literal["Linf", "L2"]


def _wrap(model: "nn.Module", build, **kwargs) -> "TorchAttack":  # noqa: ANN001
    from .base import TorchAttack

    return TorchAttack(model, build, **kwargs)


@component("fgsm", kind="attack", description="FGSM, one signed-gradient step (Linf)", smoke={"eps": 0.2})
@threat_model(norm="Linf")
def fgsm(model: "nn.Module", *, eps: LinfBudget = 8 / 255, targeted: Targeted = "none",
         seed: Seed = None) -> "TorchAttack":
    """FGSM: Goodfellow et al. 2015, 'Explaining and Harnessing Adversarial Examples' (arXiv:1412.6572).

    Distance: Linf.
    Arguments: eps (budget); targeted (none | least_likely | random); seed (fixes random targets).
    Example: ``{name: fgsm, eps: 8/255}``
    """
    import torchattacks

    return _wrap(model, lambda x: torchattacks.FGSM(model, eps=eps),
                 name="fgsm", norm="Linf", eps=eps, targeted=targeted, seed=seed)


@component("pgd", kind="attack", aliases=("pgd_linf",), description="PGD with random start (Linf)",
           smoke={"eps": 0.2, "alpha": 0.05, "steps": 10})
@threat_model(norm="Linf")
def pgd(model: "nn.Module", *, eps: LinfBudget = 8 / 255, alpha: StepSize = 2 / 255, steps: Steps = 10,
        random_start: bool = True, targeted: Targeted = "none", seed: Seed = None) -> "TorchAttack":
    """PGD: Madry et al. 2018, 'Towards Deep Learning Models Resistant to Adversarial Attacks' (arXiv:1706.06083).

    Distance: Linf.
    Arguments: eps (budget); alpha (step size); steps; random_start (uniform start in the ball);
    targeted (none | least_likely | random); seed (None: follow the global RNG; an int: same noise every call).
    Example: ``{name: pgd, eps: 8/255, alpha: 2/255, steps: 10}``
    """
    import torchattacks

    return _wrap(model, lambda x: torchattacks.PGD(model, eps=eps, alpha=alpha, steps=steps,
                                                   random_start=random_start),
                 name="pgd", norm="Linf", eps=eps, targeted=targeted, seed=seed)


@component("pgd_l2", kind="attack", aliases=("pgdl2",), description="PGD with random start (L2)",
           smoke={"eps": 1.5, "alpha": 0.3, "steps": 10})
@threat_model(norm="L2")
def pgd_l2(model: "nn.Module", *, eps: L2Budget = 0.5, alpha: StepSize = 0.1, steps: Steps = 10,
           random_start: bool = True, targeted: Targeted = "none", seed: Seed = None) -> "TorchAttack":
    """PGD-L2: Madry et al. 2018, 'Towards Deep Learning Models Resistant to Adversarial Attacks' (arXiv:1706.06083).

    Distance: L2 (over the whole image, all channels).
    Arguments: eps (budget, default 0.5 instead of torchattacks' 1.0); alpha (step size, default 0.1);
    steps; random_start; targeted (none | least_likely | random); seed.
    Example: ``{name: pgd_l2, eps: 0.5, alpha: 0.1, steps: 10}``
    """
    import torchattacks

    return _wrap(model, lambda x: torchattacks.PGDL2(model, eps=eps, alpha=alpha, steps=steps,
                                                     random_start=random_start),
                 name="pgd_l2", norm="L2", eps=eps, targeted=targeted, seed=seed)


@component("bim", kind="attack", aliases=("ifgsm",), description="BIM / iterative FGSM (Linf)",
           smoke={"eps": 0.2, "alpha": 0.05, "steps": 10})
@threat_model(norm="Linf")
def bim(model: "nn.Module", *, eps: LinfBudget = 8 / 255, alpha: StepSize = 2 / 255,
        steps: Annotated[int, Range(ge=0)] = 10, targeted: Targeted = "none", seed: Seed = None) -> "TorchAttack":
    """BIM (iterative FGSM): Kurakin et al. 2017, 'Adversarial Examples in the Physical World' (arXiv:1607.02533).

    Distance: Linf.
    Arguments: eps (budget); alpha (step size); steps (0: the paper's rule min(255 eps + 4, 1.25 * 255 eps));
    targeted (none | least_likely | random); seed.
    Example: ``{name: bim, eps: 8/255, alpha: 1/255, steps: 10}``
    """
    import torchattacks

    return _wrap(model, lambda x: torchattacks.BIM(model, eps=eps, alpha=alpha, steps=steps),
                 name="bim", norm="Linf", eps=eps, targeted=targeted, seed=seed)


@component("cw_fixed_c", kind="attack",
           description="Carlini-Wagner L2 with one fixed c (no binary search), minimum-norm",
           smoke={"c": 10.0, "steps": 30, "lr": 0.05})
@threat_model(norm="L2", eps_param=None, minimum_norm=True)
def cw(model: "nn.Module", *, c: Positive = 1.0, kappa: NonNegative = 0.0, steps: Steps = 50,
       lr: Positive = 0.01, targeted: Targeted = "none", seed: Seed = None) -> "TorchAttack":
    """CW-L2: Carlini & Wagner 2017, 'Towards Evaluating the Robustness of Neural Networks' (arXiv:1608.04644).

    Distance: L2, minimum-norm (no budget: ``norm`` and ``eps`` are None). No binary search over c;
    examples that are not fooled are returned unchanged.
    Arguments: c (weight of the classification loss); kappa (confidence margin); steps (Adam steps);
    lr (Adam learning rate); targeted (none | least_likely | random); seed.
    Example: ``{name: cw_fixed_c, c: 1.0, kappa: 0, steps: 100, lr: 0.01}`` (``cw`` is the binary-search version)
    """
    import torchattacks

    return _wrap(model, lambda x: torchattacks.CW(model, c=c, kappa=kappa, steps=steps, lr=lr),
                 name="cw_fixed_c", norm=None, eps=None, targeted=targeted, seed=seed)


@component("mifgsm", kind="attack", description="momentum iterative FGSM (Linf)",
           smoke={"eps": 0.2, "alpha": 0.05, "steps": 10})
@threat_model(norm="Linf")
def mifgsm(model: "nn.Module", *, eps: LinfBudget = 8 / 255, alpha: StepSize = 2 / 255, steps: Steps = 10,
           decay: NonNegative = 1.0, targeted: Targeted = "none", seed: Seed = None) -> "TorchAttack":
    """MI-FGSM: Dong et al. 2018, 'Boosting Adversarial Attacks with Momentum' (arXiv:1710.06081).

    Distance: Linf.
    Arguments: eps (budget); alpha (step size); steps; decay (momentum factor);
    targeted (none | least_likely | random); seed.
    Example: ``{name: mifgsm, eps: 8/255, alpha: 2/255, steps: 10, decay: 1.0}``
    """
    import torchattacks

    return _wrap(model, lambda x: torchattacks.MIFGSM(model, eps=eps, alpha=alpha, steps=steps, decay=decay),
                 name="mifgsm", norm="Linf", eps=eps, targeted=targeted, seed=seed)


@component("apgd", kind="attack", description="APGD with CE or DLR loss (Linf or L2)",
           smoke={"eps": 0.2, "steps": 10})
@threat_model(norm_param="norm")
def apgd(model: "nn.Module", *, norm: Norm = "Linf", eps: Budget = 8 / 255, steps: Steps = 10,
         n_restarts: Count = 1, loss: Literal["ce", "dlr"] = "ce", eot_iter: Count = 1,
         rho: Annotated[float, Range(gt=0, lt=1)] = 0.75, seed: Seed = None) -> "TorchAttack":
    """APGD: Croce & Hein 2020, 'Reliable Evaluation of Adversarial Robustness with an Ensemble of Diverse
    Parameter-free Attacks' (arXiv:2003.01690).

    Distance: Linf or L2 (``norm``).
    Arguments: norm; eps (budget); steps; n_restarts; loss (ce | dlr); eot_iter (gradient samples, for
    randomized models); rho (step-size decay threshold); seed (None: drawn from the global RNG per call).
    Example: ``{name: apgd, norm: Linf, eps: 8/255, steps: 100, loss: dlr}``
    """
    import torchattacks

    apgd_class = torchattacks.APGD
    if _randomized(model):  # keep the best expected-loss iterate, not the clean image
        from .randomized import ExpectedLossAPGD as apgd_class

    return _wrap(model, lambda x: apgd_class(model, norm=norm, eps=eps, steps=steps, n_restarts=n_restarts,
                                             loss=loss, eot_iter=eot_iter, rho=rho, seed=0),
                 name="apgd", norm=norm, eps=eps, seed=seed, reseeds_rng=True)


@component("square", kind="attack", description="Square Attack, score-based black-box (Linf or L2)",
           smoke={"eps": 0.2, "n_queries": 200})
@threat_model(norm_param="norm")
def square(model: "nn.Module", *, norm: Norm = "Linf", eps: Budget = 8 / 255, n_queries: Count = 5000,
           n_restarts: Count = 1, p_init: Annotated[float, Range(gt=0, le=1)] = 0.8,
           loss: Literal["margin", "ce"] = "margin", resc_schedule: bool = True,
           targeted: Targeted = "none", seed: Seed = None) -> "TorchAttack":
    """Square: Andriushchenko et al. 2020, 'Square Attack: a Query-efficient Black-box Adversarial Attack via
    Random Search' (arXiv:1912.00049).

    Distance: Linf or L2 (``norm``); black-box (scores only).
    Arguments: norm; eps (budget); n_queries (per restart; lower it for quick checks); n_restarts;
    p_init (initial square size); loss (margin | ce); resc_schedule; targeted (none | least_likely | random);
    seed (None: drawn from the global RNG per call).
    Example: ``{name: square, eps: 8/255, n_queries: 1000}``
    """
    import torchattacks

    return _wrap(model, lambda x: torchattacks.Square(model, norm=norm, eps=eps, n_queries=n_queries,
                                                      n_restarts=n_restarts, p_init=p_init, loss=loss,
                                                      resc_schedule=resc_schedule, seed=0),
                 name="square", norm=norm, eps=eps, targeted=targeted, seed=seed, reseeds_rng=True)


@component("deepfool", kind="attack", description="DeepFool, minimum-norm L2, no budget", smoke={"steps": 10})
@threat_model(norm="L2", eps_param=None, minimum_norm=True)
def deepfool(model: "nn.Module", *, steps: Steps = 50, overshoot: NonNegative = 0.02) -> "TorchAttack":
    """DeepFool: Moosavi-Dezfooli et al. 2016, 'DeepFool: a Simple and Accurate Method to Fool Deep Neural
    Networks' (arXiv:1511.04599).

    Distance: L2, minimum-norm (no budget: ``norm`` and ``eps`` are None). One Jacobian per image and step:
    slow for many classes.
    Arguments: steps (max iterations); overshoot.
    Example: ``{name: deepfool, steps: 50, overshoot: 0.02}``
    """
    import torchattacks

    return _wrap(model, lambda x: torchattacks.DeepFool(model, steps=steps, overshoot=overshoot),
                 name="deepfool", norm=None, eps=None)


@component("eotpgd", kind="attack", description="PGD with EOT gradients for randomized models (Linf)",
           smoke={"eps": 0.2, "alpha": 0.05, "steps": 10, "eot_iter": 2})
@threat_model(norm="Linf")
def eotpgd(model: "nn.Module", *, eps: LinfBudget = 8 / 255, alpha: StepSize = 2 / 255, steps: Steps = 10,
           eot_iter: Count = 2, random_start: bool = True, targeted: Targeted = "none",
           seed: Seed = None) -> "TorchAttack":
    """EOT-PGD: Zimmermann 2019, 'Comment on Adv-BNN: Improved Adversarial Defense through Robust Bayesian
    Neural Network' (arXiv:1907.00895); PGD with gradients averaged over ``eot_iter`` forward passes.

    Distance: Linf. Meant for randomized models (noise injection, dropout at test time).
    Arguments: eps (budget); alpha (step size); steps; eot_iter (gradient samples per step); random_start;
    targeted (none | least_likely | random); seed.
    Example: ``{name: eotpgd, eps: 8/255, alpha: 2/255, steps: 10, eot_iter: 10}``
    """
    import torchattacks

    return _wrap(model, lambda x: torchattacks.EOTPGD(model, eps=eps, alpha=alpha, steps=steps, eot_iter=eot_iter,
                                                      random_start=random_start),
                 name="eotpgd", norm="Linf", eps=eps, targeted=targeted, seed=seed)


def _randomized(model: "nn.Module") -> bool:
    """The evaluator attacks randomized models through an EOT model that says so (``randomized``)."""
    return bool(getattr(model, "randomized", False))


@component("fab", kind="attack", description="FAB, minimum-norm (Linf, L2 or L1), fast adaptive boundary",
           smoke={"steps": 5})
@threat_model(norm_param="norm", eps_param=None, minimum_norm=True)
def fab(model: "nn.Module", *, norm: Literal["Linf", "L2", "L1"] = "L2", steps: Steps = 10, n_restarts: Count = 1,
        alpha_max: Annotated[float, Range(gt=0, le=1)] = 0.1, eta: Annotated[float, Range(ge=1)] = 1.05,
        beta: Annotated[float, Range(gt=0, lt=1)] = 0.9, seed: Seed = None) -> "TorchAttack":
    """FAB: Croce & Hein 2020, 'Minimally Distorted Adversarial Examples with a Fast Adaptive Boundary Attack'
    (arXiv:1907.02044).

    Distance: Linf, L2 or L1 (``norm``), minimum-norm (no budget: ``norm`` and ``eps`` of the attack object are
    None); untargeted. Per example it returns the smallest adversarial it found, or the clean image.
    Much stronger per step than C&W on small budgets (quickstart: within L2 0.8 it matches PGD-L2 at 0.8).
    Arguments: norm; steps; n_restarts (restarts after the first start from random points in the largest
    ball of [0,1] images); alpha_max, eta, beta (FAB's step parameters); seed.
    Example: ``{name: fab, norm: L2, steps: 20}``
    """
    import torchattacks

    from robustx.config.threat import budget_bound
    from robustx.evaluation.attack_guard import num_classes_of

    def build(x):  # noqa: ANN001, ANN202 - FAB's eps only bounds its random restarts: make it the whole box
        return torchattacks.FAB(model, norm=norm, eps=budget_bound(norm, tuple(x.shape[1:])),
                                steps=steps, n_restarts=n_restarts, alpha_max=alpha_max, eta=eta, beta=beta,
                                n_classes=num_classes_of(model, x), seed=0)

    return _wrap(model, build, name="fab", norm=None, eps=None, seed=seed, reseeds_rng=True)
