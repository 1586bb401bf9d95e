"""The solved notebooks use the course's own answer checker, ``../course_check.py``.

This file only loads that module under the same name, so ``from course_check import
check_answer`` reads the same in the student and the solved notebooks and there is one
answer key, not two copies that could drift apart.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location("course_check", Path(__file__).resolve().parent.parent / "course_check.py")
_module = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules["course_check"] = _module
_spec.loader.exec_module(_module)  # type: ignore[union-attr]
