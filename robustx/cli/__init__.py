"""The ``robustx`` command line (click). Importing it does not import torch."""

from robustx.cli.main import cli, main

__all__ = ["cli", "main"]
