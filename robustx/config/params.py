"""Declarative parameter checking for factories (types, ranges, choices, exact fractions), on pydantic v2.

Factories annotate their keyword parameters; robustx checks a recipe against them before
any work starts, so ``eps: -0.1`` or ``steps: 0`` fails in a second, not after an epoch::

    def pgd(model, *, eps: Annotated[float, Range(ge=0)] = 8/255,
            steps: Annotated[int, Range(ge=1)] = 10,
            norm: Literal["Linf", "L2"] = "Linf") -> Attack: ...

The checking itself is pydantic's: :func:`param_model` builds a model from the factory's signature
(``pydantic.create_model``), :func:`to_pydantic` maps each annotation to a pydantic type with
robustx's reading of values, and :func:`one_line` turns pydantic's first error into robustx's
one-line ``ParamError`` naming the field's path. What pydantic does not do is written here:

* numbers may be written as exact fractions (``8/255``), parsed with ``fractions.Fraction``, never ``eval``;
* ``Range`` (the marker every plugin uses) is a group of ``annotated_types`` bounds (Ge/Gt/Le/Lt);
* non-finite floats (``.inf``, ``.nan``) are refused (``allow_inf_nan=False``) unless ``AllowNonFinite()``
  says so, and integers must fit in 64 bits: such values end in a silent NaN run or an overflow in torch;
* booleans are never numbers and numbers never booleans (strict), and an integral float is an integer;
* a parameter without an annotation is checked against the type of its default, so a third-party
  ``def make(model, eps=0.1)`` rejects ``eps: "abc"`` too.

Parameters that hold other components (an ``attack:`` of a defense, the ``attacks:`` of an
analysis) are handed to a ``nested`` validator, so they get the same checks wherever they sit;
see :func:`nested_kind`.
"""

from __future__ import annotations

import collections.abc
import inspect
import re
import sys
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Callable

from pydantic import (
    AfterValidator,
    AllowInfNan,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    TypeAdapter,
    ValidationError,
    WrapValidator,
    create_model,
)
from pydantic_core import PydanticCustomError

from robustx.base.errors import ParamError, RecipeError, RobustxError, did_you_mean, short
from robustx.config.markers import (
    _FRACTION,
    INT_MAX,
    AllowNonFinite,
    Check,
    Component,
    Range,
    parse_fraction,
    parse_number,
)

#: how robustx reads values everywhere: no inf/nan, unless a field says AllowNonFinite()
CONFIG = ConfigDict(allow_inf_nan=False, arbitrary_types_allowed=True, protected_namespaces=())


NestedValidator = Callable[[str, Any, str], Any]


class Carried(ValueError):
    """A robustx error raised inside a pydantic validator: carried through pydantic unchanged (type and text)."""

    def __init__(self, error: RobustxError) -> None:
        super().__init__(str(error))
        self.error = error


