"""The robustx version, at the bottom so every stage may record it (run markers, model.json)."""

__version__ = "0.1.0"  # keep equal to pyproject.toml's version (tests/e2e/test_wheel.py checks)
