"""The axes a study varies, each a list of (key, value, label) settings: a ``sweep`` and a ``grid``.

A ``sweep`` is one key (``{key, values, label}``); a ``grid`` is several keys, every combination
of their values (the cartesian product, the first key varying slowest)::

    grid:
      train.defense.name: [standard, pgd_at]
      evaluate.attacks.1.eps: [0.1, 0.2]

makes four rows, labelled ``name=standard eps=0.1`` ... (each key by its last part, or in full
where two keys share it). ``variants`` multiply with both, in the order variants x grid x sweep.
"""

from __future__ import annotations

import itertools
from typing import Any

from robustx.base.errors import RecipeError

Setting = tuple[str, Any, str]  # dotted key, value, the row label's part


def sweep_axis(sweep: Any) -> list[Setting]:
    if not isinstance(sweep, dict) or "key" not in sweep or not isinstance(sweep.get("values"), list) \
            or not sweep["values"]:
        raise RecipeError("sweep: expected {key: dotted.key, values: [...], label: 'eps={value}'}")
    template = str(sweep.get("label", sweep["key"] + "={value}"))
    return [(str(sweep["key"]), value, template.replace("{value}", str(value))) for value in sweep["values"]]


def grid_axes(grid: Any) -> list[list[Setting]]:
    """One axis per key of ``grid`` (a mapping of dotted key -> non-empty list of values)."""
    if not isinstance(grid, dict) or not grid:
        raise RecipeError("grid: expected a mapping of dotted keys to value lists, e.g. "
                          "{train.defense.name: [standard, pgd_at], evaluate.attacks.1.eps: [0.1, 0.2]}")
    shorts = [str(key).rsplit(".", 1)[-1] for key in grid]
    axes = []
    for (key, values), short in zip(grid.items(), shorts):
        if not isinstance(values, list) or not values:
            raise RecipeError(f"grid.{key}: expected a non-empty list of values, got {values!r}")
        if len(set(map(repr, values))) != len(values):
            raise RecipeError(f"grid.{key}: a value is listed twice")
        name = short if shorts.count(short) == 1 else str(key)
        axes.append([(str(key), value, f"{name}={value}") for value in values])
    return axes


def combinations(raw: dict[str, Any]) -> list[list[Setting]]:
    """Every row's settings (grid product, then the sweep), or ``[[]]`` when the recipe varies nothing."""
    axes = grid_axes(raw["grid"]) if raw.get("grid") is not None else []
    if raw.get("sweep") is not None:
        axes.append(sweep_axis(raw["sweep"]))
        if any(axis[0][0] == axes[-1][0][0] for axis in axes[:-1]):
            raise RecipeError(f"sweep.key: {axes[-1][0][0]} is also a grid key; vary it in one place")
    return [list(combo) for combo in itertools.product(*axes)]
