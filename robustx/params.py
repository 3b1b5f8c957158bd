"""Declarative parameter checking for factories (types, ranges, choices, exact fractions).

Factories annotate their keyword parameters; robustx checks a recipe against them before
any work starts, so ``eps: -0.1`` or ``steps: 0`` fails in a second, not after an epoch::

    def pgd(model, *, eps: Annotated[float, Range(ge=0)] = 8/255,
            steps: Annotated[int, Range(ge=1)] = 10,
            norm: Literal["Linf", "L2"] = "Linf") -> Attack: ...

Numbers may be written as exact fractions (``8/255``); they are parsed with
``fractions.Fraction``, never ``eval``.
"""

from __future__ import annotations

import inspect
import re
import sys
import types
import typing
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

from .errors import ParamError, did_you_mean

_FRACTION = re.compile(r"^\s*[-+]?\d+(\.\d*)?(e[-+]?\d+)?\s*/\s*[-+]?\d+(\.\d*)?(e[-+]?\d+)?\s*$", re.I)
_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?\s*$", re.I)


@dataclass(frozen=True)
class Range:
    """Bounds for a numeric parameter, used inside ``typing.Annotated``."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None

    def check(self, value: float, where: str) -> None:
        for bound, ok, word in (
            (self.ge, lambda v, b: v >= b, ">="),
            (self.gt, lambda v, b: v > b, ">"),
            (self.le, lambda v, b: v <= b, "<="),
            (self.lt, lambda v, b: v < b, "<"),
        ):
            if bound is not None and not ok(value, bound):
                raise ParamError(f"{where}: must be {word} {bound:g}, got {value:g}")


def parse_fraction(text: str, where: str) -> float:
    """Parse '8/255' exactly (Fraction), reporting '8/0' as a one-line error."""
    num, den = text.split("/")
    try:
        return float(Fraction(num.strip()) / Fraction(den.strip()))
    except ZeroDivisionError:
        raise ParamError(f"{where}: '{text.strip()}' divides by zero") from None


def parse_number(value: Any, where: str) -> Any:
    """Turn numeric strings ('8/255', '0.03', '1e-3') into floats; leave anything else alone."""
    if isinstance(value, str):
        if _FRACTION.match(value):
            return parse_fraction(value, where)
        if _NUMBER.match(value):
            return float(value)
    return value


def _resolve_hints(func: Callable[..., Any]) -> dict[str, Any]:
    """Per-parameter annotation evaluation: a lazily-imported type only skips its own check."""
    target = inspect.unwrap(func)
    if inspect.isclass(target):
        target = target.__init__
    raw = getattr(target, "__annotations__", {}) or {}
    module = sys.modules.get(getattr(target, "__module__", ""), None)
    namespace = dict(vars(module)) if module else {}
    namespace.setdefault("typing", typing)
    hints: dict[str, Any] = {}
    for name, annotation in raw.items():
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, namespace)  # noqa: S307 - annotation strings of our own code
            except Exception:  # noqa: BLE001
                continue
        hints[name] = annotation
    return hints


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def coerce(value: Any, tp: Any, where: str) -> Any:
    """Check ``value`` against annotation ``tp`` (converting fractions and numeric strings)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(tp)
        value = coerce(value, base, where)
        for item in meta:
            if isinstance(item, Range) and isinstance(value, (int, float)) and not isinstance(value, bool):
                item.check(value, where)
        return value
    if tp is Any or tp is inspect.Parameter.empty:
        return parse_number(value, where)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return coerce(value, option, where)
            except ParamError as exc:
                errors.append(str(exc))
        raise ParamError(errors[0] if len(errors) == 1 else f"{where}: {value!r} is not a valid {_type_name(tp)}")
    if origin is typing.Literal:
        choices = typing.get_args(tp)
        if value in choices:
            return value
        shown = ", ".join(repr(c) for c in choices)
        hint = did_you_mean(str(value), [str(c) for c in choices])
        raise ParamError(f"{where}: {value!r} is not one of {shown}{hint}")
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ParamError(f"{where}: expected true or false, got {value!r}")
    if tp is float:
        value = parse_number(value, where)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ParamError(f"{where}: expected a number, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ParamError(f"{where}: expected an integer, got {value!r}")
    if tp is str:
        if isinstance(value, str):
            return value
        raise ParamError(f"{where}: expected a string, got {value!r}")
    if origin in (list, tuple, typing.Sequence) or tp in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ParamError(f"{where}: expected a list, got {value!r}")
        args = typing.get_args(tp)
        if origin is tuple and len(args) >= 1 and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise ParamError(f"{where}: expected {len(args)} items, got {len(value)}")
            return tuple(coerce(v, t, f"{where}[{i}]") for i, (v, t) in enumerate(zip(value, args)))
        item_tp = args[0] if args else Any
        items = [coerce(v, item_tp, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise ParamError(f"{where}: expected a mapping, got {value!r}")
        return value
    return parse_number(value, where)


def accepted_params(factory: Callable[..., Any], positional: int = 0) -> tuple[dict[str, inspect.Parameter], bool]:
    """Keyword parameters a factory accepts (after ``positional`` leading ones) and whether it takes **kwargs."""
    sig = inspect.signature(factory)
    params = list(sig.parameters.values())
    named: dict[str, inspect.Parameter] = {}
    takes_kwargs = False
    skipped = 0
    for p in params:
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            takes_kwargs = True
        elif p.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        elif p.kind is inspect.Parameter.POSITIONAL_ONLY or (
            p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and skipped < positional
        ):
            skipped += 1
        else:
            named[p.name] = p
    return named, takes_kwargs


def validate_params(
    factory: Callable[..., Any],
    params: dict[str, Any],
    where: str,
    *,
    positional: int = 0,
    provided: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Check ``params`` against ``factory``'s signature; return them with values coerced.

    ``positional`` leading parameters (like an attack's ``model``) and the ``provided`` names
    (filled in by robustx itself, like ``num_classes``) are not expected from the user.
    """
    named, takes_kwargs = accepted_params(factory, positional)
    hints = _resolve_hints(factory)
    out: dict[str, Any] = {}
    for key, value in params.items():
        spot = f"{where}.{key}"
        if key in provided:
            raise ParamError(f"{spot}: is set by robustx itself and cannot be given here")
        if key not in named:
            if takes_kwargs:
                out[key] = parse_number(value, spot)
                continue
            choices = [n for n in named if n not in provided]
            raise ParamError(
                f"{spot}: unknown parameter{did_you_mean(key, choices)}; accepted: {', '.join(choices) or 'none'}"
            )
        out[key] = coerce(value, hints.get(key, named[key].annotation), spot)
    missing = [
        n for n, p in named.items()
        if p.default is inspect.Parameter.empty and n not in out and n not in provided
    ]
    if missing:
        raise ParamError(f"{where}: missing required parameter '{missing[0]}'")
    return out
