"""Built-in recipes: every ``*.yaml`` file next to this module, registered by its stem."""

from __future__ import annotations

from pathlib import Path

from robustx.host.hookspecs import hookimpl

_HERE = Path(__file__).parent


def _description(path: Path) -> str:
    """The first header comment line, which every shipped recipe starts with."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
        if line.strip():
            break
    return ""


@hookimpl
def robustx_register_recipes(register) -> None:
    for path in sorted(_HERE.glob("*.yaml")):
        register(path.stem, str(path), description=_description(path))
