"""Run the link tests of a scorecard on KPI history, correct for multiple testing, give verdicts."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import Any

from ..errors import DataError, OptionError
from .batch import LinkRequest, test_links
from .data import PanelArrays
from .dynamics import correct_links
from .options import Options
from .parallel import Beside, Later, can_fork
from .results import FORMAT, Evidence, LinkResult
from .verdicts import FDR_NOTE, apply_fdr

__all__ = ["apply_fdr", "validate"]

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


def _grid_record(pa: PanelArrays, opts: Options) -> dict[str, Any]:
    """What the robustness grid was (top-level ``robustness`` key of the evidence file)."""
    from .robustness import CHOICE_SHARE, GRID_NOTE, ROBUST_SHARE, grid

    points = grid(opts, is_panel=pa.is_panel, n_periods=pa.n_periods)
    return {"grid": GRID_NOTE, "n_points": len(points), "robust_share": ROBUST_SHARE,
            "choice_share": CHOICE_SHARE,
            "choices": {"transform": ["none", "detrend", "diff"], "own_lags": [0, 1, 2],
                        "driver_lags": sorted({p.lag_choice for p in points}),
                        "effects": sorted({p.effects for p in points}),
                        "estimator": sorted({p.estimator for p in points}),
                        "other_drivers": sorted({"included" if p.others else "excluded" for p in points})}}


def _intake(history: Any) -> dict[str, Any]:
    """What the data intake did (conversions, merged unit names, gaps, missing shares), when known."""
    intake = getattr(history, "intake", None)
    try:
        return dict(intake.to_dict()) if intake is not None else {}
    except (AttributeError, TypeError, ValueError):
        return {}


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
    robustness: bool = True,
    seasonal: bool = False,
    bias_correction: str = "none",
    jobs: int = 0,
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
        ``auto`` uses the vectorised numpy path for panel samples, balanced or not (the
        same numbers as linearmodels, tested), linearmodels for HAC errors; ``linearmodels``
        fits every link with linearmodels' PanelOLS (the reference).
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
    bias_correction : {"none", "hpj"}
        The link TESTS' short-panel correction. ``none`` (default): the fixed-effects estimates.
        ``hpj``: the terms, the cumulative effect and its p-value come from the half-panel
        jackknife (Dhaene and Jochmans 2015) with whole-unit bootstrap standard errors
        (``bootstrap`` replications). Either way, in panels with unit effects and own lags the
        long-run multiplier, the chains' multipliers and the lever paths use the corrected
        dynamics, and each link's ``dynamics`` record gives raw and corrected numbers; see
        :mod:`bsc_toolkit.evidence.dynamics`.

    robustness : bool
        Re-test every link over a documented grid of defensible specifications (transform,
        own lags, driver lags, effects, iv-fd for short panels, and the outcome's other
        hypothesised drivers as regressors) and label each verdict
        ``robust`` or ``fragile`` (``links[].robustness``; see
        :mod:`bsc_toolkit.evidence.robustness`).
    seasonal : bool
        Period-of-year effects (monthly, weekly or quarterly data) as controls, for seasonal
        KPIs; with time effects in the model they are absorbed already.
    jobs : int
        Workers for the independent parts of a run: half of the unit-root and trend tests, then
        the robustness grid, beside the link tests, dynamics, driver models, chains and discovery
        (a forked process on Linux in a single-threaded program, else in line); 0 (default): one
        per core, at most 2; 1: all in line. The results do not depend on it.

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
    opts = Options(effects=effects, cov=cov, own_lags=own_lags, controls=tuple(controls or ()),
                   max_lag=max_lag, transform=transform, alpha=alpha, engine=engine, estimator=estimator,
                   drivers=drivers, chains=chains, discovery=discovery, bootstrap=bootstrap, seed=seed,
                   robustness=robustness, seasonal=seasonal, bias_correction=bias_correction, jobs=jobs)
    with single_threaded_blas():
        return _validate(scorecard, history, opts, progress)


def single_threaded_blas() -> Any:
    """Limit BLAS to one thread while a run computes (many small matrices: threads cost more than
    they give, and stall on a busy machine); a no-op without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a scikit-learn dependency, normally present
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _validate(scorecard: Any, history: Any, opts: Options, progress: bool) -> Evidence:
    scorecard, history = _inputs(scorecard, history)
    source = str(getattr(history, "source", "<data>"))
    opts = opts.resolve(is_panel=bool(history.is_panel), source=source)
    plan = _plan(scorecard, history, opts.controls, source)
    pa = PanelArrays.from_history(history)
    opts, notes = _controls(pa, plan, opts, history)
    bar = _Progress(progress, 1 + opts.robustness + opts.drivers + opts.chains + opts.discovery)
    bar.stage("testing links")
    requests = [LinkRequest(tk, fk, lags=lk.lags, max_lag=lk.max_lag, from_=lk.source, to=lk.target,
                            expected_sign=lk.sign) for lk, fk, tk in plan]
    kpis = [c for r in requests for c in (r.y_col, r.x_col)]
    if opts.discovery or opts.drivers:
        kpis += [k.id for k in scorecard.kpis if k.id in pa.columns]
    _classify_in_halves(pa, list(dict.fromkeys(kpis)), opts)
    # the robustness grid needs nothing of the headline tests: it starts first, beside them
    rob = _start_robustness(pa, requests, opts)
    try:
        results = test_links(pa, requests, opts)
        if opts.bias_correction == "none":  # the corrected dynamics (issue 17) leave the verdicts alone
            results, n_tests = apply_fdr(results, opts.alpha)
            results = correct_links(pa, results, opts)
        else:  # they change them: the multiple-testing step uses the corrected tests
            results, n_tests = apply_fdr(correct_links(pa, results, opts), opts.alpha)
        headline = results
        sections, warnings = _sections(scorecard, pa, results, opts, bar)
        per_link = None
        if rob is not None:
            bar.stage("robustness (specification grid)")
            per_link = rob.result()
    except BaseException:
        if rob is not None:
            rob.cancel()
        raise
    finally:
        pa.blocks.pop("block_bytes", None)
    warnings = notes + warnings
    results = sections.pop("links")
    if per_link is not None and results:
        from .robustness import summarize_all

        records = summarize_all(headline, per_link)
        results = [r._replace(robustness=rec) for r, rec in zip(results, records, strict=True)]
    bar.close()
    n_ins = sum(r.verdict == "insufficient_data" for r in results)
    if n_ins:
        warnings.append(f"{n_ins} of {len(results)} links have no verdict (insufficient data)")
    if not results:
        warnings.append("the scorecard has no links to test")
    return _evidence(scorecard, history, pa, opts, results, n_tests, sections, warnings)


