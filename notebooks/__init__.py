"""Marks ``notebooks/`` as a package for pytest only: its ``conftest.py`` is then imported as
``notebooks.conftest`` and does not clash with ``tests/conftest.py`` (both would be ``conftest``)."""
