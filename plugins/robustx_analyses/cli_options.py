"""Click options generated from an analysis factory's signature, so the CLI never re-declares them.

Each keyword parameter becomes ``--name`` with the factory's default; its annotation decides the
rest and values are checked by ``robustx.config.params.coerce``, exactly like the same key in a recipe
(``8/255`` exact, ranges, choices with did-you-mean). ``bool`` becomes ``--name/--no-name``; a
list becomes a repeatable option; a list of mappings (attack specs) is written like ``robustx
eval --attack "pgd eps=8/255 steps=20"``. Import-light: click and the standard library only.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Callable
from typing import Any

import click

_INT = re.compile(r"^\s*[-+]?\d+\s*$")


def _strip_optional(tp: Any) -> tuple[Any, bool]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def _base(tp: Any) -> Any:
    """int, float, str, bool, a Literal, list or dict under Annotated[...] and Optional[...]."""
    tp, _ = _strip_optional(tp)
    return _base(typing.get_args(tp)[0]) if typing.get_origin(tp) is typing.Annotated else tp


def _describe(tp: Any) -> str:
    """The metavar: '[random|ce]', 'INTEGER 3..401', 'NUMBER >0'."""
    base = _base(tp)
    if typing.get_origin(base) is typing.Literal:
        return "[" + "|".join(str(c) for c in typing.get_args(base)) + "]"
    word = {int: "INTEGER", float: "NUMBER"}.get(base, "TEXT")
    bounds = [m for m in (typing.get_args(tp)[1:] if typing.get_origin(tp) is typing.Annotated else ())
              if hasattr(m, "ge")]
    for b in bounds:
        low = f">={b.ge:g}" if b.ge is not None else (f">{b.gt:g}" if b.gt is not None else "")
        high = f"<={b.le:g}" if b.le is not None else (f"<{b.lt:g}" if b.lt is not None else "")
        if b.ge is not None and b.le is not None:
            word += f" {b.ge:g}..{b.le:g}"
        elif low or high:
            word += " " + " ".join(x for x in (low, high) if x)
    return word


class AnnotatedValue(click.ParamType):
    """A value checked against a factory annotation by ``robustx.config.params.coerce`` (one-line errors, exit 2)."""

    def __init__(self, tp: Any, where: str) -> None:
        self.tp, self.where = tp, where
        self.name = _describe(tp)

    def get_metavar(self, param: Any, ctx: Any = None) -> str:
        return self.name

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        from robustx.base.errors import ParamError
        from robustx.config.params import coerce

        if not isinstance(value, str):  # a default, already typed
            return value
        if _base(self.tp) is int and _INT.match(value):
            value = int(value)
        try:
            return coerce(value, self.tp, self.where)
        except ParamError as exc:
            self.fail(str(exc), param, ctx)


class AttackSpec(click.ParamType):
    """'pgd eps=8/255 steps=20' or '{name: pgd, eps: 8/255}' -> an attack spec (as ``robustx eval --attack``)."""

    name = "ATTACK"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        from robustx.base.errors import RobustxError
        from robustx.cli.eval_cmd import parse_attack_option

        if isinstance(value, dict):
            return value
        try:  # checked like a recipe's attack (robustx.config.components.check_spec), named by this option's flag
            return parse_attack_option(value, param.opts[0] if param is not None and param.opts else "--attack")
        except RobustxError as exc:
            self.fail(str(exc), param, ctx)


def factory_options(factory: Callable[..., Any], *, skip: tuple[str, ...] = (), flags: dict[str, str] | None = None,
                    help_for: Callable[[str], str | None] = lambda _name: None) -> list[click.Option]:
    """One click option per keyword parameter of ``factory`` (except ``skip``); ``flags`` renames options."""
    hints = typing.get_type_hints(factory, include_extras=True)
    options = []
    for name, param in inspect.signature(factory).parameters.items():
        if name in skip or param.kind not in (param.KEYWORD_ONLY, param.POSITIONAL_OR_KEYWORD):
            continue
        tp, default = hints.get(name, Any), param.default
        flag = "--" + (flags or {}).get(name, name).replace("_", "-")
        common = dict(help=help_for(name), show_default=default not in (None, [], ()))
        base = _base(tp)
        if base is bool:
            options.append(click.Option([f"{flag}/--no-{flag[2:]}", name], default=default, **common))
        elif typing.get_origin(base) is list or base is list:
            item = (typing.get_args(base) or (Any,))[0]
            kind = AttackSpec() if _base(item) is dict or typing.get_origin(_base(item)) is dict \
                else AnnotatedValue(item, flag)
            shown = [d if isinstance(d, str) else d.get("name") for d in default] if default else None
            options.append(click.Option([flag, name], type=kind, multiple=True, default=None, help=common["help"],
                                        show_default=", ".join(map(str, shown)) if shown else False))
        else:
            options.append(click.Option([flag, name], type=AnnotatedValue(tp, flag), default=default, **common))
    return options


def factory_params(values: dict[str, Any]) -> dict[str, Any]:
    """The parsed options as factory keywords: an unused repeatable option keeps the factory's default."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()
            if not (isinstance(v, tuple) and not v)}