def _workers(opts: Options) -> int:
    """Processes a run may use: ``jobs``, else one per core, at most 2."""
    return opts.jobs or min(2, os.cpu_count() or 1)


def _classify(pa: PanelArrays, cols: list[str], effects: str) -> dict[Any, Any]:
    """The classes of these columns (:func:`~.design.series_classes`) as cache entries."""
    from .design import series_classes

    series_classes(pa, cols, effects)
    time_dm = effects in ("time", "both")
    return {k: v for k, v in pa.class_cache.items() if k[1] == time_dm and k[2] in cols}


def _classify_in_halves(pa: PanelArrays, cols: list[str], opts: Options) -> None:
    """With ``transform='auto'`` every KPI is classed (unit-root and trend tests, a bootstrap for
    the trends) before its first test: on two cores, half of them in a forked child while this
    process does the other half (the same classes: each KPI's tests are its own)."""
    time_dm = opts.effects in ("time", "both")
    todo = [c for c in cols if (pa.is_panel, time_dm, c) not in pa.class_cache]
    if opts.transform != "auto" or not pa.is_panel or _workers(opts) < 2 or len(todo) < 4 or not can_fork():
        return
    half = len(todo) // 2
    other = Beside(_classify, pa, todo[half:], opts.effects)
    try:
        _classify(pa, todo[:half], opts.effects)
    except BaseException:
        other.cancel()
        raise
    pa.class_cache.update(other.result())


