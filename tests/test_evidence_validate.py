"""validate() over a scorecard: FDR, verdicts, errors, the JSON contract, result objects, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _evidence_helpers import ar_panel, history_from_arrays, two_kpi_scorecard
from numpy.testing import assert_allclose

from bsc_toolkit.errors import DataError
from bsc_toolkit.evidence import Evidence, load_evidence, validate


@pytest.fixture(scope="module")
def card():
    return two_kpi_scorecard([
        {"from": "L1", "to": "F1", "sign": "positive", "lags": [1]},   # planted +0.5
        {"from": "P1", "to": "F1", "sign": "positive", "lags": [1]},   # planted -0.5 (contradicted)
        {"from": "C1", "to": "F1", "sign": "positive", "max_lag": 2},  # no effect
        {"from": "L1", "to": "P1", "sign": "positive", "lags": [1]},   # no effect
    ])


@pytest.fixture(scope="module")
def hist():
    rng = np.random.default_rng(42)
    N, T, burn = 30, 16, 10
    x, w, v = (rng.normal(size=(N, T + burn)) for _ in range(3))
    y = np.zeros((N, T + burn))
    for t in range(1, T + burn):
        y[:, t] = 0.4 * y[:, t - 1] + 0.5 * x[:, t - 1] - 0.5 * w[:, t - 1] + rng.normal(size=N)
    cols = {"x": x, "w": w, "v": v, "y": y}
    return history_from_arrays({k: a[:, burn:] for k, a in cols.items()}, frequency="quarterly",
                               source="sim.csv")


@pytest.fixture(scope="module")
def ev(card, hist):
    return validate(card, hist, transform="none")


def test_verdicts_on_planted_links(ev):
    v = {(lk.from_, lk.to): lk.verdict for lk in ev.links}
    assert v[("L1", "F1")] == "supported"
    assert v[("P1", "F1")] == "contradicted"
    assert v[("C1", "F1")] == "not_supported"
    assert v[("L1", "P1")] == "not_supported"
    lk = ev.link("L1", "F1")
    assert lk.from_kpi == "x" and lk.to_kpi == "y"
    assert_allclose(lk.long_run.estimate, 0.5, atol=0.1)
    assert lk.long_run.ci_low < 0.5 < lk.long_run.ci_high
    assert "q < 0.001 (FDR level 0.05)" in lk.reason and "expected sign" in lk.reason
    assert "negative, positive was expected" in ev.link("P1", "F1").reason


def test_q_values_are_benjamini_hochberg(ev):
    from statsmodels.stats.multitest import multipletests

    p = [lk.p_value for lk in ev.links]
    q = multipletests(p, method="fdr_bh")[1]
    assert_allclose([lk.q_value for lk in ev.links], q, rtol=1e-12)
    mt = ev.multiple_testing
    assert mt["method"] == "benjamini-hochberg" and mt["n_tests"] == 4
    assert "false discovery rate" in mt["note"]


def test_defaults_for_a_panel(ev):
    s = ev.settings
    assert (s["effects"], s["cov"], s["own_lags"], s["max_lag"]) == ("both", "clustered", 1, 2)
    lk = ev.link("C1", "F1")
    assert lk.method["lag_selection"] == "bic"
    assert lk.method["effects"] == "both" and lk.method["covariance"] == "clustered"
    assert lk.long_run_multiplier is not None


def test_insufficient_links_are_left_out_of_fdr(card, hist):
    h = history_from_arrays({k: hist.data[k].to_numpy().reshape(30, 16)[:, :3] for k in "xwvy"})
    ev = validate(card, h, transform="none", own_lags=1)
    assert all(lk.verdict == "insufficient_data" for lk in ev.links)
    assert ev.multiple_testing["n_tests"] == 0
    assert "too few periods for the lags" in ev.links[0].reason
    assert any("no verdict" in w for w in ev.warnings)


def test_missing_kpi_columns_name_them_and_the_source(card, hist):
    h = history_from_arrays({"x": np.zeros((3, 10)), "v": np.zeros((3, 10))}, source="kpis.csv")
    with pytest.raises(DataError) as exc:
        validate(card, h)
    msg = str(exc.value)
    assert "kpis.csv" in msg and "'y'" in msg and "'w'" in msg and "L1->F1" in msg


def test_bad_options(card, hist):
    with pytest.raises(DataError, match="`effects` must be one of"):
        validate(card, hist, effects="firm")
    with pytest.raises(DataError, match="control column"):
        validate(card, hist, controls=["price"])
    single = history_from_arrays({k: np.arange(20.0) for k in "xwvy"})
    with pytest.raises(DataError, match="single series"):
        validate(card, single, effects="time")


def test_json_contract_and_round_trip(ev, tmp_path, sample_evidence_path):
    path = ev.save(tmp_path / "ev.json")
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    d = json.loads(text)
    sample = json.loads(sample_evidence_path.read_text())
    # every key of the documented format is present (top level, link, term, long_run, method)
    assert set(sample) <= set(d)
    assert set(sample["settings"]) <= set(d["settings"])
    assert set(sample["data"]) <= set(d["data"])
    lk, slk = d["links"][0], sample["links"][0]
    assert set(slk) <= set(lk)
    assert set(slk["terms"][0]) <= set(lk["terms"][0])
    assert set(slk["long_run"]) <= set(lk["long_run"])
    assert set(slk["method"]) <= set(lk["method"])
    assert d["format"] == "bsc-evidence/1" and isinstance(d["drivers"], list) and isinstance(d["suggestions"], list)
    back = load_evidence(path)
    assert back.to_dict() == ev.to_dict()
    assert load_evidence(ev.to_dict()).to_dict() == d


def test_load_the_hand_written_sample(sample_evidence_path):
    ev = load_evidence(sample_evidence_path)
    assert isinstance(ev, Evidence) and len(ev.links) > 0
    assert ev.links[0].terms[0].name == "training_hours.L1"


def test_load_evidence_errors(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text("{not json")
    with pytest.raises(DataError, match="bad.json.*not valid JSON"):
        load_evidence(p)
    with pytest.raises(DataError, match="'format' must be 'bsc-evidence/1'"):
        load_evidence({"links": []})
    with pytest.raises(DataError, match=r"links\[0\].verdict must be one of"):
        load_evidence({"format": "bsc-evidence/1", "links": [{"from": "a", "to": "b", "verdict": "yes"}]})


def test_result_objects_are_read_only_and_render(ev):
    lk = ev.links[0]
    with pytest.raises(AttributeError):
        lk.verdict = "supported"
    with pytest.raises(AttributeError):
        ev.links = ()
    assert "Verdict:" in lk.summary and "cumulative effect over the lag window" in lk.summary
    f = lk.to_frame()
    assert list(f["kind"]) == ["driver", "own", "long_run"]
    assert "<table" in lk._repr_html_()
    frame = ev.to_frame()
    assert list(frame["verdict"]) == [x.verdict for x in ev.links]
    assert "Benjamini-Hochberg FDR at 0.05 over 4 links" in ev.summary
    assert "supported" in ev._repr_html_()


def test_html_escapes_user_text():
    sc = two_kpi_scorecard([{"from": "L1", "to": "F1", "lags": [1]}])
    d = {"format": "bsc-evidence/1", "scorecard": "<script>x</script>",
         "links": [{"from": "L1", "to": "F1", "from_kpi": "x", "to_kpi": "y", "verdict": "not_supported",
                    "reason": "<b>bad</b>"}]}
    html = load_evidence(d)._repr_html_()
    assert "<script>" not in html and "&lt;b&gt;bad" in html
    assert sc.links


def test_progress_bar(card, hist, capsys):
    validate(card, hist, transform="none", progress=True)
    assert "testing links" in capsys.readouterr().err


def test_cli_validate_panel(card, hist, tmp_path, capsys):
    from bsc_toolkit.cli import main

    df = hist.to_frame()
    df.to_csv(tmp_path / "h.csv", index=False)
    (tmp_path / "card.yaml").write_text(card.to_yaml())
    out = tmp_path / "ev.json"
    rc = main(["validate", str(tmp_path / "card.yaml"), "--data", str(tmp_path / "h.csv"), "--unit",
               "unit", "--period", "period", "--transform", "none", "--json", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "L1 -> F1" in text and "contradicted" in text
    d = json.loads(out.read_text())
    assert {lk["verdict"] for lk in d["links"]} >= {"supported", "contradicted"}
    # bad input: exit 1 with one line naming the problem
    rc = main(["validate", str(tmp_path / "card.yaml"), "--data", str(tmp_path / "h.csv"), "--unit",
               "unit", "--period", "period", "--controls", "nope"])
    assert rc == 1
    assert "nope" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["validate", str(tmp_path / "card.yaml"), "--data", "h.csv", "--cov", "sandwich"])
    assert exc.value.code == 2


def test_cli_help_teaches(capsys):
    from bsc_toolkit.cli import main

    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    text = capsys.readouterr().out
    for word in ("supported", "contradicted", "insufficient_data", "Benjamini-Hochberg", "Examples"):
        assert word in text


def test_planted_simulation_single_series():
    rng = np.random.default_rng(7)
    x, y = ar_panel(rng, 1, 80, beta=0.6)
    sc = two_kpi_scorecard([{"from": "L1", "to": "F1", "lags": [1]}])
    h = history_from_arrays({"x": x[0], "y": y[0], "w": rng.normal(size=80), "v": rng.normal(size=80)})
    ev = validate(sc, h)
    lk = ev.links[0]
    assert lk.method["covariance"] == "hac" and lk.method["estimator"] == "OLS"
    assert lk.verdict == "supported", lk.reason
