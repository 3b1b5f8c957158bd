"""What factories write in their annotations, and how numbers written as text are read: no pydantic here.

``Range``, ``AllowNonFinite``, ``Check``, ``Component`` and ``AttackSpec`` go inside ``typing.Annotated`` on a
factory's parameters; robustx.config.params reads them with pydantic when a recipe is validated. Kept apart
so that importing a plugin's factories (``robustx list``, ``robustx --help``) never imports pydantic.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, Any, Callable, ClassVar

from robustx.base.errors import ParamError

_FRACTION = re.compile(r"^\s*[-+]?\d+(\.\d*)?(e[-+]?\d+)?\s*/\s*[-+]?\d+(\.\d*)?(e[-+]?\d+)?\s*$", re.I)
_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?\s*$", re.I)
INT_MAX = 2**63 - 1  # torch's int64: seeds, step counts and sizes all end up there


@dataclass(frozen=True)
class Range:
    """Bounds for a numeric parameter, used inside ``typing.Annotated``: pydantic reads them as annotated_types bounds.

    An annotated_types ``GroupedMetadata`` by its protocol (the marker attribute and ``__iter__``), not by
    subclassing, so that importing a plugin's factories does not import annotated_types.
    """

    __is_annotated_types_grouped_metadata__: ClassVar[bool] = True

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None

    def __iter__(self) -> typing.Iterator[Any]:
        import annotated_types  # lazy: costs --help ~10 ms; only pydantic, at validation, iterates a Range

        for bound, make in ((self.ge, annotated_types.Ge), (self.gt, annotated_types.Gt),
                            (self.le, annotated_types.Le), (self.lt, annotated_types.Lt)):
            if bound is not None:
                yield make(bound)


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


# -- numbers written as text ------------------------------------------------------------------
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
