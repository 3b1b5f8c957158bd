"""A JSON Schema of recipes, derived from the tables and factory signatures that validation reads.

For editors (YAML language servers autocomplete and flag keys from it); ``robustx recipe validate``
stays the authority: budgets, nested checks and did-you-mean messages are beyond JSON Schema.
Nothing here restates a rule: each section's keys and types come from its ``*_KEYS`` table in
:mod:`robustx.config.recipe` (a key's nested table is found by name, ``ema`` -> ``EMA_KEYS``), every
component from its registry and factory annotations (``Component(kind)`` markers, ``Range``,
``Literal``), and the attack spec's own keys from the evaluator's (``NON_PARAMS``). A key added to a
table, or a component to a registry, is in the schema with no change here.
"""

from __future__ import annotations

import inspect
import types
import typing
from typing import Any

from robustx.config import recipe as tables
from robustx.config.components import POSITIONAL, PROVIDED
from robustx.config.specs import NON_PARAMS
from robustx.config.params import Component, Range, accepted_params, nested_kind, resolve_hints, type_from_default
from robustx.host.manager import PluginHost, get_host

#: numbers may be written as strings: exact fractions (8/255) and what YAML 1.1 leaves a string (1e-3)
NUMBER_TEXT = {"type": "string", "pattern": r"^\s*[-+]?[0-9.]+([eE][-+]?[0-9]+)?(\s*/\s*[-+]?[0-9.]+([eE][-+]?[0-9]+)?)?\s*$"}
FRACTION = NUMBER_TEXT  # the name older code imports
#: the sections whose mapping is a component of a registry (its name plus the factory's parameters)
SECTION_KINDS = {"data": "dataset", "model": "architecture"}
#: top-level keys outside the section tables: what recipe.validate reads before the sections
TOP_LEVEL = {"name": str, "description": str, "seed": typing.Annotated[int, Range(ge=0, le=tables.INT_MAX)],
             "loggers": list[typing.Annotated[Any, Component("logger")]]}
#: the attack spec's keys that are not factory parameters (robustx.config.specs.NON_PARAMS), typed
SPEC_KEYS = {"label": str, "restarts": typing.Annotated[int, Range(ge=1)],
             "eot_samples": typing.Annotated[int, Range(ge=1)]}


