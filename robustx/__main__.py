"""``python -m robustx`` = the ``robustx`` command."""

from .cli import main

main()
