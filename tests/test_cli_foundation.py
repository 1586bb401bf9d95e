"""The command line: exit codes, one-line errors, help that teaches, fast --help."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bsc_toolkit.cli import COMMANDS, main

BSC = [sys.executable, "-m", "bsc_toolkit.cli"]


def run(*args, cwd=None):
    return subprocess.run([*BSC, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_lint_example_ok(capsys):
    assert main(["lint", "retail"]) == 0
    assert "0 error(s), 0 warning(s)" in capsys.readouterr().out


def test_lint_exit_codes_and_strict(tmp_path, capsys):
    import yaml
    from scorecard_builders import build

    data = build(2, 1)  # 8 KPIs: a warning only
    p = tmp_path / "small.yaml"
    p.write_text(yaml.safe_dump(data))
    assert main(["lint", str(p)]) == 0
    assert main(["lint", "--strict", str(p)]) == 1
    data["objectives"][0]["kpis"] = []  # an error
    p.write_text(yaml.safe_dump(data))
    assert main(["lint", str(p)]) == 1
    out = capsys.readouterr().out
    assert "objective-without-kpi" in out


def test_bad_file_gives_one_line_and_exit_1(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("name: x\nobjectives:\n- id: A\n  perspective: finance\n  name: A\n")
    r = run("lint", str(p))
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "bad.yaml:4: objectives[0].perspective" in lines[0] and "'finance'" in lines[0]


def test_usage_error_exit_2():
    r = run("lint", "--no-such-flag")
    assert r.returncode == 2
    r = run("frobnicate")
    assert r.returncode == 2


def test_every_command_help_teaches_with_an_example():
    from bsc_toolkit.cli import _available

    mods = _available()
    assert {"lint", "score", "cascade"} <= {m.NAME for m in mods}
    for mod in mods:
        assert mod.NAME in COMMANDS
        assert "Example" in mod.DESCRIPTION, mod.NAME
        with pytest.raises(SystemExit) as e:
            main([mod.NAME, "--help"])
        assert e.value.code == 0


def test_score_with_actuals_file(tmp_path, capsys):
    p = tmp_path / "act.csv"
    p.write_text("kpi,value\nnps,35\n")
    assert main(["score", "retail", "--actuals", str(p)]) == 0
    assert "nps" in capsys.readouterr().out
    p.write_text("kpi,value\nnps,lots\n")
    assert main(["score", "retail", "--actuals", str(p)]) == 1
    err = capsys.readouterr().err
    assert "act.csv, row 2, column 'value'" in err and "'lots'" in err


def test_help_is_fast():
    """`bsc --help` must not import the heavy libraries."""
    code = ("import sys, time; t=time.perf_counter(); from bsc_toolkit.cli import build_parser; "
            "build_parser().format_help(); "
            "heavy=[m for m in ('pandas','statsmodels','linearmodels','matplotlib','openai','sklearn') if m in sys.modules]; "
            "print(heavy); print(time.perf_counter()-t)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    heavy, elapsed = r.stdout.strip().splitlines()
    assert heavy == "[]", f"--help imported {heavy}"
    assert float(elapsed) < 1.0
