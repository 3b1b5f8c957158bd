"""robustx built-in plugin: the torchattacks attacks under bare names (``pgd``, ``autoattack`` ...).

Import-light on purpose: listing plugins must not import torch, so the factories import
torchattacks only when an attack is built.
"""

from __future__ import annotations

from robustx.host.hookspecs import Register, hookimpl

from . import autoattack as aa
from . import factories as f

#: (name, factory, aliases, description)
ATTACKS = (
    ("fgsm", f.fgsm, (), "FGSM, one signed-gradient step (Linf)"),
    ("pgd", f.pgd, ("pgd_linf",), "PGD with random start (Linf)"),
    ("pgd_l2", f.pgd_l2, ("pgdl2",), "PGD with random start (L2)"),
    ("bim", f.bim, ("ifgsm",), "BIM / iterative FGSM (Linf)"),
    ("cw_fixed_c", f.cw, (), "Carlini-Wagner L2 with one fixed c (no binary search), minimum-norm"),
    ("mifgsm", f.mifgsm, (), "momentum iterative FGSM (Linf)"),
    ("apgd", f.apgd, (), "APGD with CE or DLR loss (Linf or L2)"),
    ("square", f.square, (), "Square Attack, score-based black-box (Linf or L2)"),
    ("deepfool", f.deepfool, (), "DeepFool, minimum-norm L2, no budget"),
    ("fab", f.fab, (), "FAB, minimum-norm (Linf, L2 or L1), fast adaptive boundary"),
    ("eotpgd", f.eotpgd, (), "PGD with EOT gradients for randomized models (Linf)"),
    ("autoattack", aa.autoattack, (), "AutoAttack at its published budget (standard: APGD-CE, APGD-T, FAB-T, Square)"),
    ("autoattack_rand", aa.autoattack_rand, (), "AutoAttack rand: APGD-CE and APGD-DLR with EOT, published budget"),
    ("autoattack_fast", aa.autoattack_fast, (), "AutoAttack's cascade at a reduced budget (10 iterations): not AutoAttack"),
)


#: cheap parameters for the registry-driven contract tests (tests/test_attack_contract.py: 8x8 digits)
SMOKE = {
    "fgsm": {"eps": 0.2},
    "pgd": {"eps": 0.2, "alpha": 0.05, "steps": 10},
    "pgd_l2": {"eps": 1.5, "alpha": 0.3, "steps": 10},
    "bim": {"eps": 0.2, "alpha": 0.05, "steps": 10},
    "mifgsm": {"eps": 0.2, "alpha": 0.05, "steps": 10},
    "eotpgd": {"eps": 0.2, "alpha": 0.05, "steps": 10, "eot_iter": 2},
    "apgd": {"eps": 0.2, "steps": 10},
    "square": {"eps": 0.2, "n_queries": 200},
    "cw_fixed_c": {"c": 10.0, "steps": 30, "lr": 0.05},
    "deepfool": {"steps": 10},
    "fab": {"steps": 5},
    "autoattack": {"eps": 0.2},
    "autoattack_rand": {"eps": 0.2},
    "autoattack_fast": {"eps": 0.2},
}


@hookimpl
def robustx_register_attacks(register: Register) -> None:
    for name, factory, aliases, description in ATTACKS:
        register(name, factory, aliases=aliases, description=description, smoke=SMOKE.get(name))