def carry(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn``; a robustx error comes out of pydantic as itself (see :func:`one_line`), not as a ValueError."""
    try:
        return fn(*args, **kwargs)
    except RobustxError as exc:
        raise Carried(exc) from None


def _number_text(value: Any) -> Any:
    """pydantic before-validator: numeric text to a number ('8/0' is an error of its field)."""
    if isinstance(value, str) and _FRACTION.match(value):
        try:
            return parse_fraction(value, "")
        except ParamError:
            raise PydanticCustomError("robustx", "{message}", {"message": f"'{value.strip()}' divides by zero"})
    return parse_number(value, "")


def _integral(value: Any) -> Any:
    """pydantic before-validator of integers: '1e3' and 20.0 are the integers they write; 64 bits at most."""
    value = _number_text(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and not -INT_MAX - 1 <= value <= INT_MAX:
        raise PydanticCustomError("robustx", "{message}",
                                  {"message": f"{value:.3g} is too large (an integer must fit in 64 bits)"})
    return value


def _int(bounds: tuple[Any, ...] = ()) -> Any:
    """An integer: strict (no bool), bounds inside pydantic's int schema (so the JSON Schema has them), 64 bits."""
    return Annotated[(int, Strict(), *bounds, BeforeValidator(_integral))]


def _float(bounds: tuple[Any, ...] = (), finite: bool = True) -> Any:
    """A float: strict (no bool, no text but numeric text), bounds in pydantic's float schema, finite unless told."""
    return Annotated[(float, Strict(), *bounds, *(() if finite else (AllowInfNan(True),)),
                      BeforeValidator(_number_text))]


#: robustx's scalar types: pydantic's, strict (no bool as a number, no number as a bool or a string)
Int = _int()
Float = _float()
NonFiniteFloat = _float(finite=False)
Bool = Annotated[bool, Strict()]
Str = Annotated[str, Strict()]
AnyValue = Annotated[Any, BeforeValidator(_number_text)]  # what an untyped value is: numeric text is a number


# -- annotations -> pydantic types ----------------------------------------------------------
def typed(tp: Any) -> Any:
    """``to_pydantic`` for declarations: ``batch_size: typed(Annotated[int, Range(ge=1)]) = 128``."""
    return to_pydantic(tp)


def _union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _sequence(tp: Any) -> bool:
    tp = _strip_annotated(tp)
    return typing.get_origin(tp) in (list, tuple, collections.abc.Sequence) or tp in (list, tuple)


def _check_marker(fn: Callable[[Any, str], Any]) -> Any:
    def run(value: Any, info: Any) -> Any:
        context = info.context or {}
        where = context.get("where", "value")
        if info.field_name:
            where = f"{where}.{context.get('names', {}).get(info.field_name, info.field_name)}"
        carry(fn, value, where)
        return value
    return AfterValidator(run)


def to_pydantic(tp: Any, *, finite: bool = True) -> Any:
    """The pydantic type that checks a value the way robustx reads annotation ``tp``.

    ``float``/``int``/``bool``/``str`` become :data:`Float`/:data:`Int`/:data:`Bool`/:data:`Str`,
    ``Range`` stays (it is an annotated_types group), ``AllowNonFinite`` lets a float be inf/nan,
    ``Check(fn)`` becomes an after-validator, an unknown class or ``Any`` accepts anything (numeric
    text read as a number), and a union reports one error: that of the option of the value's shape.
    """
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(tp)
        finite = finite and not any(isinstance(m, AllowNonFinite) for m in meta)
        ranges = [m for m in meta if isinstance(m, Range)]
        rest = [_check_marker(m.fn) if isinstance(m, Check) else m for m in meta
                if not isinstance(m, (Range, AllowNonFinite, Component))]
        if ranges and _union(base):  # Optional[int] with bounds: the bounds belong to the number
            options = tuple(Annotated[(o, *ranges)] if o in (int, float) else o for o in typing.get_args(base))
            base, ranges = typing.Union[options], []
        if base in (int, float):  # the bounds go inside the number's own schema (and so into the JSON Schema)
            inner, ranges = (_int(tuple(ranges)) if base is int else _float(tuple(ranges), finite)), []
        else:
            inner = to_pydantic(base, finite=finite)
        meta_out = [*ranges, *rest]
        return Annotated[(inner, *meta_out)] if meta_out else inner
    if tp is Any or tp is inspect.Parameter.empty or isinstance(tp, str):
        return AnyValue
    if _union(tp):
        options = [o for o in typing.get_args(tp) if o is not type(None)]
        nullable = len(options) < len(typing.get_args(tp))
        if len(options) == 1:
            inner = to_pydantic(options[0], finite=finite)
            return typing.Optional[inner] if nullable else inner
        members = typing.Union[tuple(to_pydantic(o, finite=finite) for o in options)]
        return Annotated[typing.Optional[members] if nullable else members, WrapValidator(_one_union_error(tp, options))]
    if origin is typing.Literal:
        return tp
    if tp is bool:
        return Bool
    if tp is float:
        return Float if finite else NonFiniteFloat
    if tp is int:
        return Int
    if tp is str:
        return Str
    if origin in (list, collections.abc.Sequence) or tp is list:
        args = typing.get_args(tp)
        return list[to_pydantic(args[0], finite=finite) if args else AnyValue]
    if origin is tuple or tp is tuple:
        args = typing.get_args(tp)
        if not args or (len(args) == 2 and args[1] is Ellipsis):
            return tuple[to_pydantic(args[0], finite=finite) if args else AnyValue, ...]
        return tuple[tuple(to_pydantic(a, finite=finite) for a in args)]
    if origin is dict or tp is dict:
        return dict
    if inspect.isclass(tp) and issubclass(tp, BaseModel):
        return tp
    return AnyValue


def _one_union_error(tp: Any, options: list[Any]) -> Callable[..., Any]:
    """A wrap-validator: of a union's per-option errors, the one that speaks to the value (one line, not n)."""
    def wrap(value: Any, handler: Callable[[Any], Any]) -> Any:
        try:
            return handler(value)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            by_option: dict[Any, list[dict[str, Any]]] = {}
            for err in errors:
                by_option.setdefault(err["loc"][0] if err["loc"] else None, []).append(err)
            groups = list(by_option.values())
            if len(groups) != len(options):  # not one group per option: report the first as it is
                groups = [errors]
            shaped = [g for g, o in zip(groups, options) if _sequence(o) == isinstance(value, (list, tuple))]
            chosen = groups[0] if len(groups) == 1 else shaped[0] if len(shaped) == 1 else None
            if chosen is not None:
                err = _ranked(chosen)[0]
                sub = tuple(err["loc"][1:] if len(groups) == len(options) and len(options) > 1 else err["loc"])
                if err["type"] == "robustx":
                    sub += tuple((err.get("ctx") or {}).get("sub", ()))
                error = _carried(err)
                if error is not None:
                    raise Carried(error) from None
                raise PydanticCustomError("robustx", "{message}", {"message": _message(err), "sub": tuple(sub)}) from None
            if set(options) == {int, float}:
                message = f"expected a number, got {short(value)}"
            else:
                message = f"{short(value)} is not a valid {_type_name(tp)}"
            raise PydanticCustomError("robustx", "{message}", {"message": message}) from None
    return wrap


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def adapter(tp: Any) -> TypeAdapter[Any]:
    """The (cached) pydantic TypeAdapter of robustx annotation ``tp``."""
    try:
        found = _ADAPTERS.get(tp)
    except TypeError:  # an unhashable annotation: built each time
        return TypeAdapter(to_pydantic(tp), config=CONFIG)
    if found is None:
        found = _ADAPTERS[tp] = TypeAdapter(to_pydantic(tp), config=CONFIG)
    return found


def coerce(value: Any, tp: Any, where: str, *, finite: bool = True) -> Any:
    """Check ``value`` against annotation ``tp`` (converting fractions and numeric strings); one-line ParamError."""
    if not finite:
        tp = Annotated[tp, AllowNonFinite()]
    try:
        return adapter(tp).validate_python(value, context={"where": where})
    except ValidationError as exc:
        raise one_line(exc, where) from None


# -- pydantic's errors as robustx's one line --------------------------------------------------
def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _carried(err: dict[str, Any]) -> RobustxError | None:
    error = (err.get("ctx") or {}).get("error")
    if isinstance(error, Carried):
        return error.error
    return error if isinstance(error, RobustxError) else None


def _ranked(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Errors in the order robustx reports them: an unknown top-level key, a missing top-level key, then
    field order, an unknown key of a section before the values of that section (pydantic lists extras last)."""
    first: dict[Any, int] = {}
    for i, err in enumerate(errors):
        first.setdefault(err["loc"][0] if err["loc"] else None, i)

    def rank(item: tuple[int, dict[str, Any]]) -> tuple[int, ...]:
        i, err = item
        loc, kind = err["loc"], err["type"]
        if len(loc) <= 1 and kind == "extra_forbidden":
            return (0, i)
        if len(loc) <= 1 and kind == "missing":
            return (1, i)
        return (2, first[loc[0] if loc else None], 0 if kind == "extra_forbidden" else 1, i)

    return [err for _, err in sorted(enumerate(errors), key=rank)]


def path(where: str, loc: tuple[Any, ...]) -> str:
    """``where`` + pydantic's location: ``('attacks', 1, 'eps')`` -> ``evaluate.attacks[1].eps``."""
    out = where
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _bound(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


#: pydantic's error types in robustx's words: ``path: expected an integer, got 'abc'``
_EXPECTED = {
    **dict.fromkeys(("int_type", "int_parsing", "int_from_float"), "expected an integer"),
    **dict.fromkeys(("float_type", "float_parsing"), "expected a number"),
    **dict.fromkeys(("bool_type", "bool_parsing"), "expected true or false"),
    "string_type": "expected a string", "list_type": "expected a list", "tuple_type": "expected a list",
    **dict.fromkeys(("dict_type", "model_type", "model_attributes_type"), "expected a mapping"),
}
_BOUNDS = {"greater_than_equal": (">=", "ge"), "greater_than": (">", "gt"), "less_than_equal": ("<=", "le"),
           "less_than": ("<", "lt")}


def _message(err: dict[str, Any]) -> str:
    """The text after ``path:`` for one pydantic error, in robustx's words."""
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if kind == "robustx":
        return ctx["message"]
    if kind in _EXPECTED:
        return f"{_EXPECTED[kind]}, got {short(value)}"
    if kind in _BOUNDS:
        word, key = _BOUNDS[kind]
        return f"must be {word} {_bound(ctx[key])}, got {_bound(value)}"
    if kind == "finite_number":
        return f"must be a finite number, got {value}"
    if kind in ("too_short", "too_long") and "actual_length" in ctx:
        return f"expected {ctx['min_length' if kind == 'too_short' else 'max_length']} items, got {ctx['actual_length']}"
    if kind == "literal_error":
        choices = re.findall(r"'((?:[^'\\]|\\.)*)'", str(ctx.get("expected", "")))
        shown = ", ".join(repr(c) for c in choices) or str(ctx.get("expected"))
        return f"{short(value)} is not one of {shown}{did_you_mean(str(value), choices)}"
    return str(err["msg"])


def one_line(exc: ValidationError, where: str = "", *, accepted: Callable[[tuple[Any, ...]], list[str]] | None = None,
             unknown: str = "unknown key", missing: str = "missing required key",
             top: str | None = None) -> RobustxError:
    """pydantic's first error as robustx's one line naming the field path (``train.optimizer.lr: ...``).

    ``accepted(loc)`` lists the keys accepted where an unknown key sat (for the did-you-mean), ``unknown``
    and ``missing`` word those two errors, ``top`` prefixes a missing top-level key (the recipe's file).
    A robustx error raised inside a validator comes back as itself.
    """
    err = _ranked(exc.errors(include_url=False))[0]
    carried = _carried(err)
    if carried is not None:
        return carried
    loc = tuple(err["loc"])
    if err["type"] == "robustx":
        loc += tuple((err.get("ctx") or {}).get("sub", ()))
    if err["type"] == "extra_forbidden" and loc:
        choices = accepted(loc[:-1]) if accepted else []
        key = str(loc[-1])
        word = "unknown top-level key" if top is not None and len(loc) == 1 else unknown
        listed = f"; accepted: {', '.join(choices) or 'none'}" if accepted else ""
        return ParamError(f"{path(where, loc)}: {word}{did_you_mean(key, choices)}{listed}")
    if err["type"] == "missing" and loc and isinstance(loc[-1], int):  # a tuple with too few items
        return ParamError(f"{path(where, loc[:-1]) or where or 'value'}: too few items (item [{loc[-1]}] is missing)")
    if err["type"] == "missing" and loc:
        parent = path(where, loc[:-1]) or (top or "<recipe>")
        error = RecipeError if len(loc) == 1 and top is not None else ParamError
        return error(f"{parent}: {missing} '{loc[-1]}'")
    return ParamError(f"{path(where, loc) or where or 'value'}: {_message(err)}")


# -- factory signatures -----------------------------------------------------------------------
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
    if _union(tp):
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
    if _union(tp):
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
    if origin in (list, tuple, collections.abc.Sequence) or tp in (list, tuple):
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


def param_annotation(factory: Callable[..., Any], name: str, param: inspect.Parameter,
                     hints: dict[str, Any] | None = None) -> Any:
    """A parameter's annotation: its (resolved) hint, else the type of its default, else Any."""
    hints = resolve_hints(factory) if hints is None else hints
    tp = hints.get(name, param.annotation)
    if isinstance(tp, str):  # an annotation that does not resolve here (a lazily imported type): unchecked
        return Any
    if tp is inspect.Parameter.empty:
        default = param.default
        return type_from_default(default) if default is not inspect.Parameter.empty and default is not None else Any
    return tp


@dataclass(frozen=True)
class ParamModel:
    """The pydantic model of a factory's user parameters (``create_model`` from its signature)."""

    model: type[BaseModel]
    names: dict[str, str]  # field name -> parameter name (fields are p0, p1...: no clash with BaseModel's names)
    annotations: dict[str, Any]  # parameter name -> robustx annotation
    takes_kwargs: bool


_MODELS: dict[Any, ParamModel] = {}


def param_model(factory: Callable[..., Any], positional: int = 0, provided: tuple[str, ...] = ()) -> ParamModel:
    """The (cached) pydantic model of ``factory``'s keyword parameters, robustx's ``provided`` ones left out."""
    key = (factory, positional, provided)
    try:
        found = _MODELS.get(key)
    except TypeError:
        found, key = None, None
    if found is not None:
        return found
    named, takes_kwargs = accepted_params(factory, positional)
    hints = resolve_hints(factory)
    fields: dict[str, Any] = {}
    names: dict[str, str] = {}
    annotations: dict[str, Any] = {}
    for i, (name, param) in enumerate(n for n in named.items() if n[0] not in provided):
        tp = annotations[name] = param_annotation(factory, name, param, hints)
        required = param.default is inspect.Parameter.empty
        fields[f"p{i}"] = (to_pydantic(tp), Field(... if required else None, alias=name))
        names[f"p{i}"] = name
    model = create_model(f"{getattr(factory, '__name__', 'factory')}_params",
                         __config__=ConfigDict(**CONFIG, extra="allow" if takes_kwargs else "forbid"), **fields)
    found = ParamModel(model, names, annotations, takes_kwargs)
    if key is not None:
        _MODELS[key] = found
    return found


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
    spec = param_model(factory, positional, provided)
    given = dict(params)
    for key, value in params.items():
        if key in provided:
            raise ParamError(f"{where}.{key}: is set by robustx itself and cannot be given here")
        shape = nested_kind(key, spec.annotations[key]) if key in spec.annotations else None
        if shape and nested is not None:
            given[key] = _check_nested(value, shape, f"{where}.{key}", nested)
    try:
        checked = spec.model.model_validate(given, context={"where": where, "names": spec.names})
    except ValidationError as exc:
        choices = list(spec.annotations)
        raise one_line(exc, where, accepted=lambda _loc: choices, unknown="unknown parameter",
                       missing="missing required parameter") from None
    values = {spec.names[f]: getattr(checked, f) for f in checked.model_fields_set if f in spec.names}
    extra = checked.model_extra or {}
    return {key: values[key] if key in values else parse_number(extra[key], f"{where}.{key}") for key in params}
