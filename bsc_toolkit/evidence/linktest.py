"""The test of one link: driver KPI x -> outcome KPI y.

Design (see PRODUCT.md, "What statistically tested must mean here")::

    y[i,t] = sum_l b_l x[i,t-l] + sum_j rho_j y[i,t-j] + c' z[i,t] (+ trend) + a_i + d_t + e[i,t]

* driver lags ``l``: the link's explicit ``lags`` (0 only when listed) or 1..p with
  p <= max_lag chosen by BIC on a common sample;
* own lags ``j`` = 1..own_lags; controls ``z`` contemporaneous;
* ``transform``: none, ``detrend`` (a trend in the regression: t for a single
  series, unit-specific trends partialled out within units for panels with unit
  effects), ``diff`` (first differences within unit), or ``auto`` (ADF/KPSS);
* panels: PanelOLS (linearmodels) with unit and/or time effects, unit-clustered
  errors with Stata's small-sample conventions (``debiased=True``,
  ``group_debias=True``); single series: statsmodels OLS with Newey-West errors.
  A vectorised numpy path gives the same numbers for panel samples (balanced or not).

Derived: the cumulative effect over the lag window = sum of the driver coefficients
(Wooldridge's long-run propensity; ``long_run`` in the file), its SE from the coefficient
covariance; the joint Wald test of the driver lags; the long-run multiplier
sum(b)/(1 - sum(rho)) (delta method).

:func:`estimate_link` reads as the pipeline it is:
options -> spec -> lags -> sample -> guards -> fit -> derive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import DataError
from . import guards
from .data import PanelArrays
from .design import Sample, Spec, absorbed, all_untested, build_sample, make_spec, unit_root_left
from .estimators import Fit, fit
from .inference import link_estimates
from .ivfd import BIC_CAVEAT, estimate_iv_fd
from .lags import LagChoice, bic_lag_order
from .options import Options
from .results import LinkResult, insufficient_link
from .within import n_effects, n_trends

__all__ = ["NICKELL_T", "LinkPlan", "PanelArrays", "assemble_link", "choose_lags", "enough_periods",
           "estimate_link", "finish_link", "set_bic_lags", "start_link"]

#: below this many usable periods, a panel with unit effects and own lags gets the Nickell caveat
NICKELL_T = 30


@dataclass
class LinkPlan:
    """One link test, as far as it has been decided: options, spec, lags, the record so far.

    :func:`start_link` makes it, :func:`choose_lags` (or a batched BIC) sets the lags,
    :func:`finish_link` (or the batched engine) estimates and :func:`assemble_link` writes the
    result -- the same steps whichever engine runs them, so the results are the same.
    """

    y_col: str
    x_col: str
    opts: Options
    spec: Spec
    base: dict[str, Any]
    method: dict[str, Any]
    given_lags: list[int] | None
    lags: list[int] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    #: a qualifier the verdict must carry (a unit root the requested transform keeps), or ""
    unit_root: str = ""
    #: why the model's dynamics cannot carry a verdict, known before fitting, or ""
    unstable: str = ""

    @property
    def needs_bic(self) -> bool:
        return self.given_lags is None and self.opts.max_lag > 0

    @property
    def bic_start(self) -> int:
        """First period of the common sample on which BIC compares lag orders."""
        return max(self.opts.max_lag, self.opts.own_lags, self._other_lag) + (1 if self.spec.diff else 0)

    @property
    def start(self) -> int:
        """First period of the estimation sample (after the chosen lags)."""
        return max(max(self.lags), self.opts.own_lags, self._other_lag) + (1 if self.spec.diff else 0)

    @property
    def _other_lag(self) -> int:
        return max((g for _, g in self.opts.lagged_controls), default=0)


def _short_data_caveat(pa: PanelArrays, y_col: str, x_col: str, opts: Options, caveats: list[str]) -> None:
    if opts.transform == "auto" and all_untested(pa, (y_col, x_col), opts.effects):
        from .stationarity import MIN_PERIODS_TESTS, SHORT_PANEL_CAVEAT, SHORT_SERIES_CAVEAT

        caveats.append((SHORT_PANEL_CAVEAT if pa.is_panel else SHORT_SERIES_CAVEAT).format(
            min_t=MIN_PERIODS_TESTS))


def start_link(
    pa: PanelArrays, y_col: str, x_col: str, *, from_: str | None, to: str | None, expected_sign: str,
    lags: Sequence[int] | None, opts: Options,
) -> LinkPlan | LinkResult:
    """Options checked, the record started, the spec decided; a LinkResult when already done
    (no values, or the iv-fd estimator, which runs its own pipeline)."""
    for c in (y_col, x_col, *opts.controls, *(c for c, _ in opts.lagged_controls)):
        if c not in pa.columns:
            raise DataError(f"column '{c}' is not in the KPI history", file=pa.source, column=c)
    method: dict[str, Any] = {
        "estimator": "PanelOLS" if pa.is_panel else "OLS", "transform": opts.transform,
        "transform_reason": "", "effects": opts.effects, "covariance": opts.cov,
        "lags": list(lags) if lags is not None else [], "lag_selection": "explicit",
        "own_lags": opts.own_lags, "controls": list(opts.controls),
        **({"other_drivers": [f"{c}.L{g}" for c, g in opts.lagged_controls]} if opts.lagged_controls else {}),
    }
    base: dict[str, Any] = {
        "from": from_ or x_col, "to": to or y_col, "from_kpi": x_col, "to_kpi": y_col,
        "expected_sign": expected_sign, "n_obs": 0, "n_dropped": 0, "n_units": pa.n_units,
        "n_periods": pa.n_periods, "method": method, "caveats": [],
    }
    why = guards.no_values(pa, x_col, "driver") or guards.no_values(pa, y_col, "outcome")
    if why:
        return insufficient_link(base, why)
    if opts.estimator == "iv-fd":
        return estimate_iv_fd(pa, y_col, x_col, base=base, method=method, lags=lags, opts=opts)
    caveats: list[str] = []
    spec = make_spec(pa, (y_col, x_col), transform=opts.transform, effects=opts.effects, cov=opts.cov)
    _short_data_caveat(pa, y_col, x_col, opts, caveats)
    method["transform"], method["transform_reason"] = spec.transform, spec.explain()
    given = sorted(int(x) for x in lags) if lags is not None else None
    unit_root = _forced_unit_root(pa, y_col, x_col, opts, spec) or ""
    if unit_root:
        caveats.append(unit_root)
    return LinkPlan(y_col, x_col, opts, spec, base, method, given, caveats=caveats, unit_root=unit_root,
                    unstable=_root_after_diff(pa, y_col, x_col, opts, spec) or "")


def choose_lags(pa: PanelArrays, plan: LinkPlan) -> str | None:
    """Driver lags (explicit, lag 0 only, or 1..p by BIC); a reason when too few periods."""
    o, m = plan.opts, plan.method
    if plan.given_lags is not None:
        plan.lags, m["lag_selection"] = list(plan.given_lags), "explicit"
        return None
    if o.max_lag <= 0:
        plan.lags, m["lag_selection"] = [0], "explicit"
        plan.caveats.append("max_lag 0: the contemporaneous value of the driver only")
        return None
    why = bic_too_short(pa, plan)
    if why:
        return why
    set_bic_lags(plan, bic_lag_order(pa, plan.y_col, [(plan.x_col, None)], o.max_lag, o.own_lags,
                                     o.controls, plan.spec, plan.bic_start, o.lagged_controls))
    return None


def bic_too_short(pa: PanelArrays, plan: LinkPlan) -> str | None:
    o, T = plan.opts, pa.n_periods
    return guards.too_few_periods(T - plan.bic_start, 3, T, f"lags 1-{o.max_lag}", o.own_lags,
                                  plan.spec.diff, total=True)


def set_bic_lags(plan: LinkPlan, choice: LagChoice) -> None:
    plan.lags, plan.method["lag_selection"] = list(range(1, choice.p + 1)), "bic"
    plan.method["lag_selection_detail"] = choice.detail()


def enough_periods(pa: PanelArrays, plan: LinkPlan) -> str | None:
    o, spec = plan.opts, plan.spec
    usable = pa.n_periods - plan.start
    k_min = (len(plan.lags) + o.own_lags + len(o.controls) + len(o.lagged_controls) + int(spec.trend_col)
             + int(spec.const))
    need = (k_min + guards.MIN_DF_RESID) if not pa.is_panel else (
        3 if (spec.unit_trends or spec.effects == "both") else 2)
    return guards.too_few_periods(usable, need, pa.n_periods, guards.lag_text(plan.lags), o.own_lags,
                                  spec.diff)


def _check_sample(d: Sample, ya: np.ndarray, Xa: np.ndarray, plan: LinkPlan) -> str | None:
    """Every guard on the estimation sample, in order; the first reason found."""
    spec, y_col, x_col = plan.spec, plan.y_col, plan.x_col
    within_y = ya if spec.has_effects else d.y - d.y.mean()
    fe = " and the fixed effects" if spec.has_effects else ""
    neff = n_effects(spec.absorb_effects, d.n_units, d.n_periods) if spec.is_panel else 0
    n_tr = n_trends(spec.absorb_effects, d.n_units) if spec.unit_trends else 0
    k = d.X.shape[1]
    checks = (
        lambda: guards.constant_outcome(d, ya, spec, y_col),
        lambda: guards.constant_driver(d, Xa, spec, x_col),
        lambda: guards.collinear(Xa, d.names, d.structural_first(), fe),
        lambda: guards.exact_fit(ya, Xa, within_y, y_col, x_col),
        lambda: guards.too_few_df(d.n, k, neff, n_tr, d.n - k - neff - n_tr),
        lambda: guards.too_few_clusters(spec, d.n_units),
    )
    for check in checks:
        why = check()
        if why:
            return why
    return None


def _std_ratio(d: Sample, ya: np.ndarray, Xa: np.ndarray, spec: Spec) -> float | None:
    """sd(driver) / sd(outcome), both after the transform and the effects (None when sd(y) = 0)."""
    if spec.has_effects:
        sx, sy = float(np.std(Xa[:, 0])), float(np.std(ya))
    else:
        xs, yt = d.X[:, 0], d.y
        if spec.trend_col:
            tt = d.X[:, d.names.index("trend")]
            xs = xs - np.polyval(np.polyfit(tt, xs, 1), tt)
            yt = d.y - np.polyval(np.polyfit(tt, d.y, 1), tt)
        sx, sy = float(np.std(xs)), float(np.std(yt))
    return sx / sy if sy > 0 else None


def assemble_link(plan: LinkPlan, names: list[str], f: Fit, engine: str, std_effect: float | None,
                  usable: int, estimates: tuple[dict[str, Any], list[str]] | None = None) -> LinkResult:
    """The link's record from a fit: method details, terms, cumulative effect, multiplier, caveats.

    ``estimates``: the record and caveats of :func:`~.inference.link_estimates` for this fit, when
    computed already (:func:`~.inference.link_estimates_many`)."""
    o, spec, caveats, method = plan.opts, plan.spec, plan.caveats, plan.method
    method["engine"] = engine
    if spec.is_panel and spec.cov == "hac":
        caveats.append("panel 'hac' = Driscoll-Kraay kernel covariance (Bartlett) from linearmodels")
    if f.note:
        method["covariance_detail"] = f.note
    method["df_resid"], method["df_inference"] = f.df_resid, f.df_inference
    out = dict(plan.base)
    if estimates is None:
        out.update(link_estimates(names, plan.lags, o.own_lags, f.params, f.cov, f.df_inference, o.alpha,
                                  caveats))
    else:
        out.update(estimates[0])
        caveats.extend(estimates[1])
    lr = out["long_run"]["estimate"]
    out["standardized_effect"] = lr * std_effect if (lr is not None and std_effect is not None) else None
    if plan.unit_root:
        out["flags"] = ["unit_root"]
    why = plan.unstable or unstable_dynamics(out["own_terms"])
    if why:  # no plain verdict from an explosive or unit-root model; its numbers stay for inspection
        kept = {k: out[k] for k in ("terms", "own_terms", "long_run", "long_run_multiplier",
                                    "standardized_effect", "p_value", "joint_p_value") if k in out}
        return insufficient_link(plan.base, why, **kept, flags=["unstable"], caveats=caveats)
    out.update(q_value=None, verdict="not_supported",
               reason="provisional: verdict set after the multiple-testing correction")
    if plan.given_lags is None:
        caveats.append(BIC_CAVEAT)
    if spec.is_panel and o.own_lags > 0 and spec.effects in ("unit", "both") and usable < NICKELL_T:
        caveats.append(
            f"Nickell bias: with unit fixed effects and {usable} usable periods the own-lag "
            f"coefficients are biased towards zero (about -(1+rho)/(T-1)); driver coefficients may "
            f"be affected too")
    out["caveats"] = caveats
    return LinkResult(out)


def unstable_dynamics(own_terms: list[dict[str, Any]]) -> str | None:
    """A reason when the outcome's own lags sum to one or more (explosive or a unit root)."""
    if not own_terms:
        return None
    rho = sum(float(t["estimate"]) for t in own_terms if t.get("estimate") is not None)
    if rho < 1:
        return None
    return (f"unstable dynamics: the outcome's own lags sum to {rho:.3g} >= 1 (explosive or a unit root "
            f"the transform did not remove), so the regression can be spurious and no long-run effect "
            f"exists; difference the data (transform='diff') or check the series")


