"""robustx built-in plugin: Adversarial Robustness Toolbox (ART) evasion attacks as ``art:<name>``.

Import-light on purpose: ART (and torch) are imported only when an attack is built.
"""

from __future__ import annotations

from robustx.host.hookspecs import Register, hookimpl

from . import factories as f

#: (name, factory, description)
ATTACKS = (
    ("art:pgd", f.art_pgd, "ART projected gradient descent (Linf or L2)"),
    ("art:fgsm", f.art_fgsm, "ART fast gradient method (Linf or L2)"),
    ("art:cw", f.art_cw, "ART Carlini-Wagner, minimum-norm (L2 or Linf)"),
    ("cw", f.cw_l2, "Carlini-Wagner L2 with binary search over c (ART), minimum-norm"),
    ("art:square", f.art_square, "ART Square Attack, score-based black-box (Linf or L2)"),
    ("art:hopskipjump", f.art_hopskipjump, "ART HopSkipJump, decision-based, minimum-norm"),
    ("art:boundary", f.art_boundary, "ART Boundary Attack, decision-based, minimum-norm L2"),
    ("art:deepfool", f.art_deepfool, "ART DeepFool, minimum-norm L2, batched"),
)


#: cheap parameters for the registry-driven contract tests (tests/test_attack_contract.py: 8x8 digits)
SMOKE = {
    "art:pgd": {"eps": 0.2, "eps_step": 0.05, "max_iter": 10},
    "art:fgsm": {"eps": 0.2},
    "art:cw": {"initial_const": 1.0, "max_iter": 10, "binary_search_steps": 3},
    "cw": {"c": 1.0, "steps": 10, "binary_search_steps": 3},
    "art:square": {"eps": 0.2, "max_iter": 50},
    "art:hopskipjump": {"max_iter": 3, "max_eval": 100, "init_eval": 10, "init_size": 20},
    "art:boundary": {"max_iter": 10, "num_trial": 5, "sample_size": 5, "init_size": 20},
    "art:deepfool": {"max_iter": 20},
}


@hookimpl
def robustx_register_attacks(register: Register) -> None:
    for name, factory, description in ATTACKS:
        register(name, factory, description=description, smoke=SMOKE.get(name))
