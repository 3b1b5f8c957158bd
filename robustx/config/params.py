"""Declarative parameter checking for factories (types, ranges, choices, exact fractions).

Factories annotate their keyword parameters; robustx checks a recipe against them before
any work starts, so ``eps: -0.1`` or ``steps: 0`` fails in a second, not after an epoch::

    def pgd(model, *, eps: Annotated[float, Range(ge=0)] = 8/255,
            steps: Annotated[int, Range(ge=1)] = 10,
            norm: Literal["Linf", "L2"] = "Linf") -> Attack: ...

Numbers may be written as exact fractions (``8/255``); they are parsed with
``fractions.Fraction``, never ``eval``. Non-finite floats (``.inf``, ``.nan``) and integers that
do not fit in 64 bits are rejected everywhere, because every such value ends in a silent NaN
run or an overflow deep inside torch. A parameter without an annotation is checked against the
type of its default, so a third-party ``def make(model, eps=0.1)`` rejects ``eps: "abc"`` too.

Parameters that hold other components (an ``attack:`` of a defense, the ``attacks:`` of an
analysis) are handed to a ``nested`` validator, so they get the same checks wherever they sit;
see :func:`nested_kind`.
"""

from __future__ import annotations

import inspect
import math
import re
import sys
import types
import typing
from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, Any, Callable

from robustx.base.errors import ParamError, did_you_mean, short

_FRACTION = re.compile(r"^\s*[-+]?\d+(\.\d*)?(e[-+]?\d+)?\s*/\s*[-+]?\d+(\.\d*)?(e[-+]?\d+)?\s*$", re.I)
_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?\s*$", re.I)
INT_MAX = 2**63 - 1  # torch's int64: seeds, step counts and sizes all end up there


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


@dataclass(frozen=True)
class AllowNonFinite:
    """Marker inside ``typing.Annotated``: this float may be ``inf`` (or ``nan``) on purpose."""


@dataclass(frozen=True)
class Check:
    """Marker inside ``typing.Annotated``: ``fn(value, where)`` checks a structured value (raises ParamError).

    Lets a factory's mapping parameter (``awp: {gamma: ...}``) fail at ``recipe validate``, with its path.
    """

    fn: Callable[[Any, str], Any]


@dataclass(frozen=True)
class Component:
    """Marker inside ``typing.Annotated``: the value is a component spec of registry ``kind``."""

    kind: str


#: Annotation for a parameter that takes an attack spec (``{name: pgd, eps: 8/255}`` or ``pgd``).
AttackSpec = Annotated[Any, Component("attack")]
NestedValidator = Callable[[str, Any, str], Any]


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


def resolve_hints(func: Callable[..., Any]) -> dict[str, Any]:
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


def _check_int(value: int, where: str) -> int:
    if not -INT_MAX - 1 <= value <= INT_MAX:
        raise ParamError(f"{where}: {value:.3g} is too large (an integer must fit in 64 bits)")
    return value


def _check_float(value: float, where: str, finite: bool) -> float:
    if finite and not math.isfinite(value):
        raise ParamError(f"{where}: must be a finite number, got {value}")
    return value


