"""The built-in audit checks (a)-(g), one per module, in the order they run.

Order matters: (e) compares against the white-box results that (a) and (b) leave in the context.
"""

from __future__ import annotations

from robustx.evaluation.audit.check import Check
from robustx.evaluation.audit.checks import black_box, convergence, eps_sweep, gradients, randomized, single_step

ATHALYE = "Athalye, Carlini & Wagner 2018, 'Obfuscated Gradients Give a False Sense of Security'"
CARLINI = "Carlini et al. 2019, 'On Evaluating Adversarial Robustness'"
CROCE = "Croce & Hein 2020, 'Reliable Evaluation of Adversarial Robustness with an Ensemble of ... Attacks'"
TRAMER = "Tramer et al. 2020, 'On Adaptive Attacks to Adversarial Example Defenses'"
MOSBACH = "Mosbach et al. 2018, 'Logit Pairing Methods Can Fool Gradient-Based Attacks'"

BUILTIN: list[Check] = [
    Check("a", "iterative_vs_single_step", single_step.check, f"{ATHALYE}, sec. 3.1; {CARLINI}, sec. 5"),
    Check("b", "convergence", convergence.check, f"{CARLINI}, sec. 5; {CROCE}"),
    Check("c", "large_budget", eps_sweep.check_large_budget, f"{ATHALYE}, sec. 3.1; {CARLINI}, sec. 5"),
    Check("d", "accuracy_vs_eps", eps_sweep.check_monotone, f"{CARLINI}, sec. 5; {TRAMER}"),
    Check("e", "black_box_and_transfer", black_box.check, f"{ATHALYE}, sec. 3.1; {CROCE}; {TRAMER}"),
    Check("f", "gradient_health", gradients.check, f"{ATHALYE}, sec. 3 (BPDA); {MOSBACH}; {CARLINI}"),
    Check("g", "randomized_model", randomized.check, f"{ATHALYE}, sec. 4.1 (EOT); {CROCE} ('rand' version); {TRAMER}"),
]
