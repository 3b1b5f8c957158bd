"""One factory per ART evasion attack: ``factory(model, **params) -> ArtAttack``.

Parameter names follow ART (``eps_step``, ``max_iter``, ``max_eval`` ...) so its documentation
applies; defaults follow ART except where noted (gradient attacks match the torchattacks
defaults, black-box attacks get small budgets to raise). Import-light: ART is imported inside
the factories.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, Optional

from robustx.config.markers import Range
from robustx.config.threat import threat_model
from robustx.host.declare import component

if TYPE_CHECKING:
    from torch import nn

    from .base import ArtAttack

LinfBudget = Annotated[float, Range(ge=0, le=1)]
Budget = Annotated[float, Range(ge=0)]  # Linf or L2, depending on ``norm``
StepSize = Annotated[float, Range(gt=0)]
Iterations = Annotated[int, Range(ge=1)]
NonNegative = Annotated[float, Range(ge=0)]
Positive = Annotated[float, Range(gt=0)]
Count = Annotated[int, Range(ge=1)]
Fraction = Annotated[float, Range(gt=0, lt=1)]
Targeted = Literal["none", "least_likely", "random"]
Seed = Optional[Annotated[int, Range(ge=0)]]
Norm = Literal["Linf", "L2"]

_ART_NORM = {"Linf": float("inf"), "L2": 2}


def _wrap(model: "nn.Module", attack_class: str, options: dict[str, Any], *, name: str, norm: str | None,
          eps: float | None, targeted: str = "none", seed: int | None = None) -> "ArtAttack":
    """Build the wrapper; ``options`` go to ART's ``attack_class`` with the classifier and batch size."""
    import art.attacks.evasion as evasion

    from .base import ArtAttack

    cls = getattr(evasion, attack_class)
    if "targeted" in options:
        options = {**options, "targeted": targeted != "none"}
    return ArtAttack(model, lambda classifier, batch_size: cls(classifier, batch_size=batch_size, **options),
                     name=name, norm=norm, eps=eps, targeted=targeted, seed=seed)


@component("art:pgd", kind="attack", description="ART projected gradient descent (Linf or L2)",
           smoke={"eps": 0.2, "eps_step": 0.05, "max_iter": 10})
@threat_model(norm_param="norm")
def art_pgd(model: "nn.Module", *, norm: Norm = "Linf", eps: Budget = 8 / 255, eps_step: StepSize = 2 / 255,
            max_iter: Iterations = 10, num_random_init: Annotated[int, Range(ge=0)] = 1,
            targeted: Targeted = "none", seed: Seed = None) -> "ArtAttack":
    """PGD (ART): Madry et al. 2018, 'Towards Deep Learning Models Resistant to Adversarial Attacks'
    (arXiv:1706.06083).

    Distance: Linf or L2 (``norm``).
    Arguments: norm; eps (budget); eps_step (step size); max_iter; num_random_init (random restarts, 0: start
    at x); targeted (none | least_likely | random); seed. Defaults match ``pgd``, not ART's (eps 0.3, 100 steps).
    Example: ``{name: "art:pgd", eps: 8/255, eps_step: 2/255, max_iter: 10}``
    """
    options = dict(norm=_ART_NORM[norm], eps=eps, eps_step=eps_step, max_iter=max_iter,
                   num_random_init=num_random_init, targeted=False, verbose=False)
    return _wrap(model, "ProjectedGradientDescent", options, name="art:pgd", norm=norm, eps=eps,
                 targeted=targeted, seed=seed)


@component("art:fgsm", kind="attack", description="ART fast gradient method (Linf or L2)", smoke={"eps": 0.2})
@threat_model(norm_param="norm")
def art_fgsm(model: "nn.Module", *, norm: Norm = "Linf", eps: Budget = 8 / 255,
             num_random_init: Annotated[int, Range(ge=0)] = 0, targeted: Targeted = "none",
             seed: Seed = None) -> "ArtAttack":
    """FGSM / FGM (ART): Goodfellow et al. 2015, 'Explaining and Harnessing Adversarial Examples'
    (arXiv:1412.6572).

    Distance: Linf (signed gradient) or L2 (normalized gradient), ``norm``.
    Arguments: norm; eps (budget); num_random_init (random starts, best kept); targeted
    (none | least_likely | random); seed.
    Example: ``{name: "art:fgsm", eps: 8/255}``
    """
    options = dict(norm=_ART_NORM[norm], eps=eps, num_random_init=num_random_init, targeted=False)
    return _wrap(model, "FastGradientMethod", options, name="art:fgsm", norm=norm, eps=eps,
                 targeted=targeted, seed=seed)


