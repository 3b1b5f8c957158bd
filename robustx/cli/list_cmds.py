"""``robustx list KIND [GLOB]`` and ``robustx plugins``.

``list KIND`` imports only the plugins that can register KIND; ``plugins`` imports them all.
"""

from __future__ import annotations

import click

from robustx.host.manager import KINDS as REGISTRY_KINDS
from robustx.host.registry import plural

#: what users type (plural) -> registry kind
KINDS = {plural(kind): kind for kind in REGISTRY_KINDS}


@click.command("list")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("glob", required=False)
def list_components(kind: str, glob: str | None) -> None:
    """Registered components of KIND, optionally filtered by a GLOB like 'pgd*' or 'art:*'."""
    from robustx.host.manager import registry  # lazy: a command's code loads when it runs, not at --help

    entries = registry(KINDS[kind]).entries(glob)
    if not entries:
        click.echo(f"no {kind} match {glob!r}" if glob else f"no {kind} registered")
        return
    width = max(len(e.name) for e in entries)
    for e in entries:
        aliases = f" (aliases: {', '.join(e.aliases)})" if e.aliases else ""
        refused = f"  REFUSED: {e.conflict}" if e.conflict else ""
        click.echo(f"{e.name.ljust(width)}  {e.description}{aliases}  [{e.plugin}]{refused}")


@click.command()
def plugins() -> None:
    """Installed plugins: version, status, and what each registered."""
    from robustx.host.manager import get_host  # lazy: a command's code loads when it runs, not at --help

    host = get_host()
    host.load_all()
    registries = host.registries  # build them so provenance is filled in
    for info in sorted(host.plugins.values(), key=lambda i: i.name):
        version = f" {info.version}" if info.version else ""
        dist = f" ({info.distribution}{version})" if info.distribution else ""
        refused = sum(len(names) for names in info.refused.values())
        status = info.status + (f", {refused} registration(s) refused" if refused else "")
        click.echo(f"{info.name}{dist}: {status}" + (f" - {info.error}" if info.error else ""))
        for kind, names in sorted(info.registered.items()):
            shown = [n + (" (REFUSED: claimed by two plugins)" if registries[kind].refused(n) else "") for n in names]
            click.echo(f"  {plural(kind)}: {', '.join(shown)}")
        for kind, names in sorted(info.refused.items()):
            for name in names:
                click.echo(f"  REFUSED {kind} '{name}': {registries[kind].refused(name) or 'already registered'}")