def _start_robustness(pa: PanelArrays, requests: list[LinkRequest], opts: Options) -> Later | Beside | None:
    """Start the robustness grid; its ``result()`` gives each link's grid results
    (:func:`~.robustness.grid_results`) when they are done.

    With ``jobs`` > 1 (default: one per core, at most two) it runs beside the rest
    (:mod:`.parallel`: a forked process where that is safe, else in line at the end) on its own copy
    of the arrays, while the headline tests, the bias-corrected dynamics, driver models, chains
    and discovery run here. The memory budget of the within-transformed blocks is split between
    the two.
    """
    if not (opts.robustness and requests):
        return None
    from .robustness import grid_results

    if _workers(opts) < 2:
        return Later(grid_results, pa, requests, opts)
    from .batch import BLOCK_BYTES

    twin = PanelArrays(pa.units, pa.n_periods, dict(pa.columns), pa.is_panel, pa.source, pa.period_labels,
                       class_cache=pa.class_cache)
    for p in (pa, twin):
        p.blocks["block_bytes"] = BLOCK_BYTES // 2
    return Beside(grid_results, twin, requests, opts)


def _driver_vs_links(dm: dict[str, Any], links: Sequence[LinkResult]) -> str | None:
    """One sentence when a driver model and the link tests into the same KPI give different advice."""
    if dm.get("status") != "estimated":
        return None
    y = dm.get("outcome_kpi")
    into = [lk for lk in links if lk.to_kpi == y and lk.verdict != "insufficient_data"]
    if not into:
        return None
    oos = dm.get("out_of_sample") or {}
    gain = bool(oos.get("adds_information"))
    sup = [lk for lk in into if lk.verdict == "supported"]
    lag0 = [f"{lk.from_} -> {lk.to}" for lk in into if 0 in lk.lags]
    what_dm = (f"the driver model uses all {len(dm.get('drivers') or [])} leading KPIs that reach '{y}' "
               f"together, at lags 1..p (and a link's own lags where it lists them), and judges "
               f"out-of-sample forecasts against the outcome's own past")
    what_lk = ("each link test judges one driver's cumulative effect net of the outcome's own past, "
               "after the false-discovery-rate correction across all links")
    extra = (f"; {', '.join(lag0)} include{'s' if len(lag0) == 1 else ''} lag 0 (the same period), which "
             f"a forecast cannot use") if lag0 else ""
    rel = oos.get("relative_rmse")
    if gain and not sup:
        return (f"'{y}': the leading KPIs improve its forecasts (RMSE {rel:.2f}x the own-past baseline) but no "
                f"link into it is supported: {what_dm}, while {what_lk}{extra}; a joint, predictive signal "
                f"spread over several drivers can be real without any single link being significant")
    if sup and oos.get("status") == "estimated" and not gain:
        names = ", ".join(f"{lk.from_} -> {lk.to}" for lk in sup)
        return (f"'{y}': {names} {'is' if len(sup) == 1 else 'are'} supported, but the leading KPIs do not "
                f"improve its out-of-sample forecasts: {what_lk}, while {what_dm}{extra}; an in-sample "
                f"effect can be too small, or too unstable over time, to pay off in forecasts")
    return None


