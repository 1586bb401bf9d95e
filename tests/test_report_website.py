"""The repository as a Quarto website (``_quarto.yml``), rendered with the real Quarto CLI.

It must render offline without a warning, without touching a tracked file (Quarto appends
``/.quarto/`` to a ``.gitignore`` that lacks it), and every navbar link must resolve. The
render works on a copy of the tracked files plus one generated report under ``reports/``.
Slow (about half a minute): ``make test-all`` runs it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _digest(folder: Path, files: list[str]) -> dict[str, str]:
    return {f: hashlib.sha256((folder / f).read_bytes()).hexdigest() for f in files}


@pytest.mark.slow
def test_project_website_renders_cleanly(tmp_path):
    quarto = shutil.which("quarto")
    if quarto is None:
        reason = "the Quarto CLI is not on PATH (make test-all puts ../shared/tools/quarto there)"
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to know the tracked files")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    site = tmp_path / "repo"
    for f in tracked:
        if (ROOT / f).is_file():
            (site / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, site / f)
    tracked = [f for f in tracked if (site / f).is_file()]
    from bsc_toolkit.report import build_report

    build_report("retail", kind="handout", out_dir=site / "reports" / "retail-handout", formats=(),
                 renderer="pandoc")
    before = _digest(site, tracked)
    env = dict(os.environ, QUARTO_LOG_LEVEL="INFO")
    proc = subprocess.run([quarto, "render"], cwd=site, capture_output=True, text=True, timeout=600, env=env)
    log = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    assert proc.returncode == 0, log[-2000:]
    assert not re.search(r"^\s*(WARN|WARNING)\b", log, flags=re.M), log
    assert _digest(site, tracked) == before, "quarto render changed a tracked file"
    out = site / "_site"
    page = (out / "reports" / "README.html").read_text(encoding="utf-8")
    nav = re.search(r'<nav class="navbar.*?</nav>', page, flags=re.S).group(0)
    hrefs = [h for h in re.findall(r'href="([^"#][^"]*)"', nav) if not h.startswith("http")]
    assert len(hrefs) >= 14  # reports, overview, seven notebooks, five course notebooks
    for h in hrefs:
        assert (out / "reports" / h.split("#")[0]).resolve().is_file(), f"navbar link {h} does not resolve"
    assert (out / "reports" / "retail-handout" / "index.html").is_file()
