"""Which plugin modules exist, and which hooks each may serve, read from entry-point metadata only.

Nothing here imports a plugin: that is the point. A plugin listed in the ``robustx`` group may
implement any hook (except commands), so robustx imports it whenever some hook is needed. A plugin
may instead list itself in narrower groups, one per hook family it implements, and robustx then
imports it only when one of those hooks is needed:

    robustx.attacks  robustx.defenses  robustx.transforms  robustx.architectures  robustx.datasets
    robustx.recipes  robustx.analyses  robustx.commands    robustx.run_event  robustx.certifiers

``robustx --help`` imports only ``robustx.commands`` plugins; ``robustx list attacks`` only the
``robustx`` and ``robustx.attacks`` ones. Commands come only from ``robustx.commands``, so a plugin
that imports torch at module level never slows ``--help`` down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import metadata

GENERAL_GROUP = "robustx"
#: hooks a general (``robustx`` group) plugin does not serve: they must be asked for by group
OPT_IN_HOOKS = frozenset({"robustx_register_commands"})


def hook_group(hook_name: str) -> str:
    """The entry-point group of one hook: ``robustx_register_attacks`` -> ``robustx.attacks``."""
    short = hook_name.removeprefix("robustx_register_") if hook_name.startswith("robustx_register_") \
        else hook_name.removeprefix("robustx_")
    return f"{GENERAL_GROUP}.{short}"


@dataclass
class Source:
    """One plugin as its entry points declare it: the module to import and the hooks it serves."""

    name: str
    value: str
    distribution: str | None
    version: str | None
    groups: set[str] = field(default_factory=set)
    entry_point: metadata.EntryPoint | None = None

    @property
    def general(self) -> bool:
        return GENERAL_GROUP in self.groups

    def serves(self, hook_name: str) -> bool:
        if hook_group(hook_name) in self.groups:
            return True
        return self.general and hook_name not in OPT_IN_HOOKS


def discover(hook_names: list[str]) -> tuple[dict[str, Source], list[str]]:
    """Every plugin named in the robustx groups (by entry-point name), and warnings about conflicts.

    One name in several groups is one plugin; it must point to the same module in all of them.
    """
    groups = [GENERAL_GROUP, *sorted({hook_group(h) for h in hook_names})]
    found: dict[str, Source] = {}
    problems: list[str] = []
    everything = metadata.entry_points()
    for group in groups:
        for ep in sorted(everything.select(group=group), key=lambda e: e.name):
            source = found.get(ep.name)
            if source is None:
                dist = getattr(ep, "dist", None)
                source = found[ep.name] = Source(ep.name, ep.value, dist.metadata["Name"] if dist else None,
                                                 dist.version if dist else None, entry_point=ep)
            elif source.value != ep.value:
                problems.append(f"plugin '{ep.name}' is {source.value} in one entry-point group and {ep.value} "
                                f"in {group}; using {source.value}")
                continue
            source.groups.add(group)
    return found, problems
