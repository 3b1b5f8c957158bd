"""The wheel ships every module and data file (issue 24: a hand-listed package set once left out
``robustx/audit``, so ``pip install`` gave a robustx that could not finish a run).

The build runs on a copy of the sources in a temporary folder, so it never writes ``build/`` or
``*.egg-info`` into the (shared) checkout. .ci/wheel_smoke.sh installs the same wheel in a fresh venv.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import ROOT

#: source folder -> where its files land in the wheel (setup.py maps the same way)
SHIPPED = {"robustx": "robustx", "recipes": "robustx_recipes"}
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".*")


def _expected(src: Path) -> dict[str, Path]:
    """Wheel path -> source file, for every file under robustx/, recipes/ and plugins/<package>/ of ``src``
    (the snapshot that was built: the shared checkout may change while the test runs)."""
    out: dict[str, Path] = {}
    roots = dict(SHIPPED)
    roots.update({f"plugins/{p.name}": p.name for p in sorted((src / "plugins").iterdir())
                  if (p / "__init__.py").is_file()})
    for folder, target in roots.items():
        for path in sorted((src / folder).rglob("*")):
            rel = path.relative_to(src / folder)
            if path.is_file() and "__pycache__" not in rel.parts and path.suffix not in (".pyc", ".pyo") \
                    and not any(part.startswith(".") for part in rel.parts):
                out[f"{target}/{rel.as_posix()}"] = path
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the wheel, the source snapshot it was built from)."""
    src = tmp_path_factory.mktemp("src")
    for folder in ("robustx", "plugins", "recipes"):
        shutil.copytree(ROOT / folder, src / folder, ignore=SKIP)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                             "-w", str(out), str(src)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    (found,) = out.glob("robustx-*.whl")
    return found, src


@pytest.fixture(scope="module")
def wheel(built: tuple[Path, Path]) -> Path:
    return built[0]


@pytest.fixture(scope="module")
def source(built: tuple[Path, Path]) -> Path:
    return built[1]


def test_wheel_holds_every_module_and_data_file(wheel: Path, source: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = _expected(source)
    assert "robustx/evaluation/audit/checks/__init__.py" in expected and "robustx_recipes/quickstart.yaml" in expected
    missing = sorted(name for name in expected if name not in names)
    assert not missing, (f"{len(missing)} files do not ship (add a package-data pattern in pyproject.toml "
                         f"or an __init__.py): {missing[:10]}")


def test_wheel_entry_points_name_shipped_modules(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    (info,) = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
    parser = configparser.ConfigParser()
    parser.read_string(archive.read(info).decode())
    modules = {n[:-len("/__init__.py")].replace("/", ".") for n in archive.namelist() if n.endswith("/__init__.py")}
    modules |= {n[:-3].replace("/", ".") for n in archive.namelist() if n.endswith(".py")}
    targets = {value.split(":")[0].strip() for section in parser.sections() for value in parser[section].values()}
    assert "robustx.cli" in targets and "robustx_recipes" in targets
    assert sorted(t for t in targets if t not in modules) == []


def test_installed_wheel_imports_the_whole_core(wheel: Path, tmp_path: Path) -> None:
    """Installed without the checkout on the path: every robustx module imports (no torch work is done)."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile", "--target",
                    str(target), str(wheel)], check=True, capture_output=True, text=True, timeout=120)
    probe = ("import importlib, pkgutil, robustx, robustx_recipes\n"
             "assert robustx.__file__.startswith(%r), robustx.__file__\n"
             "names = [m.name for m in pkgutil.walk_packages(robustx.__path__, 'robustx.')]\n"
             "[importlib.import_module(n) for n in names if n != 'robustx.__main__']\n"
             "print(len(names))\n") % str(target)
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.split()[-1]) > 50
