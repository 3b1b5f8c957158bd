"""A JSON Schema of recipes, generated from the same tables and factory signatures that validation reads.

For editors (YAML language servers autocomplete and flag keys from it); ``robustx recipe validate``
stays the authority: budgets, nested checks and did-you-mean messages are beyond JSON Schema. The
schema is built from the registries at call time, so third-party components appear in it too.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from .params import Range, accepted_params, resolve_hints, type_from_default
from .plugins import PluginHost, get_host
from .recipe import (ARCH_PROVIDED, DATA_KEYS, DATA_PROVIDED, EARLY_STOPPING_KEYS, EVALUATE_KEYS, MODEL_KEYS,
                     SCHEDULE_PROVIDED, TRAIN_KEYS)

FRACTION = {"type": "string", "pattern": r"^\s*[-+]?[0-9.eE+-]+\s*/\s*[-+]?[0-9.eE+-]+\s*$"}


def type_schema(tp: Any) -> dict[str, Any]:
    """JSON Schema of one annotation (numbers also accept exact fractions written as '8/255')."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(tp)
        schema = type_schema(base)
        for item in meta:
            if isinstance(item, Range):
                target = schema["anyOf"][0] if "anyOf" in schema else schema
                for key, bound in (("minimum", item.ge), ("exclusiveMinimum", item.gt), ("maximum", item.le),
                                   ("exclusiveMaximum", item.lt)):
                    if bound is not None:
                        target[key] = bound
        return schema
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [type_schema(option) for option in typing.get_args(tp)]}
    if origin is typing.Literal:
        return {"enum": list(typing.get_args(tp))}
    if tp is type(None):
        return {"type": "null"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"anyOf": [{"type": "number"}, FRACTION]}
    if tp is str:
        return {"type": "string"}
    if origin in (list, tuple) or tp in (list, tuple):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        return {"type": "array", **({"items": type_schema(args[0])} if len(set(args)) == 1 else {})}
    if origin is dict or tp is dict:
        return {"type": "object"}
    return {}


def _table(keys: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
    return {key: type_schema(tp) for key, (tp, _) in keys.items()}


def component_schema(host: PluginHost, kind: str, *, positional: int = 0, provided: tuple[str, ...] = (),
                     extra: dict[str, Any] | None = None, allow_name: bool = True) -> dict[str, Any]:
    """One ``{name: ..., **params}`` alternative per registered entry (or its bare name)."""
    options: list[dict[str, Any]] = []
    names: list[str] = []
    for entry in host.registry(kind).entries():
        if entry.conflict:
            continue
        named, takes_kwargs = accepted_params(entry.factory, positional)
        hints = resolve_hints(entry.factory)
        params = {n: type_schema(hints.get(n, type_from_default(p.default)))
                  for n, p in named.items() if n not in provided}
        pattern = entry.pattern
        name = {"type": "string", "pattern": f"^{pattern[0]}.+"} if pattern else \
            {"enum": [entry.name, *entry.aliases]}
        options.append({"type": "object", "description": entry.description, "required": ["name"],
                        "properties": {"name": name, **params, **(extra or {})},
                        "additionalProperties": takes_kwargs})
        names.append(entry.name)
    if allow_name:
        options.append({"type": "string", "enum": names})
    return {"anyOf": options}


def recipe_schema(host: PluginHost | None = None) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a single recipe; studies (variants/sweep) are left open."""
    host = host or get_host()
    count = {"type": "integer", "minimum": 1}
    attack = component_schema(host, "attack", positional=1,
                              extra={"label": {"type": "string"}, "restarts": count, "eot_samples": count})
    attack["anyOf"].append({"const": "clean"})
    train = _table(TRAIN_KEYS)
    train.update({
        "optimizer": component_schema(host, "optimizer", positional=1),
        "schedule": component_schema(host, "schedule", positional=1, provided=SCHEDULE_PROVIDED),
        "defense": component_schema(host, "defense"),
        "val_attack": {"anyOf": [attack, {"type": "null"}]},
        "early_stopping": {"anyOf": [{"type": "null"}, {"type": "object", "properties": _table(EARLY_STOPPING_KEYS),
                                                        "additionalProperties": False}]},
    })
    data = {**component_schema(host, "dataset", provided=DATA_PROVIDED, extra=_table(DATA_KEYS), allow_name=False)}
    for option in data["anyOf"]:
        option["properties"]["augment"] = component_schema(host, "augmentation")
    evaluate = {**_table(EVALUATE_KEYS), "attacks": {"type": "array", "items": attack, "minItems": 1}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "robustx recipe",
        "type": "object",
        "required": ["name", "data", "model"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"}, "description": {"type": "string"}, "seed": {"type": "integer", "minimum": 0},
            "data": data,
            "model": component_schema(host, "architecture", provided=ARCH_PROVIDED, extra={
                **_table(MODEL_KEYS), "transforms": {"type": "array", "items": component_schema(
                    host, "transform", positional=1)}}),
            "train": {"type": "object", "properties": train, "additionalProperties": False},
            "evaluate": {"type": "object", "properties": evaluate, "additionalProperties": False},
            "report": {"type": "object", "additionalProperties": False, "properties": {
                "analyses": {"type": "array", "items": component_schema(host, "analysis")}}},
            "variants": {}, "sweep": {}, "paper": {},
        },
    }
