"""Run the link tests of a scorecard on KPI history, correct for multiple testing, give verdicts."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from .. import _limits
from ..errors import DataError
from .linktest import COVS, EFFECTS, TRANSFORMS, PanelArrays, check_estimator, estimate_link
from .results import FORMAT, Evidence, LinkResult

__all__ = ["apply_fdr", "validate"]

FDR_NOTE = (
    "q-values control the false discovery rate across all links tested in this run "
    "(Benjamini-Hochberg, statsmodels.stats.multitest.multipletests method 'fdr_bh'); "
    "links without a p-value (insufficient data) are not counted"
)


def _sign_word(x: float) -> str:
    return "positive" if x > 0 else "negative"


def _q_text(q: float) -> str:
    """'q < 0.001' for tiny values (their digits mean nothing), else 'q = 0.0123'."""
    return "q < 0.001" if q < 0.001 else f"q = {q:.3g}"


def apply_fdr(links: Sequence[LinkResult], alpha: float) -> tuple[list[LinkResult], int]:
    """Benjamini-Hochberg q-values and final verdicts for links that have a p-value.

    Returns the updated links and the number of tests.

    Examples
    --------
    >>> links, n = apply_fdr([], 0.05)
    >>> n
    0
    """
    from statsmodels.stats.multitest import multipletests

    out = list(links)
    for i, lk in enumerate(links):  # estimable but without a p-value (zero or undefined SE)
        if lk.verdict != "insufficient_data" and lk.p_value is None:
            none = {"estimate": None, "std_error": None, "ci_low": None, "ci_high": None, "p_value": None}
            out[i] = lk._replace(
                verdict="insufficient_data", q_value=None, p_value=None, joint_p_value=None,
                terms=[], own_terms=[], long_run=none, standardized_effect=None,
                reason="no p-value: the standard error of the long-run effect is zero or undefined")
    links = out
    idx = [i for i, lk in enumerate(links) if lk.verdict != "insufficient_data" and lk.p_value is not None]
    if not idx:
        return out, 0
    q = multipletests([links[i].p_value for i in idx], alpha=alpha, method="fdr_bh")[1]
    level = f"{100 * (1 - alpha):g}%"
    for i, qv in zip(idx, q, strict=False):
        lk = links[i]
        lr = lk.long_run
        eff = f"long-run effect {lr.estimate:+.3g}"
        if lr.ci_low is not None:
            eff += f" ({level} CI {lr.ci_low:.3g} to {lr.ci_high:.3g})"
        qv = float(qv)
        if qv <= alpha and lr.estimate is not None and lr.estimate != 0:
            if _sign_word(lr.estimate) == lk.expected_sign:
                verdict, why = "supported", f"{eff}, {_q_text(qv)} (FDR level {alpha:g}), expected sign"
            else:
                verdict = "contradicted"
                why = (f"{eff}, {_q_text(qv)} (FDR level {alpha:g}), but the sign is "
                       f"{_sign_word(lr.estimate)}, {lk.expected_sign} was expected")
        else:
            verdict, why = "not_supported", f"{eff}, not significant after FDR ({_q_text(qv)}, FDR level {alpha:g})"
        out[i] = lk._replace(q_value=qv, verdict=verdict, reason=why)
    return out, len(idx)


def _feedback_caveats(links: list[LinkResult], suggestions: list[dict[str, Any]], *, is_panel: bool,
                      effects: str) -> list[LinkResult]:
    """Warn on links whose reverse direction the discovery step flagged (feedback).

    When the outcome drives the driver, the driver is not strictly exogenous: with unit
    fixed effects the within estimate of the forward link is biased by order 1/T,
    towards the opposite sign of the feedback (Nickell 1981; the mechanism of the
    bias in dynamic panels). Simulations with a purely reversed link (20 units x 24
    periods) call about one in six such links ``contradicted``. The verdict stays
    (it is what the test says); the reason and the caveats say why it may mislead.
    """
    flagged = {(s["link"]["from"], s["link"]["to"]): s for s in suggestions if s.get("kind") == "reverse"}
    out = []
    for lk in links:
        s = flagged.get((lk.from_, lk.to))
        if s is None:
            out.append(lk)
            continue
        msg = (f"feedback: the reverse direction ({lk.to_kpi} -> {lk.from_kpi}) is significant and "
               f"stronger (|t| {abs(s['t_value']):.2f}, q = {s['q_value']:.3g}); the driver then is not "
               f"strictly exogenous")
        if is_panel and effects in ("unit", "both"):
            msg += (", and with unit fixed effects and few periods the estimate of this link is biased "
                    "(order 1/T) against the sign of the feedback, so a significant opposite sign can be "
                    "an artefact of reverse causality")
        reason = lk.reason
        if lk.verdict in ("contradicted", "supported"):
            reason += "; CAUTION: reverse causality (see caveats)"
        out.append(lk._replace(caveats=[*lk.caveats, msg], reason=reason))
    return out


def _labels(history: Any) -> list[str] | None:
    """Period labels as text from the history (``2024Q1``, ``2024-W05``), when it provides them."""
    try:
        labels = history.period_labels
    except (AttributeError, TypeError, ValueError, KeyError):
        return None
    return [str(x) for x in labels] if labels is not None else None


def _first_last(history: Any, labels: list[str] | None, periods: list[Any], i: int) -> Any:
    """First/last period for the evidence file: the history's own label (weekly data too).

    Integer and annual periods stay numbers (``2021``), as before.
    """
    if not periods:
        return None
    raw = _period_label(periods[i])
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return raw
    if labels:
        return labels[i]
    return raw


def _period_label(p: Any) -> Any:
    if p is None:
        return None
    if isinstance(p, (int, float, str)):
        return p
    try:
        import numpy as np

        if isinstance(p, np.integer):
            return int(p)
    except ImportError:  # pragma: no cover
        pass
    return str(p)


def validate(
    scorecard: Any,
    history: Any,
    *,
    effects: str = "auto",
    cov: str = "auto",
    own_lags: int = 1,
    controls: Sequence[str] = (),
    max_lag: int = 2,
    transform: str = "auto",
    alpha: float = 0.05,
    progress: bool = False,
    engine: str = "auto",
    drivers: bool = True,
    chains: bool = True,
    discovery: bool = True,
    bootstrap: int = 499,
    seed: int = 0,
    estimator: str = "ols",
) -> Evidence:
    """Test every cause-and-effect link of a scorecard on KPI history.

    Each link ``from -> to`` (an objective stands for its primary KPI) is tested by
    a regression of the outcome on past values of the driver, the outcome's own
    lags and the controls, after handling trends/unit roots; panels get unit
    (and time) fixed effects with unit-clustered errors, single series Newey-West
    errors. q-values (Benjamini-Hochberg) across all links give the verdicts:
    ``supported`` (q <= alpha, expected sign), ``contradicted`` (q <= alpha,
    opposite sign), ``not_supported`` and ``insufficient_data`` (with the reason).

    Parameters
    ----------
    scorecard : Scorecard
        Its ``links`` are tested.
    history : KPIHistory
        Wide KPI data on a complete period grid (``bsc_toolkit.history.load_history``).
    effects : {"auto", "none", "unit", "time", "both"}
        ``auto``: ``both`` for panels, ``none`` for a single series.
    cov : {"auto", "unadjusted", "robust", "clustered", "hac"}
        ``auto``: ``clustered`` (by unit) for panels, ``hac`` (Newey-West) for a single series.
    own_lags : int
        Lags 1..own_lags of the outcome in every model (0 allowed).
    controls : sequence of str
        Extra columns entering contemporaneously.
    max_lag : int
        Largest driver lag tried by BIC for links without explicit ``lags``
        (a link's own ``max_lag`` overrides it).
    transform : {"auto", "none", "detrend", "diff"}
        Trend/unit-root handling; ``auto`` decides per link from ADF and KPSS.
    alpha : float
        FDR level for the verdicts and 1 - confidence level of the intervals.
    progress : bool
        Show a progress bar (tqdm).
    engine : {"auto", "fast", "linearmodels"}
        ``auto`` uses the vectorised numpy path for balanced panel samples (same
        numbers as linearmodels) and linearmodels otherwise.
    drivers : bool
        Fit a driver model per lagging Financial KPI (all leading KPIs that reach it,
        joint Wald test, out-of-sample check against an own-past baseline);
        see :mod:`bsc_toolkit.evidence.drivers`.
    chains : bool
        Indirect effects along Learning -> Process -> Customer -> Financial paths with
        bootstrap CIs; see :mod:`bsc_toolkit.evidence.chains`.
    discovery : bool
        EXPLORATORY search for candidate links not in the map and for reverse
        causality (own FDR families); see :mod:`bsc_toolkit.evidence.discovery`.
    bootstrap : int
        Bootstrap replications for the chains (0: Sobel normal intervals only).
    seed : int
        Seed of the bootstrap.
    estimator : {"ols", "iv-fd"}
        The link tests' estimator. ``ols`` (default): the fixed-effects regression.
        ``iv-fd``: a bias-aware option for SHORT panels with unit effects and own lags
        (Anderson-Hsiao: first differences remove the unit effects, the differenced own
        lag is instrumented by the outcome's level two periods back; two-stage least
        squares with unit-clustered errors; see :mod:`bsc_toolkit.evidence.ivfd`). Use it
        when the outcome may feed back into the driver (reverse causality), where the OLS
        test can call a purely reversed link ``contradicted``; it has less power and gives
        ``insufficient_data`` when the instrument is weak (first-stage F < 10). Panels
        only, effects ``unit`` or ``both``. Driver models and discovery stay OLS; chains
        through iv-fd links use Sobel intervals (no bootstrap).

    Returns
    -------
    Evidence

    Raises
    ------
    DataError
        When KPI columns the links need (or controls) are missing from the data, or
        an option does not fit the data (e.g. time effects on a single series).

    Examples
    --------
    >>> from bsc_toolkit.scorecard import load_example
    >>> from bsc_toolkit.history import simulate_history  # doctest: +SKIP
    >>> sc = load_example("retail")
    >>> sim = simulate_history(sc, n_units=30, n_periods=24, seed=1)  # doctest: +SKIP
    >>> ev = validate(sc, sim.history)  # doctest: +SKIP
    >>> ev.to_frame()[["from", "to", "verdict"]]  # doctest: +SKIP
    """
    from .. import __version__
    from ..history.frame import KPIHistory
    from ..scorecard import Scorecard, load_scorecard

    if isinstance(scorecard, (str, os.PathLike)):
        scorecard = load_scorecard(scorecard)  # a file or a shipped example name
    elif not isinstance(scorecard, Scorecard):
        raise DataError(f"`scorecard` must be a Scorecard or a scorecard file, got {type(scorecard).__name__}")
    if isinstance(history, (str, os.PathLike)):
        raise DataError(
            "`history` must be a KPIHistory; load the file first with "
            f"bsc_toolkit.history.load_history({str(history)!r}, unit=..., period=...)"
        )
    if not isinstance(history, KPIHistory):
        raise DataError(f"`history` must be a KPIHistory (see load_history), got {type(history).__name__}")
    if effects not in ("auto", *EFFECTS):
        raise DataError(f"`effects` must be one of auto, {', '.join(EFFECTS)}; got {effects!r}")
    if cov not in ("auto", *COVS):
        raise DataError(f"`cov` must be one of auto, {', '.join(COVS)}; got {cov!r}")
    if transform not in ("auto", *TRANSFORMS):
        raise DataError(f"`transform` must be one of auto, {', '.join(TRANSFORMS)}; got {transform!r}")
    if engine not in ("auto", "fast", "linearmodels"):
        raise DataError(f"`engine` must be one of auto, fast, linearmodels; got {engine!r}")
    if not isinstance(own_lags, int) or own_lags < 0:
        raise DataError(f"`own_lags` must be a whole number >= 0, got {own_lags!r}")
    if not isinstance(max_lag, int) or max_lag < 0:
        raise DataError(f"`max_lag` must be a whole number >= 0, got {max_lag!r}")
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int) or not 0 <= bootstrap <= _limits.MAX_BOOTSTRAP:
        raise DataError(f"`bootstrap` must be a whole number from 0 to {_limits.MAX_BOOTSTRAP:,}, got {bootstrap!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise DataError(f"`seed` must be a whole number >= 0, got {seed!r}")
    if estimator not in ("ols", "iv-fd"):
        raise DataError(f"`estimator` must be one of ols, iv-fd; got {estimator!r}")
    if not (0 < float(alpha) < 1):
        raise DataError(f"`alpha` must be between 0 and 1, got {alpha!r}")
    controls = tuple(controls or ())
    source = str(getattr(history, "source", "<data>"))
    is_panel = bool(history.is_panel)
    eff = ("both" if is_panel else "none") if effects == "auto" else effects
    cv = ("clustered" if is_panel else "hac") if cov == "auto" else cov
    if not is_panel and eff in ("time", "both"):
        raise DataError(f"effects '{eff}' need a panel (a unit column), but {source} is a single series")
    if not is_panel and cv == "clustered":
        raise DataError(f"cov 'clustered' needs a panel (a unit column), but {source} is a single "
                        "series; use 'hac'")
    check_estimator(estimator, is_panel=is_panel, effects=eff, cov=cv, source=source)

    # resolve the links' KPIs and check the columns
    cols = set(map(str, history.data.columns))
    plan = []
    missing: dict[str, list[str]] = {}
    for lk in scorecard.links:
        try:
            fk, tk = scorecard.kpi_for(lk.source).id, scorecard.kpi_for(lk.target).id
        except KeyError as exc:
            raise DataError(f"link {lk.source} -> {lk.target}: {exc.args[0]}") from None
        for c in (fk, tk):
            if c not in cols:
                missing.setdefault(c, []).append(f"{lk.source}->{lk.target}")
        plan.append((lk, fk, tk))
    if missing:
        what = "; ".join(f"'{c}' (needed by {', '.join(v)})" for c, v in missing.items())
        raise DataError(
            f"the KPI history lacks {len(missing)} KPI column(s) the links need: {what}. "
            f"Columns present: {', '.join(sorted(cols)) or 'none'}", file=source)
    bad_controls = [c for c in controls if c not in cols]
    if bad_controls:
        raise DataError(f"control column(s) not in the KPI history: {', '.join(bad_controls)}. "
                        f"Columns present: {', '.join(sorted(cols))}", file=source)

    pa = PanelArrays.from_history(history)
    labels = _labels(history)
    if labels is not None:
        pa.cache["period_labels"] = labels
    iterator = plan
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(plan, desc="testing links", unit="link")
    results: list[LinkResult] = []
    for lk, fk, tk in iterator:
        results.append(estimate_link(
            pa, tk, fk, from_=lk.source, to=lk.target, expected_sign=lk.sign,
            lags=lk.lags, max_lag=lk.max_lag if lk.max_lag is not None else max_lag,
            own_lags=own_lags, controls=controls, effects=eff, cov=cv, transform=transform,
            alpha=alpha, engine=engine, estimator=estimator,
        ))
    results, n_tests = apply_fdr(results, alpha)

    warnings: list[str] = []
    kw = dict(effects=eff, cov=cv, own_lags=own_lags, controls=controls, transform=transform,
              alpha=alpha, engine=engine)
    driver_list: list[dict[str, Any]] = []
    chain_list: list[dict[str, Any]] = []
    suggestions: list[dict[str, Any]] = []
    discovery_info: dict[str, Any] | None = None
    if drivers:
        from .drivers import driver_models

        driver_list = driver_models(scorecard, pa, max_lag=max_lag, **kw)
    if chains:
        from .chains import chain_effects

        chain_list = chain_effects(scorecard, pa, results, bootstrap=bootstrap, seed=seed, alpha=alpha,
                                   controls=controls)
    if discovery:
        from .discovery import discover

        suggestions, discovery_info = discover(scorecard, pa, results, max_lag=max_lag, **kw)
        results = _feedback_caveats(results, suggestions, is_panel=is_panel, effects=eff)
        n_c = (discovery_info.get("candidates") or {}).get("n_suggested", 0)
        n_r = (discovery_info.get("reverse") or {}).get("n_flagged", 0)
        if n_c or n_r:
            warnings.append(f"exploratory discovery: {n_c} candidate link(s) not in the map and {n_r} "
                            f"link(s) whose reverse direction is stronger; leads, not findings")
    n_ins = sum(r.verdict == "insufficient_data" for r in results)
    if n_ins:
        warnings.append(f"{n_ins} of {len(results)} links have no verdict (insufficient data)")
    if not results:
        warnings.append("the scorecard has no links to test")
    periods = list(history.periods)
    return Evidence({
        "format": FORMAT,
        "toolkit_version": __version__,
        "scorecard": scorecard.name,
        "data": {
            "source": source, "is_panel": is_panel, "n_units": int(history.n_units),
            "n_periods": int(history.n_periods), "frequency": str(history.frequency),
            "first_period": _first_last(history, labels, periods, 0),
            "last_period": _first_last(history, labels, periods, -1),
        },
        "settings": {
            "effects": eff, "cov": cv, "own_lags": own_lags, "max_lag": max_lag,
            "transform": transform, "controls": list(controls), "alpha": float(alpha),
            "lag_criterion": "bic", "engine": engine, "drivers": bool(drivers), "chains": bool(chains),
            "discovery": bool(discovery), "bootstrap": int(bootstrap), "seed": int(seed),
            "estimator": estimator,
        },
        "multiple_testing": {"method": "benjamini-hochberg", "alpha": float(alpha),
                             "n_tests": n_tests, "note": FDR_NOTE},
        "links": [r.to_dict() for r in results],
        "drivers": driver_list,
        "chains": chain_list,
        "suggestions": suggestions,
        **({"discovery": discovery_info} if discovery_info is not None else {}),
        "warnings": warnings,
    })