class _Builder:
    """Builds component schemas once per kind; a kind that refers to itself gets a ``$ref``."""

    def __init__(self, host: PluginHost) -> None:
        self.host = host
        self.done: dict[str, dict[str, Any]] = {}
        self.building: set[str] = set()
        self.defs: dict[str, dict[str, Any]] = {}

    # -- annotations ---------------------------------------------------------------------
    def type_schema(self, tp: Any, name: str = "") -> dict[str, Any]:
        """JSON Schema of one annotation (numbers also accept '8/255'); component markers become components."""
        shape = nested_kind(name, tp) if name else None
        if shape is not None:
            kind, many = shape
            item = self.component(kind)
            out = {"type": "array", "items": item} if many else item
            return {"anyOf": [out, {"type": "null"}]} if _optional(tp) else out
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            base, *meta = typing.get_args(tp)
            marked = next((m.kind for m in meta if isinstance(m, Component)), None)
            if marked:
                return self.component(marked)
            schema = self.type_schema(base)
            for item in meta:
                if isinstance(item, Range):
                    target = schema["anyOf"][0] if "anyOf" in schema else schema
                    for key, bound in (("minimum", item.ge), ("exclusiveMinimum", item.gt), ("maximum", item.le),
                                       ("exclusiveMaximum", item.lt)):
                        if bound is not None:
                            target[key] = bound
            return schema
        if origin in (typing.Union, types.UnionType):
            return {"anyOf": [self.type_schema(option) for option in typing.get_args(tp)]}
        if origin is typing.Literal:
            return {"enum": list(typing.get_args(tp))}
        if tp is type(None):
            return {"type": "null"}
        if tp is bool:
            return {"type": "boolean"}
        if tp is int:
            return {"type": "integer"}
        if tp is float:
            return {"anyOf": [{"type": "number"}, dict(NUMBER_TEXT)]}
        if tp is str:
            return {"type": "string"}
        if origin in (list, tuple, typing.Sequence) or tp in (list, tuple):
            args = [a for a in typing.get_args(tp) if a is not Ellipsis]
            return {"type": "array", **({"items": self.type_schema(args[0])} if len(set(map(repr, args))) == 1 else {})}
        if origin is dict or tp is dict:
            return {"type": "object"}
        return {}

    # -- components ----------------------------------------------------------------------
    def component(self, kind: str) -> dict[str, Any]:
        """Every registered entry of ``kind`` as ``{name: ..., **params}``, or its bare name."""
        if kind in self.done:
            return self.done[kind]
        if kind in self.building:  # e.g. an attack that takes an attack: refer, do not expand forever
            self.defs.setdefault(kind, {})
            return {"$ref": f"#/$defs/{kind}"}
        self.building.add(kind)
        schema = self.entries(kind, extra=self.spec_keys() if kind == "attack" else {})
        if kind == "attack":  # the evaluator's pseudo-attack: a name and a label, nothing else
            schema["anyOf"] += [{"const": "clean"}, {"type": "object", "required": ["name"], "additionalProperties": False,
                                                     "properties": {"name": {"enum": ["clean"]}, "label": {"type": "string"}}}]
        self.building.discard(kind)
        self.done[kind] = schema
        if kind in self.defs:
            self.defs[kind] = schema
        return schema

    def spec_keys(self) -> dict[str, Any]:
        assert set(SPEC_KEYS) == set(NON_PARAMS) - {"name"}, "a new evaluator key needs its type in SPEC_KEYS"
        return {key: self.type_schema(tp) for key, tp in SPEC_KEYS.items()}

    def entries(self, kind: str, *, extra: dict[str, Any] | None = None, bare: bool = True) -> dict[str, Any]:
        options: list[dict[str, Any]] = []
        names: list[dict[str, Any]] = []
        positional, provided = POSITIONAL.get(kind, 0), PROVIDED.get(kind, ())
        for entry in self.host.registry(kind).entries():
            if entry.conflict:
                continue
            named, takes_kwargs = accepted_params(entry.factory, positional)
            hints = resolve_hints(entry.factory)
            params = {n: self.type_schema(_annotation(hints, n, p), n) for n, p in named.items() if n not in provided}
            pattern = entry.pattern
            name = {"type": "string", "pattern": f"^{_escape(pattern[0])}.+"} if pattern else \
                {"enum": [entry.name, *entry.aliases]}
            options.append({"type": "object", "description": entry.description, "required": ["name"],
                            "properties": {"name": name, **params, **(extra or {})},
                            "additionalProperties": takes_kwargs})
            names.append({"type": "string", **({"pattern": name["pattern"]} if pattern else {"enum": name["enum"]})})
        if bare:
            options += names
        return {"anyOf": options}

    # -- sections ------------------------------------------------------------------------
    def table(self, keys: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
        """The properties of one ``*_KEYS`` table; a mapping key with its own table (``ema`` -> ``EMA_KEYS``) nests it."""
        props = {}
        for key, (tp, _default) in keys.items():
            nested = getattr(tables, f"{key.upper()}_KEYS", None)
            if isinstance(nested, dict) and _mapping(tp):
                inner = {"type": "object", "properties": self.table(nested), "additionalProperties": False}
                props[key] = {"anyOf": [inner, {"type": "null"}]} if _optional(tp) else inner
            else:
                props[key] = self.type_schema(tp, key)
        return props

    def section(self, name: str) -> dict[str, Any]:
        keys = getattr(tables, f"{name.upper()}_KEYS", None)
        if name in SECTION_KINDS:
            return self.entries(SECTION_KINDS[name], extra=self.table(keys or {}), bare=False)
        if name in TOP_LEVEL:
            return self.type_schema(TOP_LEVEL[name], name)
        if isinstance(keys, dict):
            return {"type": "object", "properties": self.table(keys), "additionalProperties": False}
        return {}  # studies (variants, sweep, grid) and free-form sections stay open


def _annotation(hints: dict[str, Any], name: str, param: inspect.Parameter) -> Any:
    if name in hints:
        return hints[name]
    if param.annotation is not inspect.Parameter.empty and not isinstance(param.annotation, str):
        return param.annotation
    return type_from_default(param.default) if param.default is not inspect.Parameter.empty else Any


def _optional(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp)


def _mapping(tp: Any) -> bool:
    options = typing.get_args(tp) if _optional(tp) else (tp,)
    return any(o is dict or typing.get_origin(o) is dict for o in options)


def _escape(text: str) -> str:
    return "".join("\\" + c if c in r".^$*+?()[]{}|\\" else c for c in text)


def type_schema(tp: Any, host: PluginHost | None = None) -> dict[str, Any]:
    """JSON Schema of one annotation (kept for callers of the old module-level function)."""
    return _Builder(host or get_host()).type_schema(tp)


def recipe_schema(host: PluginHost | None = None) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a single recipe; studies (variants/sweep/grid) are left open."""
    builder = _Builder(host or get_host())
    properties = {name: builder.section(name) for name in tables.SECTIONS}
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "robustx recipe",
        "type": "object",
        "required": list(tables.REQUIRED),
        "additionalProperties": False,
        "properties": properties,
    }
    if builder.defs:
        schema["$defs"] = builder.defs
    return schema
