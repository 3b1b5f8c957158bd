"""The plugin host: guarded entry-point loading, blocking, provenance, and the registries.

Built-in plugins (``plugins/``) and third-party ones are found the same way: through the
``robustx`` entry-point group. Each entry point is loaded on its own, so one broken plugin
prints a single warning and everything else keeps working (pluggy's
``load_setuptools_entrypoints`` would let the import error escape).

``ROBUSTX_DISABLE_PLUGINS=name1,name2`` blocks plugins by entry-point name.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from . import hookspecs
from .errors import DuplicateNameError, PluginError
from .registry import Registry

ENTRY_POINT_GROUP = "robustx"
DISABLE_ENV = "ROBUSTX_DISABLE_PLUGINS"

#: registry kind -> the hook that fills it
KINDS: dict[str, str] = {
    "attack": "robustx_register_attacks",
    "defense": "robustx_register_defenses",
    "transform": "robustx_register_transforms",
    "architecture": "robustx_register_architectures",
    "dataset": "robustx_register_datasets",
    "recipe": "robustx_register_recipes",
    "analysis": "robustx_register_analyses",
}


@dataclass
class PluginInfo:
    """What ``robustx plugins`` shows about one plugin."""

    name: str
    module: str
    distribution: str | None = None
    version: str | None = None
    status: str = "loaded"  # loaded | failed | disabled
    error: str | None = None
    registered: dict[str, list[str]] = field(default_factory=dict)


def disabled_plugins() -> set[str]:
    raw = os.environ.get(DISABLE_ENV, "")
    return {part.strip() for part in raw.split(",") if part.strip()}


def warn(message: str) -> None:
    """Print one warning line to stderr (never raise: a plugin must not take robustx down)."""
    print(f"robustx: warning: {message}", file=sys.stderr)


class PluginHost:
    """Owns one pluggy manager and the registries built from its plugins."""

    def __init__(self, load_entry_points: bool = True) -> None:
        self.pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self._registries: dict[str, Registry] | None = None
        if load_entry_points:
            self._load_entry_points()

    # -- loading -------------------------------------------------------------------------
    def _load_entry_points(self) -> None:
        blocked = disabled_plugins()
        seen: set[str] = set()
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if ep.name in seen:  # the same distribution visible twice on sys.path
                continue
            seen.add(ep.name)
            dist = getattr(ep, "dist", None)
            info = PluginInfo(
                ep.name, ep.value, dist.metadata["Name"] if dist else None, dist.version if dist else None
            )
            self.plugins[ep.name] = info
            if ep.name in blocked:
                info.status = "disabled"
                continue
            try:
                plugin = ep.load()
                self.pm.register(plugin, name=ep.name)
            except Exception as exc:  # noqa: BLE001 - any import failure must be survivable
                info.status, info.error = "failed", f"{type(exc).__name__}: {exc}"
                warn(f"plugin '{ep.name}' failed to load ({info.error}); disable it with {DISABLE_ENV}={ep.name}")
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            warn(f"a plugin implements an unknown hook: {exc}")

    def register_plugin(self, plugin: Any, name: str | None = None) -> str:
        """Register a plugin object or module from Python (scripting, tests)."""
        name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        if name in disabled_plugins():
            self.plugins[name] = PluginInfo(name, repr(plugin), status="disabled")
            return name
        self.pm.register(plugin, name=name)
        self.plugins[name] = PluginInfo(name, getattr(plugin, "__name__", repr(plugin)))
        self._registries = None
        return name

    # -- registries ----------------------------------------------------------------------
    @property
    def registries(self) -> dict[str, Registry]:
        if self._registries is None:
            self._registries = {kind: self._build(kind, hook) for kind, hook in KINDS.items()}
        return self._registries

    def registry(self, kind: str) -> Registry:
        return self.registries[kind]

    def _build(self, kind: str, hook_name: str) -> Registry:
        registry = Registry(kind)
        hook = getattr(self.pm.hook, hook_name)
        for impl in hook.get_hookimpls():  # registration order
            info = self.plugins.setdefault(impl.plugin_name, PluginInfo(impl.plugin_name, "?"))

            def register(name: str, factory: Any, *, aliases: Any = (), description: str = "",
                         _info: PluginInfo = info) -> None:
                try:
                    registry.register(name, factory, aliases=tuple(aliases), description=description,
                                      plugin=_info.name, version=_info.version)
                except (DuplicateNameError, PluginError) as exc:
                    registry.record_conflict(name, _info.name, str(exc))
                    warn(str(exc))
                    return
                _info.registered.setdefault(kind, []).append(name)

            kwargs = {"register": register} if "register" in impl.argnames else {}
            try:
                impl.function(**kwargs)
            except Exception as exc:  # noqa: BLE001
                info.status, info.error = "failed", f"{type(exc).__name__}: {exc}"
                warn(f"plugin '{impl.plugin_name}' failed in {hook_name} ({info.error}); "
                     f"disable it with {DISABLE_ENV}={impl.plugin_name}")
        return registry

    def call_hook(self, hook_name: str, **kwargs: Any) -> None:
        """Call a notification hook on every plugin; a failing plugin only warns."""
        hook = getattr(self.pm.hook, hook_name)
        for impl in hook.get_hookimpls():
            try:
                impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})
            except Exception as exc:  # noqa: BLE001
                warn(f"plugin '{impl.plugin_name}' failed in {hook_name}: {type(exc).__name__}: {exc}")


_host: PluginHost | None = None


def get_host() -> PluginHost:
    """The process-wide host, created on first use (never at import time)."""
    global _host
    if _host is None:
        _host = PluginHost()
    return _host


def reset_host() -> None:
    """Forget loaded plugins (tests, or after installing a plugin in-process)."""
    global _host
    _host = None


def registry(kind: str) -> Registry:
    return get_host().registry(kind)