@component("art:cw", kind="attack", description="ART Carlini-Wagner, minimum-norm (L2 or Linf)",
           smoke={"initial_const": 1.0, "max_iter": 10, "binary_search_steps": 3})
@threat_model(norm_param="norm", eps_param=None, minimum_norm=True)
def art_cw(model: "nn.Module", *, norm: Literal["L2", "Linf"] = "L2", confidence: NonNegative = 0.0,
           learning_rate: Positive = 0.01, max_iter: Iterations = 10, binary_search_steps: Count = 10,
           initial_const: Optional[Positive] = None, largest_const: Positive = 20.0,
           targeted: Targeted = "none", seed: Seed = None) -> "ArtAttack":
    """Carlini-Wagner (ART): Carlini & Wagner 2017, 'Towards Evaluating the Robustness of Neural Networks'
    (arXiv:1608.04644).

    Distance: L2 (CarliniL2Method) or Linf (CarliniLInfMethod, per image and slow), minimum-norm: no budget,
    so ``norm`` and ``eps`` of the attack object are None.
    Arguments: norm; confidence; learning_rate; max_iter (per constant); binary_search_steps (L2 only);
    initial_const (None: ART's default, 0.01 for L2 and 1e-5 for Linf); largest_const (Linf only);
    targeted (none | least_likely | random); seed.
    Example: ``{name: "art:cw", norm: L2, max_iter: 50, binary_search_steps: 5, initial_const: 0.1}``
    """
    options: dict[str, Any] = dict(confidence=confidence, learning_rate=learning_rate, max_iter=max_iter,
                                   targeted=False, verbose=False)
    if initial_const is not None:
        options["initial_const"] = initial_const
    if norm == "L2":
        options["binary_search_steps"] = binary_search_steps
        attack_class = "CarliniL2Method"
    else:
        options["largest_const"] = largest_const
        attack_class = "CarliniLInfMethod"
    return _wrap(model, attack_class, options, name="art:cw", norm=None, eps=None, targeted=targeted, seed=seed)


@component("cw", kind="attack", description="Carlini-Wagner L2 with binary search over c (ART), minimum-norm",
           smoke={"c": 1.0, "steps": 10, "binary_search_steps": 3})
@threat_model(norm="L2", eps_param=None, minimum_norm=True)
def cw_l2(model: "nn.Module", *, c: Positive = 0.1, kappa: NonNegative = 0.0, steps: Iterations = 20,
          lr: Positive = 0.01, binary_search_steps: Count = 5, targeted: Targeted = "none",
          seed: Seed = None) -> "ArtAttack":
    """C&W-L2 with the binary search over c: Carlini & Wagner 2017, 'Towards Evaluating the Robustness of
    Neural Networks' (arXiv:1608.04644), run by ART's CarliniL2Method.

    Distance: L2, minimum-norm. Per example, c is searched (``binary_search_steps`` rounds starting at
    ``c``) and the smallest successful perturbation is kept, so the per-example norms are the attack's
    estimate of the distance to the boundary; examples it cannot fool come back unchanged.
    Arguments: c (initial constant); kappa (confidence); steps (iterations per constant); lr (initial
    learning rate, halved/doubled by ART's line search); binary_search_steps; targeted (none | least_likely |
    random); seed. Defaults are CPU-sane (ART's: 10 x 10 from c 0.01); raise both counts for final numbers.
    Example: ``{name: cw, c: 0.1, steps: 50, binary_search_steps: 9}``
    """
    options = dict(confidence=kappa, learning_rate=lr, max_iter=steps, binary_search_steps=binary_search_steps,
                   initial_const=c, targeted=False, verbose=False)
    return _wrap(model, "CarliniL2Method", options, name="cw", norm=None, eps=None, targeted=targeted, seed=seed)


@component("art:square", kind="attack", description="ART Square Attack, score-based black-box (Linf or L2)",
           smoke={"eps": 0.2, "max_iter": 50})
@threat_model(norm_param="norm")
def art_square(model: "nn.Module", *, norm: Norm = "Linf", eps: Budget = 8 / 255, max_iter: Iterations = 100,
               p_init: Annotated[float, Range(gt=0, le=1)] = 0.8, nb_restarts: Count = 1,
               seed: Seed = None) -> "ArtAttack":
    """Square (ART): Andriushchenko et al. 2020, 'Square Attack: a Query-efficient Black-box Adversarial
    Attack via Random Search' (arXiv:1912.00049).

    Distance: Linf or L2 (``norm``); black-box (scores only).
    Arguments: norm; eps (budget); max_iter (queries per restart: small default, raise it for real
    evaluations, e.g. 5000); p_init (initial square size); nb_restarts; seed.
    Example: ``{name: "art:square", eps: 8/255, max_iter: 5000}``
    """
    options = dict(norm=_ART_NORM[norm], eps=eps, max_iter=max_iter, p_init=p_init, nb_restarts=nb_restarts,
                   verbose=False)
    return _wrap(model, "SquareAttack", options, name="art:square", norm=norm, eps=eps, seed=seed)


