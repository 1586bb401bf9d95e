"""``python -m bsc_toolkit.cli`` runs the ``bsc`` command line."""

from . import run

run()
