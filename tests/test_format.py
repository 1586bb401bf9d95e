"""The one number formatter (bsc_toolkit._format): doctests plus the rules users rely on."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

from bsc_toolkit import _format
from bsc_toolkit._format import fmt_ci, fmt_count, fmt_num, fmt_p, fmt_share, fmt_value


def test_doctests() -> None:
    res = doctest.testmod(_format)
    assert res.attempted >= 10 and res.failed == 0


@pytest.mark.parametrize("x", [8e4, 1.2e4, 123456789.0, -98765.4, 1e15])
def test_kpi_scale_never_scientific(x: float) -> None:
    s = fmt_num(x)
    assert "e" not in s and "," in s
    assert float(s.replace(",", "")) == pytest.approx(round(x), abs=0.5)


def test_three_significant_figures_round_trip() -> None:
    rng = np.random.default_rng(3)
    for x in rng.lognormal(0, 3, size=500) * rng.choice([-1, 1], size=500):
        s = fmt_num(x)
        back = float(s.replace(",", ""))
        if abs(x) >= 1000:
            assert back == pytest.approx(round(x), abs=0.5)
        else:  # three significant figures: relative error at most half a unit in the 3rd digit
            assert abs(back - x) <= 0.5 * 10 ** (math.floor(math.log10(abs(x))) - 2) * 1.0001, (x, s)


def test_p_values_and_missing() -> None:
    assert [fmt_p(x) for x in (0.04999, 0.0009, 1.2, float("nan"))] == ["0.050", "<0.001", "1.000", "–"]
    assert fmt_num(float("inf")) == "–" and fmt_ci(1, None) == "–"


def test_counts_units_shares() -> None:
    assert fmt_count(1, "period") == "1 period" and fmt_count(0, "period") == "0 periods"
    assert fmt_value(1234.5, "EUR") == "1,234 EUR" and fmt_value(3.25, "pp") == "3.25pp"
    assert fmt_share(0.5) == "50%"
