"""The local stand-in for an LLM that notebook 01 talks to when the notebooks are tested or rebuilt.

Notebook 01 shows users how to point the toolkit at a real OpenAI-compatible endpoint
(``OPENAI_BASE_URL``, ``OPENAI_API_KEY``, ``BSC_LLM_MODEL``) and calls
``generate_scorecard(brief, provider="auto")``. No LLM service is reachable where the
notebooks are tested, so the test run (``notebooks/conftest.py``) and the rebuild
(``notebooks/build.py``) start the test suite's fake chat-completions server
(``tests/fake_llm.py``, a real HTTP server on 127.0.0.1) and start that notebook's kernel
with those three variables pointing at it. The user-facing cells hold no test code; the
real ``openai`` client is exercised end to end.

The script: a first answer with a mistake (a KPI direction ``sideways``), then the offline
draft of the notebook's own ``brief`` parameter, so the stored output shows one repair.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests"

#: notebooks whose kernel gets the stand-in's address
NOTEBOOKS = frozenset({"01_generate_a_scorecard.ipynb"})
MODEL = "fake-model"


def _brief_parameter(notebook: Path) -> str:
    """The default of the notebook's ``brief`` parameter (its cell tagged ``parameters``)."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    values: dict[str, object] = {}
    exec(compile(cell.source, f"{notebook.name}:parameters", "exec"), {}, values)  # our own file's cell
    return str(values["brief"])


@contextlib.contextmanager
def llm_environment(notebook: Path) -> Iterator[dict[str, str] | None]:
    """Environment variables for ``notebook``'s kernel while the stand-in runs (None: not needed)."""
    if Path(notebook).name not in NOTEBOOKS or not (TESTS / "fake_llm.py").is_file():
        yield None
        return
    from bsc_toolkit.generate import generate_scorecard

    sys.path.insert(0, str(TESTS))
    try:
        from fake_llm import FakeLLM
    finally:
        sys.path.remove(str(TESTS))
    good = generate_scorecard(_brief_parameter(Path(notebook)), provider="offline")
    broken = json.loads(good.to_json())
    broken["objectives"][0]["kpis"][0]["direction"] = "sideways"  # a mistake to be repaired
    with FakeLLM([json.dumps(broken), good.to_json()]) as llm:
        yield {"OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": "sk-local-stand-in", "BSC_LLM_MODEL": MODEL}