def _forced_unit_root(pa: PanelArrays, y_col: str, x_col: str, opts: Options, spec: Spec) -> str | None:
    """A transform chosen by hand that leaves a unit root in the model (auto would difference)."""
    if opts.transform == "auto" or spec.transform == "diff":
        return None
    roots = unit_root_left(pa, (y_col, x_col), opts.effects)
    if not roots:
        return None
    return (f"unit root not ruled out: ADF does not reject a unit root in {', '.join(repr(c) for c in roots)} "
            f"(p > 0.10 with and without a trend) and the model keeps the levels (transform="
            f"'{spec.transform}' as requested), so a significant result can be spurious; transform='auto' "
            f"would difference them (the tests have little power in short series)")


def _root_after_diff(pa: PanelArrays, y_col: str, x_col: str, opts: Options, spec: Spec) -> str | None:
    """A unit root (or explosive root) that first differences did not remove (ADF p > 0.10)."""
    if spec.transform != "diff":
        return None
    roots = unit_root_left(pa, (y_col, x_col), opts.effects, diff=True)
    if not roots:
        return None
    return (f"unstable dynamics: a unit root remains in the first differences of "
            f"{', '.join(repr(c) for c in roots)} (ADF p > 0.10 with and without a trend): the series "
            f"is explosive or integrated of order two, so no regression in these units gives a reliable "
            f"verdict; check the data (a cumulative KPI? a growth rate would do)")


