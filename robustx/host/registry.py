"""Name -> factory tables with provenance, aliases, did-you-mean and duplicate detection.

A name may end in a ``{placeholder}`` (for example ``timm:{model_name}``): it then
matches every name with that prefix, and the rest of the name is passed to the
factory as the keyword argument ``placeholder``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from robustx.base.errors import DuplicateNameError, PluginError, UnknownNameError, did_you_mean, short

_PATTERN = re.compile(r"^(?P<prefix>[^{}]*)\{(?P<key>[A-Za-z_][A-Za-z0-9_]*)\}$")
_VALID_NAME = re.compile(r"^[A-Za-z0-9_.:\-]+(\{[A-Za-z_][A-Za-z0-9_]*\})?$")


@dataclass(frozen=True)
class Entry:
    """One registered component and where it came from."""

    name: str
    factory: Callable[..., Any]
    kind: str
    plugin: str = "?"
    version: str | None = None
    aliases: tuple[str, ...] = ()
    description: str = ""
    conflict: str | None = None  # why this name is refused (two plugins registered it)
    #: cheap parameters for the registry-driven contract tests (tests/contracts/test_attack_contract.py), kept with
    #: the registration so a new component is tested with no test code; None: the tests derive their own
    smoke: dict[str, Any] | None = None

    @property
    def pattern(self) -> tuple[str, str] | None:
        match = _PATTERN.match(self.name)
        return (match["prefix"], match["key"]) if match else None


@dataclass(frozen=True)
class Resolved:
    """A looked-up entry plus the keyword arguments implied by the name (pattern entries)."""

    entry: Entry
    implied: dict[str, str]

    def create(self, *args: Any, **params: Any) -> Any:
        return self.entry.factory(*args, **self.implied, **params)


def plural(kind: str) -> str:
    return kind[:-2] + "es" if kind.endswith("is") else kind + "s"


class Registry:
    """A table of one kind of component (``attack``, ``architecture`` ...)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}
        self._aliases: dict[str, str] = {}
        self._conflicts: dict[str, str] = {}
        self._refused: list[Entry] = []  # newcomers whose name was already taken
        self.missing_note = ""  # appended to unknown-name errors (e.g. "plugin 'x' that registers these is disabled")

    def record_conflict(self, name: str, message: str) -> None:
        """Remember a rejected duplicate, so using the name fails loudly instead of picking one.

        Neither registration is used: picking the first would depend on plugin load order, and
        disabling either plugin is then the user's explicit choice. The refusal covers *every* name
        of both entries (names and aliases): ``pgd_linf`` must not quietly resolve to one of the two
        ``pgd``s. The newcomer's other, unclaimed registrations stay (see docs/plugin-hooks.md).
        """
        self._conflicts[name] = message

    def register(
        self,
        name: str,
        factory: Callable[..., Any],
        *,
        aliases: tuple[str, ...] | list[str] = (),
        description: str = "",
        plugin: str = "?",
        version: str | None = None,
        smoke: dict[str, Any] | None = None,
    ) -> Entry:
        if not isinstance(name, str) or not _VALID_NAME.match(name):
            raise PluginError(f"plugin '{plugin}' registered an invalid {self.kind} name {short(name)}")
        if not callable(factory) and self.kind != "recipe":
            raise PluginError(f"plugin '{plugin}' registered {self.kind} '{name}' with a non-callable factory")
        if smoke is not None and not isinstance(smoke, dict):
            raise PluginError(f"plugin '{plugin}' registered {self.kind} '{name}' with smoke={short(smoke)}; "
                              "expected a mapping of parameters")
        entry = Entry(name, factory, self.kind, plugin, version, tuple(aliases), description,
                      smoke=None if smoke is None else dict(smoke))
        for key in (name, *entry.aliases):
            owner = self._owner_of(key)
            if owner is not None:
                self._refused.append(entry)
                claimed_names = {key, name, *entry.aliases, owner.name, *owner.aliases}
                others = ", ".join(f"'{n}'" for n in sorted(claimed_names - {key}))
                message = (f"plugin '{plugin}' registers {self.kind} '{key}', already registered by plugin "
                           f"'{owner.plugin}'; '{key}' is refused while both claim it"
                           + (f", and so are the other names of both ({others})" if others else "")
                           + f" (if '{plugin}' was not meant to replace it, disable the newcomer: "
                           f"ROBUSTX_DISABLE_PLUGINS={plugin})")
                for claimed in claimed_names:
                    self.record_conflict(claimed, message)
                raise DuplicateNameError(message)
        self._entries[name] = entry
        for alias in entry.aliases:
            self._aliases[alias] = name
        return entry

    def _owner_of(self, key: str) -> Entry | None:
        if key in self._entries:
            return self._entries[key]
        if key in self._aliases:
            return self._entries[self._aliases[key]]
        return None

    def resolve(self, name: str) -> Resolved:
        """Find ``name`` (or an alias, or a pattern match); unknown names raise with a suggestion."""
        if not isinstance(name, str):
            raise UnknownNameError(f"{self.kind} name must be a string, got {short(name)}")
        if name in self._conflicts:
            raise DuplicateNameError(self._conflicts[name])
        entry = self._owner_of(name)
        if entry is not None:
            return Resolved(entry, {})
        for candidate in self._entries.values():
            pattern = candidate.pattern
            if pattern and name.startswith(pattern[0]) and len(name) > len(pattern[0]):
                return Resolved(candidate, {pattern[1]: name[len(pattern[0]) :]})
        shown, hint = (f"'{name}'", did_you_mean(name, self.all_names())) if len(name) <= 100 else (short(name), "")
        raise UnknownNameError(f"unknown {self.kind} {shown}{hint}; "
                               + (self.missing_note or f"see `robustx list {plural(self.kind)}`"))

    def refused(self, name: str) -> str | None:
        """Why ``name`` is refused (two plugins claim it), or None."""
        return self._conflicts.get(name)

    def get(self, name: str) -> Entry:
        return self.resolve(name).entry

    def create(self, name: str, *args: Any, **params: Any) -> Any:
        return self.resolve(name).create(*args, **params)

    def all_names(self) -> list[str]:
        return [*self._entries, *self._aliases]

    def names(self) -> list[str]:
        return sorted(self._entries)

    def entries(self, glob: str | None = None) -> list[Entry]:
        """Registered entries by name; a refused name lists every plugin that claims it, marked."""
        found = []
        for entry in sorted([*self._entries.values(), *self._refused], key=lambda e: e.name):
            clash = next((self._conflicts[k] for k in (entry.name, *entry.aliases) if k in self._conflicts), None)
            found.append(replace(entry, conflict=clash) if clash else entry)
        if glob:
            found = [e for e in found if fnmatch.fnmatch(e.name, glob) or any(fnmatch.fnmatch(a, glob) for a in e.aliases)]
        return found

    def __contains__(self, name: object) -> bool:
        try:
            self.resolve(name)  # type: ignore[arg-type]
        except UnknownNameError:
            return False
        return True

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries())

    def __len__(self) -> int:
        return len(self._entries)
