"""Every built-in registered component appears in its docs page (registry-driven, like timm's model docs).

A component "appears" when its name is written as code (an inline `span` or a fenced block) in the
page for its kind, as a whole name: `pgd` inside `pgd_l2` or `art:pgd` does not count.
"""

from __future__ import annotations

import re

import pytest
from helpers import ROOT

from robustx.host.manager import KINDS, PluginHost

#: registry kind -> the page a user reads to choose one
PAGES = {
    "attack": "attacks.md",
    "defense": "defenses.md",
    "transform": "recipes.md",
    "architecture": "architectures.md",
    "dataset": "datasets.md",
    "recipe": "reproductions.md",
    "analysis": "analyses.md",
    "optimizer": "recipes.md",
    "schedule": "recipes.md",
    "augmentation": "recipes.md",
    "logger": "trackers.md",
    "certifier": "certification.md",
}
HOST = PluginHost()
NAME_CHARS = r"A-Za-z0-9_:{}\-"


def _code(page: str) -> str:
    """The code in a markdown page: fenced blocks and inline spans, one per line."""
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.M | re.S)
    inline = re.findall(r"`([^`\n]+)`", re.sub(r"^```.*?^```", "", text, flags=re.M | re.S))
    return "\n".join(fenced + inline)


def _builtin_names(kind: str) -> list[str]:
    """Names (not aliases) registered by plugins shipped in the robustx distribution."""
    return [e.name for e in HOST.registry(kind)
            if HOST.plugins[e.plugin].distribution == "robustx"]


def test_every_kind_has_a_page():
    assert set(KINDS) <= set(PAGES), f"add a docs page for {sorted(set(KINDS) - set(PAGES))} to PAGES"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_builtin_component_is_documented(kind):
    page = PAGES[kind]
    code = _code(page)
    names = _builtin_names(kind)
    assert names, f"no built-in {kind} registered"
    missing = [n for n in names if not re.search(rf"(?<![{NAME_CHARS}]){re.escape(n)}(?![{NAME_CHARS}])", code)]
    assert not missing, "\n".join(f"docs/{page} does not mention {kind} `{n}` (write it as code)" for n in missing)


def test_the_check_sees_a_missing_name():
    """The matcher itself: a name that is only a prefix of a documented one does not count."""
    code = _code("attacks.md")
    assert re.search(rf"(?<![{NAME_CHARS}])pgd_l2(?![{NAME_CHARS}])", code)
    assert not re.search(rf"(?<![{NAME_CHARS}])pgd_l(?![{NAME_CHARS}])", code)