def _controls(pa: PanelArrays, plan: list[tuple[Any, str, str]], opts: Options, history: Any
              ) -> tuple[Options, list[str]]:
    """Check the controls, add seasonal ones on request; the options to use and the notes to show.

    A control that is a link's outcome or driver (by name or by value) is refused; a control
    that the fixed effects absorb (constant within every unit under unit effects, or the same
    for every unit in each period under time effects) is dropped with a note; strongly seasonal
    KPIs are named, with what the model does about it.
    """
    from .seasonal import add_season_columns, season_positions, season_word, seasonality

    ends = {k: f"{'driver' if k == fk else 'outcome'} of link {lk.source} -> {lk.target}"
            for lk, fk, tk in plan for k in (fk, tk)}
    notes: list[str] = []
    keep = []
    for c in opts.controls:
        if c in ends:
            raise OptionError(f"control '{c}' is the {ends[c]}: a control cannot be a link's outcome or "
                              f"driver (it would explain the outcome by itself); remove it from the controls")
        same = [k for k in ends if _same_values(pa.col(c), pa.col(k))]
        if same:
            raise OptionError(f"control '{c}' has the same values as '{same[0]}', the {ends[same[0]]}: a "
                              f"control cannot repeat a link's outcome or driver; remove it from the controls")
        why = _absorbed(pa, c, opts.effects)
        if why:
            notes.append(f"control '{c}' dropped: {why}")
        else:
            keep.append(c)
    seasons = season_positions(history.periods, str(history.frequency))
    if opts.seasonal:
        if seasons is None:
            raise OptionError(f"`seasonal` needs monthly, quarterly or weekly periods; {pa.source} has "
                              f"{history.frequency} periods")
        if opts.effects in ("time", "both"):
            notes.append(f"seasonal: the time effects already absorb {season_word(str(history.frequency))}-"
                         f"of-year effects common to all units; nothing added")
        else:
            keep += add_season_columns(pa, seasons, str(history.frequency))
    strong = seasonality(pa, sorted({k for _, fk, tk in plan for k in (fk, tk)}), seasons)
    if strong:
        word = season_word(str(history.frequency))
        what = ", ".join(f"'{c}' ({r2:.0%})" for c, (r2, _) in strong.items())
        if opts.effects in ("time", "both"):
            handled = "the time effects absorb seasons shared by all units"
        elif opts.seasonal:
            handled = f"{word}-of-year effects are in every model (--seasonal)"
        else:
            handled = f"add {word}-of-year effects with --seasonal (seasonal=True)"
        notes.append(f"strong seasonality: {word}-of-year means explain {what} of the within-unit "
                     f"variance (F test p < {0.001:g}); {handled}")
    return opts.replace(controls=tuple(keep)), notes


def _same_values(a: Any, b: Any) -> bool:
    import numpy as np

    ok = np.isfinite(a) & np.isfinite(b)
    return bool(ok.sum() >= 3 and np.allclose(a[ok], b[ok], rtol=1e-12, atol=0))


def _absorbed(pa: PanelArrays, c: str, effects: str) -> str | None:
    """Why the fixed effects absorb control ``c`` completely, or None."""
    import numpy as np

    a = pa.col(c)
    with np.errstate(invalid="ignore"):
        if pa.is_panel and effects in ("unit", "both"):
            spread = np.nanmax(a, axis=1) - np.nanmin(a, axis=1)
            if np.all(~np.isfinite(spread) | (spread <= 1e-12 * max(float(np.nanmax(np.abs(a))), 1e-300))):
                return "it is constant within each unit, so the unit effects absorb it"
        if pa.is_panel and effects in ("time", "both"):
            spread = np.nanmax(a, axis=0) - np.nanmin(a, axis=0)
            if np.all(~np.isfinite(spread) | (spread <= 1e-12 * max(float(np.nanmax(np.abs(a))), 1e-300))):
                return "it is the same for every unit in each period, so the time effects absorb it"
    return None


def _inputs(scorecard: Any, history: Any) -> tuple[Any, Any]:
    """The scorecard (loaded when a path or example name) and the history, type-checked."""
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
    return scorecard, history


