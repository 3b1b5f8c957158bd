"""Test helpers: fake installed distributions (real entry points on sys.path) and CLI runners."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROBUSTX = [sys.executable, "-m", "robustx"]


def write_distribution(site: Path, dist: str, module: str, source: str, entry_name: str | None = None,
                       version: str = "1.0") -> None:
    """Install a one-module distribution into ``site`` the way pip would: module + dist-info with entry points."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[robustx]\n{entry_name or module} = {module}\n", encoding="utf-8")


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: int = 300) -> subprocess.CompletedProcess:
    """Run ``python -m robustx ARGS`` as a real subprocess."""
    full_env = {**os.environ, "ROBUSTX_NO_PROGRESS": "1", **(env or {})}
    return subprocess.run([*ROBUSTX, *args], capture_output=True, text=True, env=full_env, cwd=cwd,
                          timeout=timeout)
