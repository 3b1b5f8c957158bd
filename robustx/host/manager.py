"""The plugin host: lazy, guarded entry-point loading, blocking, provenance, and the registries.

Built-in plugins (``plugins/``) and third-party ones are found the same way, through entry points
(see :mod:`robustx.host.entry_points` for the groups). A plugin module is imported only when a hook it
serves is first needed, so ``robustx --help`` and ``robustx list attacks`` do not pay for plugins
that cannot contribute. Each plugin is imported on its own, so one broken plugin prints a single
warning and everything else keeps working (pluggy's ``load_setuptools_entrypoints`` would let the
import error escape).

``ROBUSTX_DISABLE_PLUGINS=name1,name2`` blocks plugins by entry-point name (or module name); a name
that matches no installed plugin is a warning with a suggestion, not silence.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import pluggy

from robustx.base.errors import DuplicateNameError, PluginError, did_you_mean
from robustx.host import hookspecs
from robustx.host.entry_points import Source, discover, hook_group
from robustx.host.registry import Registry, plural

DISABLE_ENV = "ROBUSTX_DISABLE_PLUGINS"
#: provenance shown by ``robustx plugins`` / ``robustx list`` for the core's own entries
CORE = "robustx"
#: the core's own components, added after the plugins for each name none claimed. Loaded by name, the way
#: plugins are: it builds a Defense, so it lives in the train stage, above the host.
ESSENTIALS = "robustx.train.essentials"

#: registry kind -> the hook that fills it
KINDS: dict[str, str] = {
    "attack": "robustx_register_attacks",
    "defense": "robustx_register_defenses",
    "transform": "robustx_register_transforms",
    "architecture": "robustx_register_architectures",
    "dataset": "robustx_register_datasets",
    "recipe": "robustx_register_recipes",
    "analysis": "robustx_register_analyses",
    "optimizer": "robustx_register_optimizers",
    "schedule": "robustx_register_schedules",
    "augmentation": "robustx_register_augmentations",
    "certifier": "robustx_register_certifiers",
    "logger": "robustx_register_loggers",
}
HOOKS: list[str] = sorted(name for name in vars(hookspecs) if name.startswith("robustx_"))


@dataclass
class PluginInfo:
    """What ``robustx plugins`` shows about one plugin."""

    name: str
    module: str
    distribution: str | None = None
    version: str | None = None
    status: str = "not loaded"  # not loaded | loaded | failed | disabled
    error: str | None = None
    registered: dict[str, list[str]] = field(default_factory=dict)
    refused: dict[str, list[str]] = field(default_factory=dict)  # names another plugin already had


def disabled_plugins() -> set[str]:
    raw = os.environ.get(DISABLE_ENV, "")
    return {part.strip() for part in raw.split(",") if part.strip()}


def is_disabled(src: Source, disabled: set[str]) -> bool:
    """A plugin is disabled by its entry-point name or by its module (``robustx_training`` = ``training``)."""
    module = src.value.split(":")[0].strip()
    return bool({src.name, module, module.split(".")[0]} & disabled)


def check_disabled_names(sources: dict[str, Source], disabled: set[str]) -> list[str]:
    """One warning per ROBUSTX_DISABLE_PLUGINS name that matches no installed plugin (a typo disables nothing)."""

    known = {src.name: src for src in sources.values()}
    modules = {src.value.split(":")[0].strip() for src in sources.values()}
    problems = []
    for name in sorted(disabled - set(known) - modules - {m.split(".")[0] for m in modules}):
        problems.append(f"{DISABLE_ENV}: no installed plugin is called '{name}'{did_you_mean(name, known)}, so it "
                        f"disables nothing; `robustx plugins` lists the names")
    return problems


def warn(message: str) -> None:
    """Print one warning line to stderr (never raise: a plugin must not take robustx down)."""
    print(f"robustx: warning: {message}", file=sys.stderr)


class PluginHost:
    """Owns one pluggy manager, imports plugins as their hooks are needed, and builds the registries."""

    def __init__(self, load_entry_points: bool = True) -> None:
        self._pm = pluggy.PluginManager("robustx")
        self._pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self._sources: dict[str, Source] = {}
        self._registries: dict[str, Registry] = {}
        if load_entry_points:
            self._sources, problems = discover(HOOKS)
            for message in problems + check_disabled_names(self._sources, disabled_plugins()):
                warn(message)
            for src in self._sources.values():
                self.plugins[src.name] = PluginInfo(src.name, src.value, src.distribution, src.version)

    # -- loading -------------------------------------------------------------------------
    @property
    def pm(self) -> pluggy.PluginManager:
        """The pluggy manager with every plugin imported (for callers that use pluggy directly)."""
        self.load_all()
        return self._pm

    def load_all(self) -> None:
        """Import every plugin (``robustx plugins``, and direct pluggy use)."""
        for src in self._sources.values():
            self._load(src)

    def _load_for(self, hook_name: str) -> None:
        for src in self._sources.values():
            if src.serves(hook_name):
                self._load(src)

    def _load(self, src: Source) -> None:
        info = self.plugins[src.name]
        if info.status != "not loaded":
            return
        if is_disabled(src, disabled_plugins()):
            info.status = "disabled"
            return
        try:
            plugin = src.entry_point.load()
            self._pm.register(plugin, name=src.name)
        except Exception as exc:  # noqa: BLE001 - any import failure must be survivable
            info.status, info.error = "failed", f"{type(exc).__name__}: {exc}"
            warn(f"plugin '{src.name}' failed to load ({info.error}); disable it with {DISABLE_ENV}={src.name}")
            return
        info.status = "loaded"
        for hook_name in self._implemented(plugin):
            if hook_name not in HOOKS:
                warn(f"plugin '{src.name}' implements an unknown hook {hook_name}")
            elif not src.serves(hook_name):
                warn(f"plugin '{src.name}' implements {hook_name} but is not in the entry-point group "
                     f"{hook_group(hook_name)}, so robustx ignores it")

    def _implemented(self, plugin: Any) -> list[str]:
        return [name for name in dir(plugin)
                if name.startswith("robustx_") and self._pm.parse_hookimpl_opts(plugin, name) is not None]

    def _serves(self, plugin_name: str, hook_name: str) -> bool:
        src = self._sources.get(plugin_name)
        return src is None or src.serves(hook_name)  # plugins registered from Python serve every hook

    def _impls(self, hook_name: str) -> list[Any]:
        """The implementations of one hook that count, in registration order, importing plugins first."""
        self._load_for(hook_name)
        hook = getattr(self._pm.hook, hook_name)
        impls = [impl for impl in hook.get_hookimpls() if self._serves(impl.plugin_name, hook_name)]
        # robustx's own plugins first, whatever order plugins were imported in: a third-party plugin
        # reusing a name is then always the newcomer the duplicate message names (and asks to disable)
        return sorted(impls, key=lambda impl: not self._builtin(impl.plugin_name))

    def _builtin(self, plugin_name: str) -> bool:
        src = self._sources.get(plugin_name)
        return src is not None and src.distribution == "robustx"

    def register_plugin(self, plugin: Any, name: str | None = None) -> str:
        """Register a plugin object or module from Python (scripting, tests)."""
        name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        if name in disabled_plugins():
            self.plugins[name] = PluginInfo(name, repr(plugin), status="disabled")
            return name
        self._pm.register(plugin, name=name)
        self.plugins[name] = PluginInfo(name, getattr(plugin, "__name__", repr(plugin)), status="loaded")
        self._registries = {}
        return name

    # -- registries ----------------------------------------------------------------------
    @property
    def registries(self) -> dict[str, Registry]:
        """Every registry (imports every plugin that registers something)."""
        return {kind: self.registry(kind) for kind in KINDS}

    def registry(self, kind: str) -> Registry:
        """One kind's registry, built on first use from the plugins that serve its hook only."""
        if kind not in self._registries:
            self._registries[kind] = self._build(kind, KINDS[kind])
        return self._registries[kind]

    def _build(self, kind: str, hook_name: str) -> Registry:
        registry = Registry(kind)
        off = sorted(src.name for src in self._sources.values()
                     if src.serves(hook_name) and is_disabled(src, disabled_plugins()))
        if off:  # an unknown name may be one of theirs: say so instead of only "unknown"
            names = ", ".join(f"'{name}'" for name in off)
            registry.missing_note = (f"plugin {names}, which registers {plural(kind)}, is disabled by "
                                     f"{DISABLE_ENV}; remove it from {DISABLE_ENV} to use its {plural(kind)}")
        for impl in self._impls(hook_name):
            info = self.plugins.setdefault(impl.plugin_name, PluginInfo(impl.plugin_name, "?", status="loaded"))

            def register(name: str, factory: Any, *, aliases: Any = (), description: str = "",
                         smoke: dict[str, Any] | None = None, _info: PluginInfo = info) -> None:
                try:
                    registry.register(name, factory, aliases=tuple(aliases), description=description,
                                      plugin=_info.name, version=_info.version, smoke=smoke)
                except DuplicateNameError as exc:
                    _info.refused.setdefault(kind, []).append(name)
                    warn(str(exc))
                    return
                except PluginError as exc:
                    registry.record_conflict(name, str(exc))
                    warn(str(exc))
                    return
                _info.registered.setdefault(kind, []).append(name)

            register.kind = kind  # type: ignore[attr-defined]  # so register_declared(register, module) knows it
            kwargs = {"register": register} if "register" in impl.argnames else {}
            try:
                impl.function(**kwargs)
            except Exception as exc:  # noqa: BLE001
                info.status, info.error = "failed", f"{type(exc).__name__}: {exc}"
                warn(f"plugin '{impl.plugin_name}' failed in {hook_name} ({info.error}); "
                     f"disable it with {DISABLE_ENV}={impl.plugin_name}")
        # what the core's defaults name, unless a plugin provides it
        added = importlib.import_module(ESSENTIALS).register_essentials(kind, registry)
        if added:
            core = self.plugins.setdefault(CORE, PluginInfo(CORE, ESSENTIALS, "robustx", core_version(),
                                                            status="loaded"))
            core.registered.setdefault(kind, []).extend(added)
        return registry

    def call_hook(self, hook_name: str, **kwargs: Any) -> None:
        """Call a notification hook on every plugin that serves it; a failing plugin only warns."""
        for impl in self._impls(hook_name):
            try:
                impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})
            except Exception as exc:  # noqa: BLE001
                warn(f"plugin '{impl.plugin_name}' failed in {hook_name}: {type(exc).__name__}: {exc}")


def core_version() -> str | None:
    """The installed robustx version, for the provenance of the core's entries (``robustx plugins``)."""

    try:
        return version("robustx")
    except PackageNotFoundError:
        return None


_host: PluginHost | None = None


def get_host() -> PluginHost:
    """The process-wide host, created on first use (never at import time)."""
    global _host
    if _host is None:
        _host = PluginHost()
    return _host


def registry(kind: str) -> Registry:
    return get_host().registry(kind)
