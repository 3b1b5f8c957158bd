"""One validation path for component specs, whatever the entry (issue 24).

Why: a budget that a recipe refuses ("Linf eps 8 ... did you mean 8/255?") must be refused the
same way by ``robustx.create_attack``, ``robustx eval --attack``, ``robustx.evaluate``, the
analyses, the audit and the attacks a defense builds; otherwise the check protects only one door.
Every one of them calls :func:`check_spec`, which resolves the name, checks the parameters against
the factory's annotations (a pydantic model built from its signature, ``robustx.params.param_model``,
nested specs included) and, for attacks, the
threat-model budget, restarts, EOT and label rules (``robustx.recipe.validate_attack``).
"""

from __future__ import annotations

from typing import Any, Callable

from .engine.specs import NON_PARAMS, attack_params
from .errors import ParamError
from .plugins import PluginHost, get_host
from .recipe import (ARCH_PROVIDED, DATA_PROVIDED, SCHEDULE_PROVIDED, _check_component, _component,
                     validate_attack)

#: leading positional arguments of each kind's factory (``attack(model, ...)``): not user parameters
POSITIONAL: dict[str, int] = {"attack": 1, "transform": 1, "optimizer": 1, "schedule": 1, "logger": 1,
                              "certifier": 1}
#: parameters robustx fills in itself for each kind (a user giving them is an error)
PROVIDED: dict[str, tuple[str, ...]] = {"architecture": ARCH_PROVIDED, "schedule": SCHEDULE_PROVIDED,
                                        "dataset": DATA_PROVIDED}
#: keys of an attack spec that the evaluator reads itself, never factory parameters
EVALUATION_KEYS = tuple(k for k in NON_PARAMS if k != "name")


def check_spec(kind: str, spec: Any, where: str, host: PluginHost | None = None) -> dict[str, Any]:
    """The validated spec ``{name, **params}`` of a component of ``kind``; raises a one-line error naming ``where``.

    ``spec`` is a name or a mapping with ``name``. Numbers written as ``8/255`` come back as floats;
    defaults are not filled in (a recipe's resolved copy does that itself).
    """
    host = host or get_host()
    if kind == "attack":
        return validate_attack(spec, where, host)
    spec = _component(spec, where)
    params = _check_component(host, kind, spec, where, positional=POSITIONAL.get(kind, 0),
                              provided=PROVIDED.get(kind, ()))
    return {"name": spec["name"], **params}


def check_attack_params(name: str, params: dict[str, Any], where: str,
                        host: PluginHost | None = None) -> dict[str, Any]:
    """``create_attack(name, model, **params)``'s check: the factory parameters only, validated by :func:`check_spec`."""
    extra = [k for k in EVALUATION_KEYS if k in params]
    if extra:
        raise ParamError(f"{where}.{extra[0]}: an evaluation option, not a parameter of attack {name!r}; "
                         "give it in an attack spec to robustx.evaluate or a recipe")
    checked = check_spec("attack", {"name": name, **params}, where, host)
    return {k: v for k, v in checked.items() if k != "name"}


def attack_builder(host: PluginHost) -> Callable[[dict[str, Any], Any], Any]:
    """``create_attack(spec, model)``: what the evaluator, the defenses and the audit are handed.

    Every spec is checked by :func:`check_spec` before it is built, so an attack spec made by code
    (the audit's probes, a defense's inner attack, an analysis's curve) meets the recipe's rules.
    """
    def create_attack(spec: dict[str, Any], model: Any) -> Any:  # the registry is built on first use
        checked = check_spec("attack", spec, f"attack {spec.get('name')!r}" if isinstance(spec, dict) else "attack",
                             host)
        return host.registry("attack").create(checked["name"], model, **attack_params(checked))

    return create_attack


#: keyword arguments of robustx.create_model that are not architecture parameters
MODEL_OPTIONS = ("num_classes", "in_channels", "image_size", "mean", "std", "transforms", "host")


def check_model_kwargs(name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``robustx.create_model``'s keyword arguments with the architecture parameters and transforms checked."""
    host = kwargs.get("host") or get_host()
    params = {k: v for k, v in kwargs.items() if k not in MODEL_OPTIONS}
    checked = check_spec("architecture", {"name": name, **params}, "model", host)
    transforms = [check_spec("transform", t, f"model.transforms[{i}]", host)
                  for i, t in enumerate(kwargs.get("transforms") or ())]
    options = {k: v for k, v in kwargs.items() if k in MODEL_OPTIONS}
    return {**options, **{k: v for k, v in checked.items() if k != "name"},
            **({"transforms": transforms} if "transforms" in kwargs else {})}
