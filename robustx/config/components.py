"""One validation path for component specs, whatever the entry (issue 24).

Why: a budget that a recipe refuses ("Linf eps 8 ... did you mean 8/255?") must be refused the
same way by ``robustx.create_attack``, ``robustx eval --attack``, ``robustx.evaluate``, the
analyses, the audit and the attacks a defense builds; otherwise the check protects only one door.
Every one of them calls :func:`check_spec`, which resolves the name, checks the parameters against
the factory's annotations (a pydantic model built from its signature, ``robustx.config.params.param_model``,
nested specs included) and, for attacks, the
threat-model budget, restarts, EOT and label rules (:func:`validate_attack`).
"""

from __future__ import annotations

import copy
import inspect
from typing import Annotated, Any, Callable

from robustx.base.errors import ParamError, RobustxError, UnknownNameError, short
from robustx.config.markers import Range, parse_number
from robustx.config.params import accepted_params, coerce, validate_params
from robustx.config.published import check_label
from robustx.config.specs import NON_PARAMS, attack_params
from robustx.config.threat import check_budget, declared_threat, resolve_threat
from robustx.host.manager import PluginHost, get_host

#: what robustx passes each factory itself
ARCH_PROVIDED = ("num_classes", "in_channels", "image_size")
SCHEDULE_PROVIDED = ("epochs", "steps_per_epoch")
DATA_PROVIDED = ("root", "download")
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
    spec = as_spec(spec, where)
    params = check_component(host, kind, spec, where, positional=POSITIONAL.get(kind, 0),
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


# -- the checks behind check_spec (recipes call them for each section's components) ----------
def as_spec(value: Any, where: str) -> dict[str, Any]:
    if isinstance(value, str):
        return {"name": value}
    if not isinstance(value, dict):
        raise ParamError(f"{where}: expected a component like {{name: ..., ...}}, got {short(value)}")
    if "name" not in value:
        raise ParamError(f"{where}: a component needs a 'name'")
    return dict(value)


def with_defaults(host: PluginHost, kind: str, spec: Any, where: str, *, positional: int = 0,
                   provided: tuple[str, ...] = ()) -> dict[str, Any]:
    """A validated component with every factory default written out (the run's recipe.yaml shows them)."""
    spec = as_spec(spec, where)
    params = check_component(host, kind, spec, where, positional=positional, provided=provided)
    named, _ = accepted_params(host.registry(kind).get(spec["name"]).factory, positional)
    ordered = {n: params[n] if n in params else copy.deepcopy(p.default) for n, p in named.items()
               if n in params or (n not in provided and p.default is not inspect.Parameter.empty)}
    return {"name": spec["name"], **ordered, **params}


def validate_attack(spec: Any, where: str, host: PluginHost) -> dict[str, Any]:
    spec = as_spec(spec, where)
    label = spec.pop("label", None)
    if label is not None and not isinstance(label, str):
        raise ParamError(f"{where}.label: expected a string (the column title in tables), got {short(label)}")
    labelled = {"label": label} if label else {}
    restarts = _count(spec.pop("restarts", 1), f"{where}.restarts", "runs of the attack, worst kept")
    eot_samples = spec.pop("eot_samples", None)
    if eot_samples is not None:
        eot_samples = _count(eot_samples, f"{where}.eot_samples",
                             "noise draws averaged per attack gradient on a randomized model; 1 = no EOT")
    if spec["name"] == "clean":
        if len(spec) > 1 or restarts != 1 or eot_samples is not None:
            raise ParamError(f"{where}: the 'clean' pseudo-attack takes no parameters")
        return {**spec, **labelled}
    _check_budget_first(host, spec, where)
    params = check_component(host, "attack", spec, where, positional=1)
    resolved = host.registry("attack").resolve(spec["name"])
    _check_attack_budget(resolved, params, where)
    if label:
        registry = host.registry("attack")
        check_label(label, spec["name"], resolved.entry.factory, (registry.get(n).factory for n in registry.names()),
                    where)
    if restarts != 1:
        _check_restarts(resolved, params, where)
        labelled["restarts"] = restarts
    if eot_samples is not None:
        labelled["eot_samples"] = eot_samples
    return {"name": spec["name"], **params, **labelled}


def _count(value: Any, where: str, meaning: str) -> int:
    """A whole number >= 1, read the way every integer parameter is (``coerce``), with what it counts."""
    try:
        return coerce(value, Annotated[int, Range(ge=1)], where)
    except ParamError:
        raise ParamError(f"{where}: expected a whole number >= 1 ({meaning}), got {short(value)}") from None


def _check_restarts(resolved: Any, params: dict[str, Any], where: str) -> None:
    """``restarts: N`` needs a seeded, bounded attack: each restart runs with the next seed."""
    if "seed" not in inspect.signature(resolved.entry.factory).parameters:
        raise ParamError(f"{where}.restarts: attack {resolved.entry.name!r} takes no seed, so its restarts would "
                         "not differ; use an attack with a random start and a seed (e.g. pgd)")
    threat = resolve_threat(resolved.entry.factory, {**resolved.implied, **params})
    if threat and threat.get("minimum_norm"):
        raise ParamError(f"{where}.restarts: {resolved.entry.name!r} is a minimum-norm attack; restarts apply "
                         "to attacks with a fixed budget (eps)")


def _check_budget_first(host: PluginHost, spec: dict[str, Any], where: str) -> None:
    """A budget beyond the [0,1] range is reported by the threat rule before a factory's own bound, so
    ``eps: 8`` gets "did you mean 8/255?" from every Linf attack, not "must be <= 1" from some."""
    try:
        resolved = host.registry("attack").resolve(spec["name"])
    except RobustxError:
        return  # an unknown name is reported with its field by check_component
    declared = declared_threat(resolved.entry.factory)
    if declared is None or declared.eps_param not in spec:
        return
    try:
        numbers = {k: parse_number(v, f"{where}.{k}") for k, v in spec.items() if k != "name"}
    except ParamError:
        return  # '8/0' and friends: the parameter check words it
    eps = numbers[declared.eps_param]
    if isinstance(eps, (int, float)) and not isinstance(eps, bool) and 1 < eps < float("inf"):
        _check_attack_budget(resolved, numbers, where)


def _check_attack_budget(resolved: Any, params: dict[str, Any], where: str) -> None:
    """Bound eps by its norm and the [0,1] data range, from the attack's one threat declaration."""
    threat = resolve_threat(resolved.entry.factory, {**resolved.implied, **params})
    if threat and "eps" in threat:
        check_budget(threat["norm"], threat["eps"], f"{where}.{declared_threat(resolved.entry.factory).eps_param}")


def _nested(host: PluginHost) -> Any:
    """The validator for component specs inside parameters (a defense's ``attack``, an analysis's ``attacks``)."""
    def check(kind: str, value: Any, where: str) -> Any:
        if kind == "attack":
            return validate_attack(value, where, host)
        spec = as_spec(value, where)
        return {"name": spec["name"], **check_component(host, kind, spec, where)}
    return check


def check_component(host: PluginHost, kind: str, spec: dict[str, Any], where: str, *,
                     positional: int = 0, provided: tuple[str, ...] = ()) -> dict[str, Any]:
    """Resolve ``spec['name']`` in the ``kind`` registry and validate the remaining keys as its params.

    Parameters that hold component specs (see ``robustx.config.params.nested_kind``) are validated too,
    for built-in and third-party factories alike.
    """
    try:
        resolved = host.registry(kind).resolve(spec["name"])
    except UnknownNameError as exc:
        raise UnknownNameError(f"{where}.name: {exc}") from None
    check_name = getattr(resolved.entry.factory, "check_name", None)
    if resolved.implied and callable(check_name):  # a pattern entry may verify the rest of the name
        try:
            check_name(**resolved.implied)
        except UnknownNameError as exc:
            raise UnknownNameError(f"{where}.name: {exc}") from None
    params = {k: v for k, v in spec.items() if k != "name"}
    return validate_params(resolved.entry.factory, params, where, positional=positional,
                           provided=provided + tuple(resolved.implied), nested=_nested(host))


def validate_defense(spec: Any, where: str, host: PluginHost) -> dict[str, Any]:
    spec = as_spec(spec, where)
    return {"name": spec["name"], **check_component(host, "defense", spec, where)}
