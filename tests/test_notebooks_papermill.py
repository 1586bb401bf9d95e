"""An analyst notebook runs under papermill on a user's own files (parameters cell)."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NB = ROOT / "notebooks" / "03_test_the_links.ipynb"


def test_papermill_runs_03_on_user_files(tmp_path):
    import papermill as pm

    from bsc_toolkit.history import simulate_history
    from bsc_toolkit.scorecard import load_example, save_scorecard

    # "the user's files": a scorecard YAML and a KPI history CSV in long form with their own column names
    sc_path = save_scorecard(load_example("retail"), tmp_path / "my.yaml")
    long = simulate_history("retail", n_units=6, n_periods=10, seed=11).history.to_long()
    long = long.rename(columns={"unit": "store", "period": "quarter"})
    data = tmp_path / "my.csv"
    long.to_csv(data, index=False)
    out_dir = tmp_path / "results"

    out_nb = tmp_path / "out.ipynb"
    pm.execute_notebook(str(NB), str(out_nb), kernel_name="python3", cwd=str(NB.parent), progress_bar=False,
                        parameters={"scorecard": str(sc_path), "data": str(data), "unit": "store",
                                    "period": "quarter", "out_dir": str(out_dir)})
    nb = json.loads(out_nb.read_text())
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1 and "my.csv" in "".join(injected[0]["source"])
    text = "".join("".join(o.get("text", "")) for c in nb["cells"] if c["cell_type"] == "code"
                   for o in c.get("outputs", []))
    assert f"KPI history from {data}: panel of 6 units, 10 quarterly periods" in text
    assert "Simulated history" not in text  # the user's data was used, nothing simulated
    ev = json.loads((out_dir / "evidence.json").read_text())
    assert ev["format"] == "bsc-evidence/1" and len(ev["links"]) == 16
    assert ev["data"]["n_units"] == 6