@component("art:hopskipjump", kind="attack", description="ART HopSkipJump, decision-based, minimum-norm",
           smoke={"max_iter": 3, "max_eval": 100, "init_eval": 10, "init_size": 20})
@threat_model(norm_param="norm", eps_param=None, minimum_norm=True)
def art_hopskipjump(model: "nn.Module", *, norm: Literal["L2", "Linf"] = "L2", max_iter: Iterations = 10,
                    max_eval: Count = 1000, init_eval: Count = 100, init_size: Count = 100,
                    targeted: Targeted = "none", seed: Seed = None) -> "ArtAttack":
    """HopSkipJump (ART): Chen et al. 2020, 'HopSkipJumpAttack: A Query-Efficient Decision-Based Attack'
    (arXiv:1904.02144).

    Distance: L2 or Linf (``norm``), minimum-norm and decision-based (labels only): no budget, so the
    attack object's ``norm`` and ``eps`` are None.
    Arguments: norm; max_iter (small default: ART's is 50); max_eval (gradient-estimation queries, ART: 10000);
    init_eval; init_size (random tries for a starting adversarial); targeted (none | least_likely | random); seed.
    Example: ``{name: "art:hopskipjump", max_iter: 50, max_eval: 10000}``
    """
    options = dict(norm=_ART_NORM[norm], max_iter=max_iter, max_eval=max_eval, init_eval=init_eval,
                   init_size=init_size, targeted=False, verbose=False)
    return _wrap(model, "HopSkipJump", options, name="art:hopskipjump", norm=None, eps=None,
                 targeted=targeted, seed=seed)


@component("art:boundary", kind="attack", description="ART Boundary Attack, decision-based, minimum-norm L2",
           smoke={"max_iter": 10, "num_trial": 5, "sample_size": 5, "init_size": 20})
@threat_model(norm="L2", eps_param=None, minimum_norm=True)
def art_boundary(model: "nn.Module", *, delta: Positive = 0.01, epsilon: Positive = 0.01,
                 step_adapt: Fraction = 0.667, max_iter: Iterations = 100, num_trial: Count = 25,
                 sample_size: Count = 20, init_size: Count = 100, min_epsilon: NonNegative = 0.0,
                 targeted: Targeted = "none", seed: Seed = None) -> "ArtAttack":
    """Boundary attack (ART): Brendel et al. 2018, 'Decision-Based Adversarial Attacks: Reliable Attacks
    Against Black-Box Machine Learning Models' (arXiv:1712.04248).

    Distance: L2, minimum-norm and decision-based (labels only): no budget, so ``norm`` and ``eps`` are None.
    Arguments: delta (orthogonal step); epsilon (step towards the original); step_adapt; max_iter (small
    default: ART's is 5000); num_trial; sample_size; init_size; min_epsilon; targeted (none | least_likely |
    random; ART's default is targeted, robustx's is not); seed.
    Example: ``{name: "art:boundary", max_iter: 5000}``
    """
    options = dict(delta=delta, epsilon=epsilon, step_adapt=step_adapt, max_iter=max_iter, num_trial=num_trial,
                   sample_size=sample_size, init_size=init_size, min_epsilon=min_epsilon, targeted=False,
                   verbose=False)
    return _wrap(model, "BoundaryAttack", options, name="art:boundary", norm=None, eps=None,
                 targeted=targeted, seed=seed)


@component("art:deepfool", kind="attack", description="ART DeepFool, minimum-norm L2, batched",
           smoke={"max_iter": 20})
@threat_model(norm="L2", eps_param=None, minimum_norm=True)
def art_deepfool(model: "nn.Module", *, max_iter: Iterations = 100, epsilon: NonNegative = 1e-6,
                 nb_grads: Count = 10) -> "ArtAttack":
    """DeepFool (ART): Moosavi-Dezfooli et al. 2016, 'DeepFool: a Simple and Accurate Method to Fool Deep
    Neural Networks' (arXiv:1511.04599).

    Distance: L2, minimum-norm: no budget, so ``norm`` and ``eps`` are None. Batched, unlike ``deepfool``.
    Arguments: max_iter; epsilon (overshoot); nb_grads (classes considered, by score).
    Example: ``{name: "art:deepfool", max_iter: 100, epsilon: 0.02}``
    """
    options = dict(max_iter=max_iter, epsilon=epsilon, nb_grads=nb_grads, verbose=False)
    return _wrap(model, "DeepFool", options, name="art:deepfool", norm=None, eps=None)
