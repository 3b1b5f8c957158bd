"""The ``robustx`` command line (click). Importing it does not import torch."""

from .main import cli, main

__all__ = ["cli", "main"]
