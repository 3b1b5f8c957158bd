"""Component specs as recipes write them: ``{name: ..., label: ..., **params}``."""

from __future__ import annotations

from typing import Any

NON_PARAMS = ("name", "label")


def attack_params(spec: dict[str, Any]) -> dict[str, Any]:
    """The factory parameters of an attack spec (without its name and table label)."""
    return {k: v for k, v in spec.items() if k not in NON_PARAMS}
