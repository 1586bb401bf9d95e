"""Type aliases for what the stages accept, for annotations only.

The aliases exist only for the type checker: import them under ``if TYPE_CHECKING:``
(they name classes of later stages, and a runtime import could make a cycle)::

    from typing import TYPE_CHECKING

    if TYPE_CHECKING:
        from .._typing import EvidenceSource
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import TypeAlias

    from .evidence.results import Evidence
    from .scorecard.model import Scorecard

    #: a file path
    PathLike: TypeAlias = str | os.PathLike[str]
    #: what :func:`bsc_toolkit.evidence.load_evidence` reads: an Evidence, its dict or its JSON file
    EvidenceSource: TypeAlias = Evidence | Mapping[str, Any] | str | os.PathLike[str]
    #: what :func:`bsc_toolkit.scorecard.load_scorecard` reads (a file or an example name), or a Scorecard
    ScorecardSource: TypeAlias = Scorecard | str | os.PathLike[str]
