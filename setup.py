"""Packages are *found*, not listed, so a new subpackage (``robustx/evaluation/audit/checks``) or plugin ships.

Why a setup.py: pyproject's ``packages.find`` cannot rename a folder, and the built-in recipes live in
``recipes/`` but import as ``robustx_recipes``. Everything else (metadata, entry points, package data)
stays in pyproject.toml; tests/e2e/test_wheel.py builds the wheel and checks that every file ships.
"""

from setuptools import find_packages, setup

PLUGINS = "plugins"  # each folder in it is a top-level package: plugins/robustx_models -> robustx_models
RENAMED = {"robustx_recipes": "recipes"}

packages = find_packages(include=["robustx", "robustx.*"])
package_dir: dict[str, str] = {}
for package in find_packages(PLUGINS):
    packages.append(package)
    if "." not in package:
        package_dir[package] = f"{PLUGINS}/{package}"
for package, folder in RENAMED.items():
    packages.append(package)
    package_dir[package] = folder

setup(packages=packages, package_dir=package_dir)
