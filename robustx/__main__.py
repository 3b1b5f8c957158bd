"""``python -m robustx`` = the ``robustx`` command."""

from robustx.cli import main

main()
