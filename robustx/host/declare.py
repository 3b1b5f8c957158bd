"""Declaring components next to their factories: ``@component(...)`` and ``register_declared(...)``.

One registration style for every kind (attacks, defenses, architectures, datasets, transforms,
augmentations, optimizers, schedules, analyses, certifiers, loggers). The decorator only attaches
metadata to the factory (its name, kind, aliases, description and the cheap ``smoke`` parameters
that the registry-driven tests use): nothing is registered at import time and there is no global
table. A plugin's hook implementation registers what its modules declare with one call::

    # plugins/my_plugin/factories.py
    @component("pgd", kind="attack", aliases=("pgd_linf",), smoke={"eps": 0.2, "alpha": 0.05, "steps": 10})
    @threat_model(norm="Linf")
    def pgd(model, *, eps: Annotated[float, Range(ge=0)] = 8/255, ...):
        \"\"\"PGD with random start (Linf).\"\"\"      # the description: first docstring line unless given

    # plugins/my_plugin/__init__.py
    @hookimpl
    def robustx_register_attacks(register):
        register_declared(register, factories)

``register_declared`` passes each declaration to the ordinary ``register(name, factory, *, aliases,
description, smoke)`` callback, so provenance, duplicate refusal and validation are unchanged, and a
plugin may still call ``register(...)`` itself (docs/plugin-hooks.md). Other decorators
(``@threat_model``, ``@publishes``, ``requires``) stack in any order: they all return the factory.
Import-light (no torch).
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeVar

from robustx.base.errors import PluginError, short
from robustx.host import hookspecs
from robustx.host.registry import _VALID_NAME

ATTRIBUTE = "__robustx_components__"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Declaration:
    """What a factory says about itself: the registry entry it becomes."""

    kind: str
    name: str
    aliases: tuple[str, ...] = ()
    description: str = ""
    #: cheap parameters for the registry-driven tests (tests/contracts/test_attack_contract.py, test_defenses.py ...);
    #: None: the tests use the factory's defaults (or, for attacks, a budget from the threat model)
    smoke: Mapping[str, Any] | None = field(default=None, compare=False)


def kinds() -> tuple[str, ...]:
    """The kinds of component a plugin declares (one ``robustx_register_<kinds>`` hook each); recipes
    are YAML files, registered with the plain callback, and commands are click objects."""

    families = [name.removeprefix("robustx_register_") for name in vars(hookspecs) if name.startswith("robustx_register_")
                and name not in ("robustx_register_commands", "robustx_register_recipes")]
    return tuple({"analyses": "analysis"}.get(family, family[:-1]) for family in families)


def first_line(text: str | None) -> str:
    """The first non-empty line of a docstring ('' when there is none)."""
    for line in (inspect.cleandoc(text) if text else "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def component(name: str, *, kind: str, aliases: Iterable[str] = (), description: str | None = None,
              smoke: Mapping[str, Any] | None = None) -> Callable[[F], F]:
    """Decorator: declare ``factory`` as the ``kind`` component ``name``; returns the factory unchanged.

    ``description`` defaults to the first line of the factory's docstring. ``smoke``: parameters that
    make the component cheap enough for the registry-driven tests. A factory may carry several
    declarations (stacked decorators), e.g. one per kind.
    """

    where = f"@component({short(name)}, kind={short(kind)})"
    if not isinstance(name, str) or not _VALID_NAME.match(name):
        raise PluginError(f"{where}: invalid name {short(name)}")
    if kind not in kinds():
        raise PluginError(f"{where}: unknown kind; one of {', '.join(kinds())}")
    if isinstance(aliases, str):
        raise PluginError(f"{where}: aliases must be a list of names, not the string {short(aliases)}")
    aliases = tuple(aliases)
    bad = [a for a in aliases if not isinstance(a, str) or not _VALID_NAME.match(a)]
    if bad:
        raise PluginError(f"{where}: invalid alias {short(bad[0])}")
    if smoke is not None and not isinstance(smoke, Mapping):
        raise PluginError(f"{where}: smoke={short(smoke)}; expected a mapping of parameters")
    if description is not None and not isinstance(description, str):
        raise PluginError(f"{where}: description must be a string")

    def mark(factory: F) -> F:
        if not callable(factory):
            raise PluginError(f"{where}: decorates {short(factory)}, which is not callable")
        declaration = Declaration(kind, name, aliases,
                                  first_line(factory.__doc__) if description is None else description,
                                  None if smoke is None else copy.deepcopy(dict(smoke)))
        setattr(factory, ATTRIBUTE, (*own_declarations(factory), declaration))
        return factory

    return mark


def own_declarations(factory: Any) -> tuple[Declaration, ...]:
    """The declarations on ``factory`` itself (a subclass does not inherit its base class's)."""
    found = getattr(factory, "__dict__", {}).get(ATTRIBUTE, ())
    return tuple(d for d in found if isinstance(d, Declaration)) if isinstance(found, tuple) else ()


def declared(factory: Any, kind: str | None = None) -> list[Declaration]:
    """``factory``'s declarations (of one ``kind``, when given)."""
    return [d for d in own_declarations(factory) if kind is None or d.kind == kind]


def declarations(*sources: Any, kind: str | None = None) -> list[tuple[Callable[..., Any], Declaration]]:
    """``(factory, declaration)`` pairs from modules (the factories defined in them, in source order)
    and from factories passed directly; each ``(kind, name)`` once."""
    found: list[tuple[Callable[..., Any], Declaration]] = []
    seen: set[tuple[str, str]] = set()
    for source in sources:
        if isinstance(source, ModuleType):
            candidates = [obj for obj in vars(source).values()
                          if own_declarations(obj) and getattr(obj, "__module__", None) == source.__name__]
        elif own_declarations(source):
            candidates = [source]
        else:
            raise PluginError(f"register_declared: {short(source)} is neither a module nor a factory "
                              "decorated with @component")
        for factory in candidates:
            for declaration in declared(factory, kind):
                if (declaration.kind, declaration.name) not in seen:
                    seen.add((declaration.kind, declaration.name))
                    found.append((factory, declaration))
    return found


def register_declared(register: Callable[..., Any], *sources: Any, kind: str | None = None) -> list[str]:
    """Register every component of the hook's kind that ``sources`` (modules or factories) declare.

    The kind is the hook's (robustx's ``register`` callback knows it); pass ``kind=`` when calling
    with another callback. Returns the names registered. A call that finds nothing of its kind is a
    mistake (a typo in the kind, a module that is not the one declaring), so it raises.
    """
    kind = kind or getattr(register, "kind", None)
    if kind is None:
        raise PluginError("register_declared: this register callback does not say its kind; pass kind=...")
    found = declarations(*sources, kind=kind)
    if not found:
        names = ", ".join(getattr(s, "__name__", short(s)) for s in sources)
        raise PluginError(f"register_declared: {names} declares no {kind} (@component(..., kind='{kind}'))")
    for factory, d in found:
        extra = {} if d.smoke is None else {"smoke": copy.deepcopy(dict(d.smoke))}  # each entry its own
        register(d.name, factory, aliases=d.aliases, description=d.description, **extra)
    return [d.name for _, d in found]