def _plan(scorecard: Any, history: Any, controls: Sequence[str], source: str) -> list[tuple[Any, str, str]]:
    """Each link with its driver and outcome KPI; every missing column named at once."""
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
    return plan


class _Progress:
    """A progress bar over the stages of a run (tqdm, on stderr), or nothing."""

    def __init__(self, on: bool, total: int):
        self.bar: Any = None
        if on:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc="validate", unit="stage")

    def stage(self, what: str) -> None:
        if self.bar is not None:
            if self.bar.n or self.bar.desc != "validate":
                self.bar.update(1)
            self.bar.set_description(what)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.update(self.bar.total - self.bar.n)
            self.bar.close()


def _sections(scorecard: Any, pa: PanelArrays, results: list[LinkResult], opts: Options,
              bar: _Progress) -> tuple[dict[str, Any], list[str]]:
    """Driver models, chains and discovery (each when asked for), and their warnings."""
    warnings: list[str] = []
    kw: dict[str, Any] = dict(effects=opts.effects, cov=opts.cov, own_lags=opts.own_lags,
                              controls=opts.controls, transform=opts.transform, alpha=opts.alpha,
                              engine=opts.engine)
    out: dict[str, Any] = {"drivers": [], "chains": [], "suggestions": [], "discovery": None}
    if opts.drivers:
        from .drivers import driver_models

        bar.stage("driver models")
        out["drivers"] = driver_models(scorecard, pa, max_lag=opts.max_lag, **kw)
        for dm in out["drivers"]:
            note = _driver_vs_links(dm, results)
            if note:
                dm["consistency"] = note
                warnings.append(note)
    if opts.chains:
        from .chains import chain_effects

        bar.stage("chains (bootstrap)")
        out["chains"] = chain_effects(scorecard, pa, results, bootstrap=opts.bootstrap, seed=opts.seed,
                                      alpha=opts.alpha, controls=opts.controls)
    if opts.discovery:
        from .discovery import discover

        bar.stage("discovery (exploratory)")
        out["suggestions"], out["discovery"] = discover(scorecard, pa, results, max_lag=opts.max_lag, **kw)
        results = _feedback_caveats(results, out["suggestions"], is_panel=pa.is_panel, effects=opts.effects)
        n_c = (out["discovery"].get("candidates") or {}).get("n_suggested", 0)
        n_r = (out["discovery"].get("reverse") or {}).get("n_flagged", 0)
        if n_c or n_r:
            warnings.append(f"exploratory discovery: {n_c} candidate link(s) not in the map and {n_r} "
                            f"link(s) whose reverse direction is stronger; leads, not findings")
    out["links"] = results
    return out, warnings


def _evidence(scorecard: Any, history: Any, pa: PanelArrays, opts: Options, results: list[LinkResult],
              n_tests: int, sections: dict[str, Any], warnings: list[str]) -> Evidence:
    from .. import __version__

    labels = pa.period_labels
    periods = list(history.periods)
    settings = opts.to_dict()
    settings.update(lag_criterion="bic")
    discovery_info = sections.pop("discovery")
    return Evidence({
        "format": FORMAT,
        "toolkit_version": __version__,
        "scorecard": scorecard.name,
        "data": {
            **_intake(history),
            "source": pa.source, "is_panel": pa.is_panel, "n_units": int(history.n_units),
            "n_periods": int(history.n_periods), "frequency": str(history.frequency),
            "first_period": _first_last(history, labels, periods, 0),
            "last_period": _first_last(history, labels, periods, -1),
        },
        "settings": settings,
        "multiple_testing": {"method": "benjamini-hochberg", "alpha": float(opts.alpha),
                             "n_tests": n_tests, "note": FDR_NOTE},
        **({"robustness": _grid_record(pa, opts)} if opts.robustness else {}),
        "links": list(results),  # shared, not copied: LinkResult is read-only
        **sections,
        **({"discovery": discovery_info} if discovery_info is not None else {}),
        "warnings": warnings,
    })