def finish_link(pa: PanelArrays, plan: LinkPlan) -> LinkResult:
    """Sample, guards, fit and result of a planned link (lags chosen, periods checked)."""
    o, spec, base = plan.opts, plan.spec, plan.base
    d = build_sample(pa, plan.y_col, [(plan.x_col, plan.lags)], o.own_lags, o.controls, spec,
                     lagged_controls=o.lagged_controls)
    base.update(n_obs=d.n, n_dropped=int(d.n_candidates - d.n), n_units=d.n_units, n_periods=d.n_periods)
    if d.n == 0:
        return insufficient_link(base, "no period has the outcome, every driver lag and control all present")
    ya, Xa = absorbed(d, spec)
    why = _check_sample(d, ya, Xa, plan)
    if why:
        return insufficient_link(base, why)
    note = guards.near_collinear(Xa)
    if note:
        plan.caveats.append(note)
    f, engine_name = fit(d, spec, o.engine)
    return assemble_link(plan, d.names, f, engine_name, _std_ratio(d, ya, Xa, spec),
                         pa.n_periods - plan.start)


def estimate_link(
    pa: PanelArrays,
    y_col: str,
    x_col: str,
    *,
    from_: str | None = None,
    to: str | None = None,
    expected_sign: str = "positive",
    lags: Sequence[int] | None = None,
    max_lag: int = 2,
    own_lags: int = 1,
    controls: Sequence[str] = (),
    effects: str = "auto",
    cov: str = "auto",
    transform: str = "auto",
    alpha: float = 0.05,
    engine: str = "auto",
    estimator: str = "ols",
) -> LinkResult:
    """Test one link ``x_col -> y_col`` on KPI arrays; never raises for weak data.

    Weak data (too few periods, constant series, collinear design, missing
    driver) give a result with verdict ``insufficient_data`` and a reason. The
    verdict of a returned result is provisional (``not_supported`` when
    estimable): :func:`bsc_toolkit.evidence.validate` sets it after the FDR step.
    Bad options raise :class:`~bsc_toolkit.errors.OptionError`.

    Parameters
    ----------
    pa : PanelArrays
        From :meth:`PanelArrays.from_history`.
    y_col, x_col : str
        Outcome and driver columns.
    lags : sequence of int, optional
        Explicit driver lags (0 = contemporaneous); otherwise 1..p by BIC, p <= ``max_lag``.
    engine : {"auto", "fast", "linearmodels"}
        ``auto`` uses the vectorised numpy path for panel samples, balanced or not (the same
        numbers as linearmodels, tested), and linearmodels for HAC errors;
        ``linearmodels`` always uses linearmodels' PanelOLS (the reference).
    estimator : {"ols", "iv-fd"}
        ``ols``: the fixed-effects regression above. ``iv-fd``: Anderson-Hsiao IV in first
        differences for short panels with unit effects and own lags
        (:mod:`bsc_toolkit.evidence.ivfd`); panels only, effects ``unit`` or ``both``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from bsc_toolkit.history.frame import KPIHistory
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=200); y = np.r_[0, 0.8 * x[:-1]] + 0.5 * rng.normal(size=200)
    >>> idx = pd.MultiIndex.from_product([["_single"], range(200)])
    >>> h = KPIHistory(pd.DataFrame({"x": x, "y": y}, index=idx), pd.RangeIndex(200))
    >>> r = estimate_link(PanelArrays.from_history(h), "y", "x", lags=[1], transform="none")
    >>> r.terms[0].name, round(r.long_run.estimate, 1)
    ('x.L1', 0.8)
    """
    opts = Options(effects=effects, cov=cov, own_lags=own_lags, controls=tuple(controls),
                   max_lag=max_lag, transform=transform, alpha=alpha, engine=engine,
                   estimator=estimator).resolve(is_panel=pa.is_panel, source=pa.source)
    plan = start_link(pa, y_col, x_col, from_=from_, to=to, expected_sign=expected_sign, lags=lags,
                      opts=opts)
    if isinstance(plan, LinkResult):
        return plan
    why = choose_lags(pa, plan) or enough_periods(pa, plan)
    plan.method["lags"] = plan.lags
    if why:
        return insufficient_link(plan.base, why)
    return finish_link(pa, plan)
