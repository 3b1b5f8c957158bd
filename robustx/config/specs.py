"""Component specs as recipes write them: ``{name: ..., label: ..., **params}``."""

from __future__ import annotations

from typing import Any

#: spec keys the evaluator reads itself: never passed to the attack factory
NON_PARAMS = ("name", "label", "restarts", "eot_samples")


def attack_params(spec: dict[str, Any]) -> dict[str, Any]:
    """The factory parameters of an attack spec (without its name, label, restarts and EOT override)."""
    return {k: v for k, v in spec.items() if k not in NON_PARAMS}


def restart_specs(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """One spec per random restart: ``restarts: N`` runs the attack N times with seeds seed, seed+1, ...

    The evaluator keeps, per example, the worst of the N runs (Madry et al.'s "PGD with 10 restarts").
    """
    count = int(spec.get("restarts", 1))
    if count <= 1:
        return [spec]
    base = int(spec.get("seed") or 0)
    return [{**spec, "seed": base + r} for r in range(count)]

# The attack builder (``create_attack(spec, model)``) is robustx.config.components.attack_builder: it checks every
# spec through the one validation path before building it.