def coerce(value: Any, tp: Any, where: str, *, finite: bool = True) -> Any:
    """Check ``value`` against annotation ``tp`` (converting fractions and numeric strings).

    ``finite`` is turned off only by an ``AllowNonFinite()`` marker in the annotation.
    """
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(tp)
        value = coerce(value, base, where, finite=finite and not any(isinstance(m, AllowNonFinite) for m in meta))
        for item in meta:
            if isinstance(item, Range) and isinstance(value, (int, float)) and not isinstance(value, bool):
                item.check(value, where)
            if isinstance(item, Check):
                item.fn(value, where)
        return value
    if tp is Any or tp is inspect.Parameter.empty:
        return parse_number(value, where)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        errors, shaped = [], []  # shaped: errors of the options of the value's own shape (list or single)
        for option in options:
            if option is type(None):
                continue
            try:
                return coerce(value, option, where, finite=finite)
            except ParamError as exc:
                errors.append(str(exc))
                sequence = typing.get_origin(_strip_annotated(option)) in (list, tuple) or option in (list, tuple)
                if sequence == isinstance(value, (list, tuple)):
                    shaped.append(str(exc))
        if len(errors) == 1 or len(shaped) == 1:  # 'eps: 8' for 'float | list[float]': the float's message
            raise ParamError(errors[0] if len(errors) == 1 else shaped[0])
        if set(options) == {int, float}:
            raise ParamError(f"{where}: expected a number, got {short(value)}")
        raise ParamError(f"{where}: {short(value)} is not a valid {_type_name(tp)}")
    if origin is typing.Literal:
        choices = typing.get_args(tp)
        if value in choices:
            return value
        shown = ", ".join(repr(c) for c in choices)
        hint = did_you_mean(str(value), [str(c) for c in choices])
        raise ParamError(f"{where}: {short(value)} is not one of {shown}{hint}")
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ParamError(f"{where}: expected true or false, got {short(value)}")
    if tp is float:
        value = parse_number(value, where)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return _check_float(float(value), where, finite)
        raise ParamError(f"{where}: expected a number, got {short(value)}")
    if tp is int:
        value = parse_number(value, where)  # '1e21' (YAML 1.1 reads it as a string) is a number too
        if isinstance(value, int) and not isinstance(value, bool):
            return _check_int(value, where)
        if isinstance(value, float) and value.is_integer():
            return _check_int(int(value), where)
        raise ParamError(f"{where}: expected an integer, got {short(value)}")
    if tp is str:
        if isinstance(value, str):
            return value
        raise ParamError(f"{where}: expected a string, got {short(value)}")
    if origin in (list, tuple, typing.Sequence) or tp in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ParamError(f"{where}: expected a list, got {short(value)}")
        args = typing.get_args(tp)
        if origin is tuple and len(args) >= 1 and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise ParamError(f"{where}: expected {len(args)} items, got {len(value)}")
            return tuple(coerce(v, t, f"{where}[{i}]", finite=finite) for i, (v, t) in enumerate(zip(value, args)))
        item_tp = args[0] if args else Any
        items = [coerce(v, item_tp, f"{where}[{i}]", finite=finite) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise ParamError(f"{where}: expected a mapping, got {short(value)}")
        return value
    return parse_number(value, where)


def _strip_annotated(tp: Any) -> Any:
    return typing.get_args(tp)[0] if typing.get_origin(tp) is typing.Annotated else tp


def type_from_default(default: Any) -> Any:
    """The annotation an unannotated parameter gets from its default (``eps=0.1`` -> float).

    An int default accepts any number (``eps=0`` usually means a float), a None or exotic
    default accepts anything.
    """
    if isinstance(default, bool):
        return bool
    if isinstance(default, int):
        return typing.Union[int, float]
    if isinstance(default, (float, str)):
        return type(default)
    if isinstance(default, (list, tuple)):
        return list
    if isinstance(default, dict):
        return dict
    return Any


def _strip_optional(tp: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        options = [o for o in typing.get_args(tp) if o is not type(None)]
        if len(options) == 1:
            return options[0]
    return tp


def _marked_kind(tp: Any) -> str | None:
    if typing.get_origin(tp) is typing.Annotated:
        return next((m.kind for m in typing.get_args(tp)[1:] if isinstance(m, Component)), None)
    return None


def _spec_like(tp: Any) -> bool:
    """An annotation that leaves room for a component spec: none, Any, dict, str | dict."""
    if tp in (inspect.Parameter.empty, Any, dict) or typing.get_origin(tp) is dict:
        return True
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return any(_spec_like(o) for o in typing.get_args(tp) if o is not type(None))
    return False


def nested_kind(name: str, tp: Any) -> tuple[str, bool] | None:
    """Whether parameter ``name: tp`` holds component specs: (kind, is_a_list) or None.

    Explicit: ``AttackSpec`` / ``list[AttackSpec]`` (any ``Component`` marker). By convention:
    a parameter named ``attack``/``*_attack`` (or ``attacks``/``*_attacks``) whose annotation
    leaves room for a spec (none, dict, list[dict]), so third-party factories get nested
    validation without importing anything from robustx.
    """
    tp = _strip_optional(tp)
    kind = _marked_kind(tp)
    if kind:
        return kind, False
    origin = typing.get_origin(tp)
    item = None
    if origin in (list, tuple, typing.Sequence) or tp in (list, tuple):
        args = typing.get_args(tp)
        item = _strip_optional(args[0]) if args else Any
        kind = _marked_kind(item)
        if kind:
            return kind, True
    if name == "attack" or name.endswith("_attack"):
        return ("attack", False) if _spec_like(tp) else None
    if name == "attacks" or name.endswith("_attacks"):
        many = item is not None or tp in (inspect.Parameter.empty, Any)
        return ("attack", True) if many and _spec_like(Any if item is None else item) else None
    return None


def _check_nested(value: Any, shape: tuple[str, bool], where: str, nested: NestedValidator) -> Any:
    kind, many = shape
    if value is None:
        return None
    if not many:
        return nested(kind, value, where)
    if not isinstance(value, (list, tuple)):
        raise ParamError(f"{where}: expected a list of {kind} specs, got {short(value)}")
    return [nested(kind, item, f"{where}[{i}]") for i, item in enumerate(value)]


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
    nested: NestedValidator | None = None,
) -> dict[str, Any]:
    """Check ``params`` against ``factory``'s signature; return them with values coerced.

    ``positional`` leading parameters (like an attack's ``model``) and the ``provided`` names
    (filled in by robustx itself, like ``num_classes``) are not expected from the user.
    ``nested(kind, spec, where)`` validates parameters that hold component specs.
    """
    named, takes_kwargs = accepted_params(factory, positional)
    hints = resolve_hints(factory)
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
        tp = hints.get(key, named[key].annotation)
        shape = nested_kind(key, tp)
        if shape and nested is not None:
            value = _check_nested(value, shape, spot, nested)
        default = named[key].default
        if tp is inspect.Parameter.empty and default is not inspect.Parameter.empty and default is not None:
            tp = type_from_default(default)
        out[key] = coerce(value, tp, spot)
    missing = [
        n for n, p in named.items()
        if p.default is inspect.Parameter.empty and n not in out and n not in provided
    ]
    if missing:
        raise ParamError(f"{where}: missing required parameter '{missing[0]}'")
    return out
