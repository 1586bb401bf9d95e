"""Trend and unit-root handling for ``transform="auto"``: ADF and KPSS (statsmodels).

For a single series both tests run on the series itself. For panels they run per
unit (up to :data:`MAX_UNITS_TESTED` units, evenly spread) on the series the
model actually sees -- after removing the cross-sectional mean of each period
when time effects are in the model -- and the per-unit ADF p-values are combined
with Choi's (2001) inverse-normal test; for KPSS the share of units that reject
is used. Each series is classed as

* ``stationary``: ADF (constant) rejects a unit root and KPSS (level) does not
  reject stationarity;
* ``trend-stationary``: otherwise, ADF (constant and trend) rejects and KPSS
  (trend) does not reject at the 1% level; in panels also a series that passes as
  stationary but whose unit-specific linear trends are jointly significant. In panels
  detrending needs that evidence either way: unit-specific trends significant at the 1%
  level in the bootstrap-calibrated test :func:`unit_trend_bootstrap` (a series whose
  trend-route tests pass without significant trends is ``stationary``);
* ``unit root``: neither.

The link is then differenced when either end has a unit root, detrended when
either end is trend-stationary, and left in levels otherwise.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .inference import f_sf
from .within import absorb

#: at most this many units are tested per column in a panel (evenly spread, deterministic)
MAX_UNITS_TESTED = 20
#: fewer non-missing periods than this per series: no unit-root tests
MIN_PERIODS_TESTS = 15
#: tests use this level
TEST_LEVEL = 0.05
#: KPSS (trend) must reject at this level to overrule an ADF (trend) rejection: the tests
#: often conflict for persistent stationary series, and the model has the outcome's own lags
KPSS_TREND_LEVEL = 0.01
#: in panels, a KPSS null is treated as rejected when more than this share of units reject
KPSS_SHARE = 0.25


#: caveat for links whose series were too short for the tests (``transform="auto"`` stays in
#: levels). Figures from tests/test_evidence_power.py::test_short_panel_trends_slow (200 runs each,
#: seed 1, defaults, det_trend scenario: unit-specific slopes U(0.1, 0.4) shared by driver and outcome).
#: Extending :func:`unit_trend_test` to these lengths does not help: at 0.1% it flags 19-33% of
#: trend-free AR(0.5) panels (30 units x 8-12 periods) and finds only about 42% of the trending ones.
SHORT_PANEL_CAVEAT = (
    "short panel: with fewer than {min_t} periods transform='auto' runs no unit-root or trend tests "
    "and stays in levels; unit-specific trends shared by driver and outcome can then produce a "
    "spurious link (simulated with 30 units: 9% of trending null links 'supported' at 12 periods, "
    "4% at 8, against 1.5% without trends); transform='detrend' brings that to 2% but loses "
    "power (a planted effect found in 95% instead of 100% of runs at 12 periods, 53% instead "
    "of 84% at 8)"
)
SHORT_SERIES_CAVEAT = (
    "short series: with fewer than {min_t} periods transform='auto' runs no unit-root or trend tests "
    "and stays in levels; a trend shared by driver and outcome can produce a spurious link; "
    "consider transform='detrend' or 'diff'"
)


@dataclass(frozen=True)
class SeriesClass:
    kind: str  # "stationary" | "trend-stationary" | "unit root" | "untested"
    detail: str
    #: ADF p-value (Choi-combined for panels) without and with a trend, when the tests ran
    adf_p: tuple[float, float] | None = None

    @property
    def adf_unit_root(self) -> bool:
        """ADF itself does not reject a unit root at 10%, with or without a trend (strong evidence,
        unlike a KPSS rejection alone, which short persistent series often give)."""
        return self.kind == "unit root" and self.adf_p is not None and min(self.adf_p) > 0.10


def _adf_p(s: np.ndarray, regression: str, fixed_lag: bool) -> float:
    from statsmodels.tsa.stattools import adfuller

    if fixed_lag:
        return float(adfuller(s, maxlag=1, regression=regression, autolag=None, result_object=False)[1])
    return float(adfuller(s, regression=regression, autolag="AIC", result_object=False)[1])


def _kpss_p(s: np.ndarray, regression: str) -> float:
    from statsmodels.tsa.stattools import kpss

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # InterpolationWarning: p outside the table (0.01/0.1)
        return float(kpss(s, regression=regression, nlags="auto")[1])


def _longest_run(v: np.ndarray) -> np.ndarray:
    """The series without leading/trailing NaN; interior gaps are dropped (tests need no gaps)."""
    return v[np.isfinite(v)]


def classify_series(v: np.ndarray) -> SeriesClass:
    """Class one series with ADF and KPSS (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> classify_series(np.cumsum(rng.normal(size=200))).kind
    'unit root'
    """
    s = _longest_run(np.asarray(v, dtype=float))
    n = len(s)
    if n < MIN_PERIODS_TESTS:
        return SeriesClass("untested", f"{n} periods, fewer than {MIN_PERIODS_TESTS} for ADF/KPSS")
    if np.nanstd(s) == 0:
        return SeriesClass("stationary", "constant")
    a_c, k_c = _adf_p(s, "c", False), _kpss_p(s, "c")
    if a_c < TEST_LEVEL and k_c > TEST_LEVEL:
        return SeriesClass("stationary", f"ADF p={a_c:.3f} rejects a unit root, KPSS p={_kp(k_c)}")
    a_t, k_t = _adf_p(s, "ct", False), _kpss_p(s, "ct")
    if a_t < TEST_LEVEL and k_t > KPSS_TREND_LEVEL:
        return SeriesClass(
            "trend-stationary",
            f"level: ADF p={a_c:.3f}, KPSS p={_kp(k_c)}; around a trend: ADF p={a_t:.3f} rejects a "
            f"unit root, KPSS p={_kp(k_t)}",
        )
    return SeriesClass(
        "unit root",
        f"ADF does not reject a unit root or KPSS rejects stationarity (level: ADF p={a_c:.3f}, "
        f"KPSS p={_kp(k_c)}; trend: ADF p={a_t:.3f}, KPSS p={_kp(k_t)})",
        (a_c, a_t),
    )


def _kp(p: float) -> str:
    if p <= 0.01:
        return "<=0.01"
    if p >= 0.1:
        return ">=0.10"
    return f"{p:.3f}"


# ------------------------------------------------------- per-unit tests, vectorised
# MacKinnon (1994) response-surface coefficients for the ADF p-value, one integrated series (N=1),
# as in statsmodels.tsa.adfvalues (the p-values equal statsmodels' mackinnonp; a test checks it)
_MACKINNON = {
    "c": {"max": 2.74, "min": -18.83, "star": -1.61,
          "small": np.array([2.1659, 1.4412, 3.8269]) * np.array([1, 1, 1e-2]),
          "large": np.array([1.7339, 9.3202, -1.2745, -1.0368]) * np.array([1, 1e-1, 1e-1, 1e-2])},
    "ct": {"max": 0.7, "min": -16.18, "star": -2.89,
           "small": np.array([3.2512, 1.6047, 4.9588]) * np.array([1, 1, 1e-2]),
           "large": np.array([2.5261, 6.1654, -3.7956, -6.0285]) * np.array([1, 1e-1, 1e-1, 1e-2])},
}
# Kwiatkowski et al. (1992) critical values, as statsmodels' kpss interpolates them
_KPSS_CRIT = {"c": [0.347, 0.463, 0.574, 0.739], "ct": [0.119, 0.146, 0.176, 0.216]}
_KPSS_P = [0.10, 0.05, 0.025, 0.01]


def mackinnon_p(stat: np.ndarray, regression: str) -> np.ndarray:
    """MacKinnon's approximate ADF p-values (statsmodels ``mackinnonp``, N=1), vectorised."""
    from scipy.special import ndtr

    c = _MACKINNON[regression]
    stat = np.asarray(stat, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):  # a degenerate series' NaN/inf statistic
        small = np.polyval(c["small"][::-1], stat)
        large = np.polyval(c["large"][::-1], stat)
    p = ndtr(np.where(stat <= c["star"], small, large))
    return np.where(stat > c["max"], 1.0, np.where(stat < c["min"], 0.0, p))


def _ols_first_t(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """t statistic of the first coefficient of y[i] on X[i] for a stack of regressions.

    Pseudo-inverse, as statsmodels' OLS (so a degenerate series gives what statsmodels gives
    instead of an error)."""
    P = np.linalg.pinv(X)  # m x k x n
    b = np.einsum("mkn,mn->mk", P, y)
    e = y - np.einsum("mnk,mk->mn", X, b)
    n, k = X.shape[1], X.shape[2]
    s2 = np.einsum("mn,mn->m", e, e) / (n - k)
    var0 = s2 * np.einsum("mn,mn->m", P[:, 0, :], P[:, 0, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        return b[:, 0] / np.sqrt(var0)


def adf_fixed_lag(S: np.ndarray, regression: str) -> np.ndarray:
    """ADF p-values with one lagged difference for each row of S (equal-length series).

    The regression of ``statsmodels.tsa.stattools.adfuller(x, maxlag=1, autolag=None)``:
    the change on the lagged level, one lagged change, a constant (and a trend for ``ct``).
    """
    S = np.asarray(S, dtype=float)
    d = np.diff(S, axis=1)
    nobs = d.shape[1] - 1
    cols = [S[:, 1:-1], d[:, :-1], np.ones((S.shape[0], nobs))]
    if regression == "ct":
        cols.append(np.broadcast_to(np.arange(1, nobs + 1, dtype=float), (S.shape[0], nobs)))
    return mackinnon_p(_ols_first_t(np.stack(cols, axis=-1), d[:, 1:]), regression)


def kpss_auto(S: np.ndarray, regression: str) -> np.ndarray:
    """KPSS p-values (``statsmodels.tsa.stattools.kpss(x, regression, nlags="auto")``) per row of S."""
    S = np.asarray(S, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):  # a flat series gives NaN, as in statsmodels
        return _kpss(S, regression)


def _kpss(S: np.ndarray, regression: str) -> np.ndarray:
    m, n = S.shape
    if regression == "ct":
        X = np.broadcast_to(np.column_stack([np.ones(n), np.arange(1, n + 1.0)]), (m, n, 2))
        Q, _ = np.linalg.qr(X)
        r = S - np.einsum("mnk,mk->mn", Q, np.einsum("mnk,mn->mk", Q, S))
    else:
        r = S - S.mean(axis=1, keepdims=True)
    eta = np.sum(np.cumsum(r, axis=1) ** 2, axis=1) / n ** 2
    # Hobijn et al. (1998) automatic bandwidth, as statsmodels' _kpss_autolag
    covlags = int(np.power(n, 2.0 / 9.0))
    s0 = np.sum(r ** 2, axis=1) / n
    s1 = np.zeros(m)
    for i in range(1, covlags + 1):
        prod = np.einsum("mn,mn->m", r[:, i:], r[:, : n - i]) / (n / 2.0)
        s0 = s0 + prod
        s1 = s1 + i * prod
    gamma = 1.1447 * np.power((s1 / s0) ** 2, 1.0 / 3.0)
    lags = np.minimum((gamma * np.power(n, 1.0 / 3.0)).astype(int), n - 1)
    s_hat = np.sum(r ** 2, axis=1)
    for i in range(1, int(lags.max()) + 1 if m else 1):
        prod = np.einsum("mn,mn->m", r[:, i:], r[:, : n - i])
        s_hat = s_hat + np.where(lags >= i, 2 * prod * (1.0 - i / (lags + 1.0)), 0.0)
    stat = eta / (s_hat / n)
    return np.interp(stat, _KPSS_CRIT[regression], _KPSS_P)


def _by_length(series: list[np.ndarray], fn: Any, regression: str) -> np.ndarray:
    """Apply a vectorised test to series of possibly different lengths (grouped by length)."""
    out = np.empty(len(series))
    lengths = np.array([len(x) for x in series])
    for n in np.unique(lengths):
        idx = np.flatnonzero(lengths == n)
        out[idx] = fn(np.stack([series[i] for i in idx]), regression)
    return out


def _choi(pvals: np.ndarray) -> float:
    """Choi (2001) inverse-normal combination: Z = sum(Phi^-1(p_i))/sqrt(m), p = Phi(Z)."""
    from scipy.special import ndtr, ndtri

    p = np.clip(pvals, 1e-12, 1 - 1e-12)
    z = ndtri(p).sum() / math.sqrt(len(p))
    return float(ndtr(z))


def adf_pvalues(a: np.ndarray, *, panel: bool, time_demean: bool) -> tuple[float, float] | None:
    """ADF p-values without and with a trend -- the same tests :func:`classify_panel` (Choi-combined
    per-unit tests, one lag) or :func:`classify_series` (AIC lags) run -- or None when too short.

    Enough to tell whether a unit root is left in a model (``min > 0.10``), without the KPSS
    and trend tests of a full classification.
    """
    a = np.asarray(a, dtype=float)
    if not panel:
        s = _longest_run(a.ravel())
        if len(s) < MIN_PERIODS_TESTS or np.nanstd(s) == 0:
            return None
        return _adf_p(s, "c", False), _adf_p(s, "ct", False)
    return adf_pvalues_many([a], time_demean=time_demean)[0]


def adf_pvalues_many(arrays: Sequence[np.ndarray], *, time_demean: bool) -> list[tuple[float, float] | None]:
    """:func:`adf_pvalues` of several panel columns, their per-unit regressions solved together
    (the same numbers: each unit's regression is its own)."""
    per: list[list[np.ndarray] | None] = []
    for a in arrays:
        series = _tested_units(a, time_demean)[1]
        per.append(series if len(series) >= 2 else None)
    flat = [s for group in per if group for s in group]
    if not flat:
        return [None] * len(per)
    pc, pct = _by_length(flat, adf_fixed_lag, "c"), _by_length(flat, adf_fixed_lag, "ct")
    out: list[tuple[float, float] | None] = []
    at = 0
    for group in per:
        if group is None:
            out.append(None)
            continue
        n = len(group)
        out.append((_choi(pc[at:at + n]), _choi(pct[at:at + n])))
        at += n
    return out


def _tested_units(a: np.ndarray, time_demean: bool) -> tuple[np.ndarray, list[np.ndarray]]:
    """The column as the per-unit tests see it (time-demeaned when asked) and its tested series:
    at most MAX_UNITS_TESTED units, evenly spread, each its longest run without gaps, kept when
    it has MIN_PERIODS_TESTS periods and varies."""
    a = np.asarray(a, dtype=float)
    if time_demean and a.shape[0] > 1:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            a = a - np.nanmean(a, axis=0, keepdims=True)
    idx = np.unique(np.linspace(0, a.shape[0] - 1, min(MAX_UNITS_TESTED, a.shape[0])).round().astype(int))
    return a, [s for s in (_longest_run(a[i]) for i in idx) if len(s) >= MIN_PERIODS_TESTS and np.std(s) > 0]


def classify_panel(a: np.ndarray, *, time_demean: bool) -> SeriesClass:
    """Class a panel column (array units x periods) from per-unit tests.

    Parameters
    ----------
    a : ndarray, shape (n_units, n_periods)
    time_demean : bool
        Remove each period's cross-sectional mean first (the model has time effects).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> classify_panel(rng.normal(size=(10, 40)), time_demean=True).kind
    'stationary'
    """
    a, series = _tested_units(a, time_demean)
    what = "time-demeaned " if time_demean else ""
    if len(series) < 2:
        return SeriesClass(
            "untested",
            f"fewer than 2 units with {MIN_PERIODS_TESTS}+ varying periods for per-unit ADF/KPSS",
        )
    m = len(series)
    p_c = _choi(_by_length(series, adf_fixed_lag, "c"))
    k_c = float(np.mean(_by_length(series, kpss_auto, "c") <= TEST_LEVEL))
    base = f"per-unit tests on {m} {what}unit series"
    trend = _TrendOnce(a, time_demean)
    if p_c < TEST_LEVEL and k_c <= KPSS_SHARE:
        tr = trend.get()
        level = (f"{base}: Choi-combined ADF p={p_c:.3f} rejects a unit root, KPSS rejects level "
                 f"stationarity in {k_c:.0%} of units")
        if tr is not None and tr.rejects:
            return SeriesClass("trend-stationary", f"{level}, but unit-specific trends are significant: "
                                                   f"{tr.describe()}")
        return SeriesClass("stationary", level + (f"; no unit-specific trends: {tr.describe()}" if tr else ""))
    p_t = _choi(_by_length(series, adf_fixed_lag, "ct"))
    k_t = float(np.mean(_by_length(series, kpss_auto, "ct") <= KPSS_TREND_LEVEL))
    if p_t < TEST_LEVEL and k_t <= KPSS_SHARE:
        around = (f"{base}: around unit trends Choi-combined ADF p={p_t:.3f} rejects a unit root and KPSS "
                  f"rejects in {k_t:.0%} of units (level: ADF p={p_c:.3f}, KPSS rejects in {k_c:.0%})")
        tr = trend.get()
        if tr is None or tr.rejects:
            return SeriesClass("trend-stationary", around + (f"; {tr.describe()}" if tr else ""))
        # detrending needs evidence of trends: without it, the series is stationary (a unit root
        # is rejected around the trend) and stays in levels, with its own lags in the model
        return SeriesClass("stationary", f"{around}; but unit-specific trends are not significant: "
                                         f"{tr.describe()}")
    return SeriesClass(
        "unit root",
        f"{base}: Choi-combined ADF p={p_c:.3f} (level) / {p_t:.3f} (trend), KPSS rejects in "
        f"{k_c:.0%} (level) / {k_t:.0%} (trend) of units",
        (p_c, p_t),
    )


class _TrendOnce:
    """The bootstrap trend test of a column, run when first needed."""

    def __init__(self, a: np.ndarray, time_demeaned: bool):
        self.a, self.time_demeaned, self.done = a, time_demeaned, False
        self.result: TrendTest | None = None

    def get(self) -> TrendTest | None:
        if not self.done:
            self.result, self.done = unit_trend_bootstrap(self.a, time_demeaned=self.time_demeaned), True
        return self.result


def unit_trend_test(a: np.ndarray, *, time_demeaned: bool = False) -> float | None:
    """p-value of an F test that unit-specific linear trends add nothing to a dynamic FE model.

    ``v[i,t] = a_i + rho v[i,t-1] + b_i t + e`` against ``b_i = 0`` for all units (the
    array is already time-demeaned when the model has time effects, so the common
    trend is gone and N-1 slopes are tested; else N). Per-unit KPSS tests have little
    power in short series; pooling the slopes across units does not, which keeps a
    shared unit-specific trend from being taken for a stationary level.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=(20, 24)) + rng.uniform(-0.2, 0.2, size=(20, 1)) * np.arange(24)
    >>> bool(unit_trend_test(a) < 0.001)
    True
    """
    a = np.asarray(a, dtype=float)
    N, T = a.shape
    if N < 2 or T < 6:
        return None
    y, x = a[:, 1:], a[:, :-1]
    ok = np.isfinite(y) & np.isfinite(x)
    uu, tt = np.nonzero(ok)
    if len(uu) == 0:
        return None
    u = np.unique(uu, return_inverse=True)[1]
    Z = np.column_stack([y[ok], x[ok]])
    n_u = int(u.max()) + 1
    # time-demeaned data (the model has time effects): the common trend is gone, N-1 slopes are
    # free, and the period means cost T-1 degrees of freedom
    demeaned = time_demeaned
    q = n_u - 1 if demeaned else n_u
    bal = bool(ok.all())
    r0 = absorb(Z, u, tt, "unit", False, balanced=bal)
    r1 = absorb(Z, u, tt, "unit", True, balanced=bal)

    def ssr(R: np.ndarray) -> float:
        xx = R[:, 1]
        if float(xx @ xx) <= 0:
            return float(R[:, 0] @ R[:, 0])
        b = float(xx @ R[:, 0]) / float(xx @ xx)
        e = R[:, 0] - b * xx
        return float(e @ e)
    s0, s1 = ssr(r0), ssr(r1)
    df = len(u) - 1 - n_u - q - (T - 2 if demeaned else 0)
    if df < 5 or s1 <= 0 or q < 1:
        return None
    F = ((s0 - s1) / q) / (s1 / df)
    return float(f_sf(F, q, df))


# ------------------------------------------- the unit-trend test, calibrated by a bootstrap
#: the classical F test of unit trends over-rejects in dynamic panels: the fixed-effects own lag is
#: biased (Nickell) and the trends soak up the persistence it leaves, so its p-values are far too
#: small (about 38% at 5% for trend-free AR(0.5) panels of 30 x 24, every panel of 5,000 x 120).
#: :func:`unit_trend_bootstrap` takes the same statistic and reads its p-value from panels simulated
#: WITHOUT unit trends from the bias-corrected dynamics; trends are then taken as evidence only at
#: this level
TREND_LEVEL = 0.01
#: replications of the trend bootstrap (a Monte Carlo test: p = (1 + #{F* >= F}) / (B + 1), exact
#: size at TREND_LEVEL because TREND_LEVEL * (B + 1) is a whole number)
TREND_BOOTSTRAP = 499
#: own lags in the trend test's regression and in its bootstrap model
TREND_AR_ORDER = 1
#: at most this many units (evenly spread) enter the trend test (large panels: size is kept by the
#: bootstrap, and 100 units find unit trends as well as 5,000 do)
TREND_MAX_UNITS = 100
#: the bootstrap panels start from zero and run until the start's weight is below this share
TREND_BURN_WEIGHT = 1e-3


@dataclass(frozen=True)
class TrendTest:
    """The bootstrap unit-trend test of one panel column (see :func:`unit_trend_bootstrap`)."""

    p_value: float  # bootstrap p-value
    f_stat: float  # the classical F statistic of the unit trends
    f_p_value: float  # its nominal F p-value (too small in dynamic panels: for the record only)
    own_lags: tuple[float, ...]  # bias-corrected own-lag coefficients of the bootstrap model
    n_units: int
    n_periods: int
    replications: int  # run (fewer than TREND_BOOTSTRAP when the sequential test stopped early)

    @property
    def rejects(self) -> bool:
        return self.p_value <= TREND_LEVEL

    def describe(self) -> str:
        ar = ", ".join(f"{r:.2f}" for r in self.own_lags)
        return (f"unit-trend F = {self.f_stat:.2f} (nominal p={self.f_p_value:.2g}, too small in dynamic "
                f"panels), bootstrap p={self.p_value:.3f} from {self.replications} of up to "
                f"{TREND_BOOTSTRAP} trend-free panels simulated with the half-panel-jackknife "
                f"AR({len(self.own_lags)}) dynamics ({ar}); level {TREND_LEVEL:g}, {self.n_units} units x "
                f"{self.n_periods} periods")


def _complete_block(a: np.ndarray) -> np.ndarray | None:
    """Units (at most TREND_MAX_UNITS, evenly spread) with every period present, after trimming
    periods missing for every unit at the start and the end; None when fewer than 2 remain."""
    cols = np.flatnonzero(np.isfinite(a).any(axis=0))
    if len(cols) == 0:
        return None
    a = a[:, cols[0]: cols[-1] + 1]
    a = a[np.isfinite(a).all(axis=1) & (np.nanstd(a, axis=1) > 0)]
    if a.shape[0] > TREND_MAX_UNITS:
        a = a[np.unique(np.linspace(0, a.shape[0] - 1, TREND_MAX_UNITS).round().astype(int))]
    return a if a.shape[0] >= 2 else None


def _ar_design(V: np.ndarray, p: int, trends: bool) -> tuple[np.ndarray, np.ndarray]:
    """Outcome and own lags 1..p of a stack of complete panels (R x N x T), unit means (and unit
    trends) out of every column within each unit: shapes R x N x T' and R x N x T' x p."""
    T = V.shape[-1]
    Y = V[..., p:]
    X = np.stack([V[..., p - j: T - j] for j in range(1, p + 1)], axis=-1)
    Z = np.concatenate([Y[..., None], X], axis=-1)
    Z = Z - Z.mean(axis=-2, keepdims=True)
    if trends:
        tc = np.arange(T - p, dtype=float) - (T - p - 1) / 2.0
        slope = np.einsum("t,...tk->...k", tc, Z) / float(tc @ tc)
        Z = Z - tc[:, None] * slope[..., None, :]
    return Z[..., 0], Z[..., 1:]


def _pooled_gram(V: np.ndarray, p: int, trends: bool) -> np.ndarray:
    """Pooled cross-products of (outcome, own lags 1..p) after unit means (and unit trends) are
    removed within each unit, per panel of a stack of complete panels R x N x T: R x (p+1) x (p+1).

    The same numbers as :func:`_ar_design` followed by ``X'X``, from per-unit sums (no copies of
    the lagged panels), which keeps the bootstrap of the trend test cheap.
    """
    return _pooled_grams(V, p, (trends,))[0]


def _pooled_grams(V: np.ndarray, p: int, which: Sequence[bool]) -> list[np.ndarray]:
    """:func:`_pooled_gram` without and/or with unit trends (``which``), sharing the sums."""
    V = V - V.mean(axis=-1, keepdims=True)  # numerically safer sums; the model removes unit means
    T = V.shape[-1]
    n = T - p
    W = [V[..., p - j: T - j] for j in range(p + 1)]
    k = p + 1
    S = np.stack([w.sum(axis=-1) for w in W], axis=-1)
    G = np.empty(V.shape[:-1] + (k, k))
    for j in range(k):
        for m in range(j, k):
            G[..., j, m] = G[..., m, j] = np.einsum("...t,...t->...", W[j], W[m])
    G -= S[..., :, None] * S[..., None, :] / n
    out = []
    for trends in which:
        if trends:
            tc = np.arange(n, dtype=float) - (n - 1) / 2.0
            Tt = np.stack([w @ tc for w in W], axis=-1)
            out.append((G - Tt[..., :, None] * Tt[..., None, :] / float(tc @ tc)).sum(axis=-3))
        else:
            out.append(G.sum(axis=-3))
    return out


def _coef_ssr(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients and SSR of the outcome (index 0) on the rest, from pooled cross-products."""
    b = np.linalg.solve(A[:, 1:, 1:], A[:, 1:, 0][..., None])[..., 0]
    return b, np.maximum(A[:, 0, 0] - np.einsum("rk,rk->r", b, A[:, 1:, 0]), 0.0)


def _trend_f(V: np.ndarray, p: int) -> np.ndarray:
    """``(SSR without unit trends - SSR with them) / SSR with them`` per panel of the stack."""
    g0, g1 = _pooled_grams(V, p, (False, True))
    _, s0 = _coef_ssr(g0)
    _, s1 = _coef_ssr(g1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(s1 > 0, (s0 - s1) / s1, np.inf)


def hpj_ar(a: np.ndarray, p: int, *, trends: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Own-lag coefficients of a fixed-effects AR(p) on a complete panel (units x periods),
    corrected by the half-panel jackknife (Dhaene and Jochmans 2015: twice the full-sample
    estimate minus the mean of the two half-panel estimates, the effects re-estimated in each
    half; odd lengths: both splits averaged), and the full-sample residuals. ``trends``: unit
    trends in the model too.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> e = rng.normal(size=(400, 60)); v = np.zeros_like(e)
    >>> for t in range(1, 60): v[:, t] = 0.5 * v[:, t - 1] + e[:, t]
    >>> round(float(hpj_ar(v[:, 40:], 1)[0][0]), 2)  # fixed effects alone give 0.41 at T = 20
    0.5
    """
    def coef(v: np.ndarray) -> np.ndarray:
        return _coef_ssr(_pooled_gram(v[None], p, trends))[0][0]

    full = coef(a)
    T = a.shape[1] - p
    halves = [(coef(a[:, : p + cut]) + coef(a[:, cut:])) / 2 for cut in sorted({T // 2, T - T // 2})]
    rho = 2 * full[0] - np.mean(halves, axis=0)
    Y, X = _ar_design(a[None], p, trends)
    return rho, (Y - X @ full)[0]


def _largest_root(rho: np.ndarray) -> float:
    """Modulus of the largest root of the AR polynomial (companion matrix eigenvalue)."""
    comp = np.zeros((len(rho), len(rho)))
    comp[0] = rho
    comp[1:, :-1] = np.eye(len(rho) - 1)
    return float(np.max(np.abs(np.linalg.eigvals(comp))))


def unit_trend_bootstrap(a: np.ndarray, *, time_demeaned: bool = False, reps: int = TREND_BOOTSTRAP,
                         seed: int = 0, order: int = TREND_AR_ORDER) -> TrendTest | None:
    """Unit-specific trends in a panel column, tested with a p-value that holds its size.

    The statistic is the classical one (:func:`unit_trend_test`: a dynamic fixed-effects
    regression with ``order`` own lags, with and without unit-specific linear trends). Its
    p-value comes from a parametric bootstrap under the null: ``reps`` trend-free panels simulated
    from the column's own dynamics -- AR(``order``) coefficients of the model WITH unit trends
    (right with or without trends, so trends cannot pass for persistence), corrected for the
    short-panel bias by the half-panel jackknife (:func:`hpj_ar`); innovations resampled as
    that model's residuals, split into their period means (common shocks: periods drawn
    with replacement) and the units' deviations from them (each unit's own, drawn with replacement
    independently), so that common shocks and unit-specific variances are kept -- and put through the same statistic
    (time-demeaned again when ``time_demeaned``). Units with a gap are left out; at most
    :data:`TREND_MAX_UNITS` units (evenly spread) are used. None when fewer than 2 complete units
    or too few periods remain, or the dynamics are not stationary (a unit root is ADF's business).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=(20, 24)) + rng.uniform(-0.2, 0.2, size=(20, 1)) * np.arange(24)
    >>> unit_trend_bootstrap(a).rejects
    True
    >>> unit_trend_bootstrap(rng.normal(size=(20, 24))).rejects
    False
    """
    b = _complete_block(np.asarray(a, dtype=float))
    if b is None or b.shape[1] < 2 * order + 10:
        return None
    N, T = b.shape
    rho, E = hpj_ar(b, order, trends=True)
    root = _largest_root(rho)
    if root >= 0.98:
        return None
    f_obs = float(_trend_f(b[None], order)[0])
    rng = np.random.default_rng(seed)
    burn = int(np.clip(math.ceil(math.log(TREND_BURN_WEIGHT) / math.log(max(root, 1e-3))), 10, 400))
    # a sequential Monte Carlo test: the replications run in batches and stop once more of them
    # exceed the statistic than a rejection at TREND_LEVEL allows (the decision is the one of all
    # `reps`; Besag and Clifford 1991); trend-free columns mostly stop after the first batch
    allowed = math.floor(TREND_LEVEL * (reps + 1)) - 1
    n_done = n_exceed = 0
    for size in (min(19, reps), min(80, reps - 19), reps - min(99, reps)):
        if size <= 0 or n_exceed > allowed:
            break
        f_boot = _null_trend_stats(E, rho, N, T, burn, size, order, time_demeaned, rng)
        n_done, n_exceed = n_done + size, n_exceed + int(np.sum(f_boot >= f_obs))
    q = N - 1 if time_demeaned else N
    df = N * (T - order) - order - N - q - (T - order - 1 if time_demeaned else 0)
    F = f_obs * df / q
    return TrendTest(float((1 + n_exceed) / (n_done + 1)), F, float(f_sf(F, q, max(df, 1))),
                     tuple(float(r) for r in rho), N, T, n_done)


def _ar_filter(V: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """``x[t] = v[t] + sum_j rho_j x[t-j]`` along the last axis, from zeros
    (``scipy.signal.lfilter([1], [1, -rho...], V)``, without importing scipy.signal)."""
    X = np.moveaxis(np.asarray(V, dtype=float), -1, 0).copy()  # time first: each step is contiguous
    p = len(rho)
    for t in range(1, X.shape[0]):
        for j in range(min(p, t)):
            X[t] += rho[j] * X[t - 1 - j]
    return np.moveaxis(X, 0, -1)


def _null_trend_stats(E: np.ndarray, rho: np.ndarray, N: int, T: int, burn: int, reps: int, order: int,
                      time_demeaned: bool, rng: np.random.Generator) -> np.ndarray:
    """The trend statistic of ``reps`` trend-free panels simulated from AR(rho) with resampled
    residuals: common part (period means of E, periods drawn) + each unit's own deviations."""
    common = E.mean(axis=0)
    idio = E - common
    n_e, S = E.shape[1], T + burn
    c = np.take(common, rng.integers(0, n_e, size=(reps, 1, S)))
    own = rng.integers(0, n_e, size=(reps, N, S))
    own += (np.arange(N) * n_e)[None, :, None]  # unit i's residuals: positions i * n_e + draw
    V = c + np.take(idio.ravel(), own)
    V = _ar_filter(V, rho)[:, :, burn:]  # the AR recursion from zero
    if time_demeaned:
        V = V - V.mean(axis=1, keepdims=True)
    step = max(1, 2_000_000 // (N * T))
    return np.concatenate([_trend_f(V[i: i + step], order) for i in range(0, reps, step)])


def decide(classes: dict[str, SeriesClass]) -> tuple[str, str]:
    """Transform for a link from the classes of its series: ``(transform, reason)``."""
    kinds = {k: c.kind for k, c in classes.items()}
    detail = "; ".join(f"{name}: {c.kind} ({c.detail})" for name, c in classes.items())
    if any(k == "unit root" for k in kinds.values()):
        return "diff", f"first differences, because a unit root is not ruled out - {detail}"
    if any(k == "trend-stationary" for k in kinds.values()):
        return "detrend", f"linear trend in the regression, because a series is trend-stationary - {detail}"
    if all(k == "untested" for k in kinds.values()):
        return "none", (
            f"levels: too few periods for unit-root tests, relying on the outcome's own lags and "
            f"fixed effects; use transform='diff' if the KPIs trend - {detail}"
        )
    return "none", f"levels, because the series are stationary - {detail}"
