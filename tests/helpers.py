"""Test helpers: fake installed distributions (real entry points on sys.path) and CLI runners."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from robustx.host.hookspecs import hookimpl

ROOT = Path(__file__).resolve().parents[1]
ROBUSTX = [sys.executable, "-m", "robustx"]


def write_distribution(site: Path, dist: str, module: str, source: str, entry_name: str | None = None,
                       version: str = "1.0", groups: tuple[str, ...] = ("robustx",)) -> None:
    """Install a one-module distribution into ``site`` the way pip would: module + dist-info with entry points."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8")
    entry = f"{entry_name or module} = {module}\n"
    (info / "entry_points.txt").write_text("".join(f"[{group}]\n{entry}" for group in groups), encoding="utf-8")


#: runs the CLI, then writes every module it imported (``sys.modules``) to the file named by argv[1]
_MODULES_PROBE = """
import atexit, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w", encoding="utf-8").write("\\n".join(sorted(sys.modules))))
from robustx.cli import main
main(sys.argv[1:])
"""


def imported_modules(*args: str, env: dict[str, str] | None = None) -> set[str]:
    """Every module ``robustx ARGS`` imports, read from ``sys.modules`` at exit (exact, unlike a clock)."""
    full_env = {**os.environ, "ROBUSTX_NO_PROGRESS": "1", **(env or {})}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "modules.txt"
        result = subprocess.run([sys.executable, "-c", _MODULES_PROBE, str(out), *args], capture_output=True,
                                text=True, env=full_env, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        return set(out.read_text(encoding="utf-8").split())


def heavy_modules_after(code: str, heavy: tuple[str, ...]) -> list[str]:
    """Which of ``heavy`` a fresh interpreter has imported after running ``code`` (registration must stay light)."""
    probe = f"{code}\nimport sys\nprint(','.join(sorted(m for m in {heavy!r} if m in sys.modules)))\n"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return [name for name in result.stdout.strip().split(",") if name]


def pip_install(project: Path, target: Path) -> Path:
    """A real build and install of ``project`` into the private folder ``target`` (put it on PYTHONPATH)."""
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(project)], check=True, capture_output=True, text=True)
    return target


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: int = 300) -> subprocess.CompletedProcess:
    """Run ``python -m robustx ARGS`` as a real subprocess."""
    full_env = {**os.environ, "ROBUSTX_NO_PROGRESS": "1", **(env or {})}
    return subprocess.run([*ROBUSTX, *args], capture_output=True, text=True, env=full_env, cwd=cwd,
                          timeout=timeout)


class StopAfterEpoch:
    """A run-event plugin that interrupts the run like Ctrl-C right after epoch ``epoch``'s checkpoint."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    @hookimpl
    def robustx_run_event(self, event, payload):  # noqa: ANN001, ANN201
        if event == "epoch_end" and payload["metrics"]["epoch"] == self.epoch:
            raise KeyboardInterrupt
