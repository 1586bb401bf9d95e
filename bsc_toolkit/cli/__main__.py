"""``python -m bsc_toolkit.cli`` runs the ``bsc`` command line."""

import sys

from . import main

sys.exit(main())
