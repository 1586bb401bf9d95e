"""``python -m bsc_toolkit`` runs the ``bsc`` command line."""

import sys

from .cli import main

sys.exit(main())
