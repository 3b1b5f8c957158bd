"""robustx built-in training methods (defenses) and the inference-noise transform.

Only hook implementations live here: the factories they register are import-light
(no torch at import time) so ``robustx list defenses`` stays fast; the heavy modules
are imported when a factory is called.
"""

from __future__ import annotations

from robustx.host.hookspecs import Register, hookimpl

from . import factories, transforms


@hookimpl
def robustx_register_defenses(register: Register) -> None:
    register("standard", factories.standard, aliases=("natural",),
             description="Cross-entropy on clean inputs (no defense)")
    register("pgd_at", factories.pgd_at, aliases=("madry", "minmax"),
             description="PGD adversarial training (Madry et al. 2018)")
    register("fgsm_rs", factories.fgsm_rs, aliases=("fast_at",),
             description="FGSM from a random start + catastrophic-overfitting check (Wong et al. 2020)")
    register("mat_rand", factories.mat_rand,
             description="Mixed adversarial training, one random attack per batch (Araujo et al. 2020)")
    register("mat_max", factories.mat_max,
             description="Mixed adversarial training, most damaging attack per example (Araujo et al. 2020)")
    register("trades", factories.trades,
             description="TRADES: CE + beta * KL(f(x) || f(x')) (Zhang et al. 2019)")
    register("mart", factories.mart,
             description="MART: boosted CE on x' + beta * KL(f(x) || f(x')) * (1 - p_y(x)) (Wang et al. 2020)")
    register("jacobian_reg", factories.jacobian_reg, aliases=("decision_surface_reg",),
             description="Logit-margin input-gradient regularization by double backprop (Yu et al. 2018)")
    register("ce_grad_reg", factories.ce_grad_reg, aliases=("input_grad_reg",),
             description="Cross-entropy input-gradient regularization (Ross & Doshi-Velez 2018)")
    register("adv_train_cw", factories.adv_train_cw, aliases=("advtrain",),
             description="Clean + C&W-loss Linf adversarial examples (Kurakin et al. 2016 style)")


@hookimpl
def robustx_register_transforms(register: Register) -> None:
    register("inference_noise", transforms.inference_noise, aliases=("noise_injection",),
             description="Predict f(x + N(0, sigma^2)) - randomized at inference (Araujo et al. 2020)")
