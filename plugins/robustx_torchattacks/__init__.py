"""robustx built-in plugin: the torchattacks attacks under bare names (``pgd``, ``autoattack`` ...).

Import-light on purpose: listing plugins must not import torch, so the factories import
torchattacks only when an attack is built.
"""

from __future__ import annotations

from robustx.hookspecs import Register, hookimpl

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
    ("autoattack", f.autoattack, (), "AutoAttack standard: APGD-CE, APGD-T, FAB-T, Square"),
    ("autoattack_rand", f.autoattack_rand, (), "AutoAttack rand: APGD-CE and APGD-DLR with EOT"),
)


@hookimpl
def robustx_register_attacks(register: Register) -> None:
    for name, factory, aliases, description in ATTACKS:
        register(name, factory, aliases=aliases, description=description)
