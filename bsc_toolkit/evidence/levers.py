"""Lever simulation: "if this KPI moves by X, what happens downstream over the next periods?"

The change (a permanent ``step`` or a one-off ``pulse``) is imposed on the lever
KPI and propagated through the SUPPORTED links only, each with its estimated
dynamic equation (the link test's driver-lag and own-lag coefficients)::

    dy[h] = sum_j rho_j dy[h-j] + sum_links sum_l b_l dx[h-l]

where ``d`` is the deviation from the path without the change. Several drivers
of one KPI add up; its own-lag coefficients are the average over its supported
incoming links (each link's model has its own estimate of them). Because the
deviations start at zero, the same recursion holds for links estimated in
levels and in first differences (the differenced equation sums to the level
equation), so the paths are in KPI units for every transform.

Coefficients: in panels with unit effects and own lags, the fixed-effects coefficients
are biased in short panels (Nickell), and so would the paths be; they are corrected by
the half-panel jackknife (:mod:`.dynamics`). Uncertainty: for those links the draws are
the replications of a whole-unit bootstrap of the corrected estimator, the same unit
draws for every link (so the bands carry the correction's own variance and the
dependence between links); other links (a single series, no unit effects, ``iv-fd``)
are drawn from a multivariate normal with the model's covariance (clustered or HAC as in
the link test). The result gives the median path and a 90% band per KPI and period. The
coefficients are re-estimated from the KPI history with each link's recorded design
(lags, transform, own lags, controls) and checked against the evidence.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _limits
from ..errors import DataError
from .data import PanelArrays
from .design import Spec, build_sample
from .dynamics import LinkDynamics, bootstrap_weights, link_dynamics, widen
from .estimators import fit
from .results import Evidence, LinkResult, load_evidence

if TYPE_CHECKING:
    from ..history.frame import KPIHistory
    from ..scorecard.model import Scorecard


__all__ = ["LeverResult", "simulate_lever"]


class LeverResult:
    """Simulated response of downstream KPIs to a change in one lever KPI.

    Attributes
    ----------
    lever : str
        The KPI that is moved.
    change : float
        Size of the move in the lever KPI's units.
    kind : {"step", "pulse"}
    horizon : int
        Periods after the change (period 0 = the period of the change).
    paths : dict
        ``{kpi: {"median": array, "low": array, "high": array, "point": array}}``
        (deviations from the no-change path, KPI units, periods 0..horizon).
    propagated, not_propagated : list of dict
        Links used / links on the way that are not supported (with their verdicts).

    Examples
    --------
    >>> res = simulate_lever(ev, history, sc, "training_hours", 10)  # doctest: +SKIP
    >>> res.to_frame().query("kpi == 'lfl_sales_growth'")  # doctest: +SKIP
    """

    def __init__(self, lever: str, change: float, kind: str, horizon: int, draws: int,
                 paths: dict[str, dict[str, np.ndarray]], perspective: dict[str, str],
                 propagated: list[dict[str, Any]], not_propagated: list[dict[str, Any]],
                 notes: list[str], band: float = 0.9, baseline: dict[str, float | None] | None = None):
        self.lever, self.change, self.kind, self.horizon, self.draws = lever, change, kind, horizon, draws
        self.paths = paths
        self.perspective = perspective
        self.propagated = propagated
        self.not_propagated = not_propagated
        self.notes = notes
        self.band = band
        self.baseline = baseline or {}

    @property
    def kpis(self) -> list[str]:
        return list(self.paths)

    @property
    def financial(self) -> list[str]:
        return [k for k in self.paths if self.perspective.get(k) == "financial"]

    def to_frame(self):
        """One row per KPI and period: median, band and point path (deviations, KPI units)."""
        import pandas as pd

        rows = []
        for k, p in self.paths.items():
            for h in range(self.horizon + 1):
                rows.append({"kpi": k, "perspective": self.perspective.get(k), "period": h,
                             "median": float(p["median"][h]), "low": float(p["low"][h]),
                             "high": float(p["high"][h]), "point": float(p["point"][h])})
        return pd.DataFrame(rows, columns=["kpi", "perspective", "period", "median", "low", "high", "point"])

    @property
    def summary(self) -> str:
        lvl = f"{100 * self.band:g}%"
        head = (f"Lever: {self.lever} {'steps' if self.kind == 'step' else 'pulses'} by {self.change:+g} "
                f"({'permanently' if self.kind == 'step' else 'for one period'}), {self.horizon} periods, "
                f"{self.draws} coefficient draws")
        lines = [head, "=" * len(head)]
        if len(self.paths) <= 1:
            lines.append("No supported link leads away from this KPI: nothing downstream moves.")
        else:
            lines.append(f"{'KPI':<32}{'after 1':>12}{'after ' + str(self.horizon):>14}   {lvl} band at the end")
            for k, p in self.paths.items():
                if k == self.lever:
                    continue
                h1 = min(1, self.horizon)
                tag = " (financial)" if self.perspective.get(k) == "financial" else ""
                lines.append(f"{(k + tag)[:31]:<32}{p['median'][h1]:>+12.4g}{p['median'][-1]:>+14.4g}   "
                             f"[{p['low'][-1]:+.4g}, {p['high'][-1]:+.4g}]")
        if self.propagated:
            lines.append("Propagated through (supported links): " + ", ".join(
                f"{x['from_kpi']} -> {x['to_kpi']}" for x in self.propagated))
        if self.not_propagated:
            lines.append("Not propagated (not supported): " + ", ".join(
                f"{x['from_kpi']} -> {x['to_kpi']} ({x['verdict']})" for x in self.not_propagated))
        lines.extend(f"Note: {n}" for n in self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary

    def __repr__(self) -> str:
        return f"LeverResult({self.lever!r}, change={self.change:g}, kind={self.kind!r}, {len(self.paths)} KPIs)"

    def _repr_html_(self) -> str:
        df = self.to_frame()
        end = df[df.period == self.horizon]
        table = end.to_html(index=False, float_format=lambda x: f"{x:.4g}")
        notes = "".join(f"<li>{escape(n)}</li>" for n in self.notes)
        return (f"<p><b>{escape(self.summary.splitlines()[0])}</b></p>{table}"
                + (f"<ul>{notes}</ul>" if notes else ""))

    def plot(self, kpis: Sequence[str] | None = None, ax: Any = None):
        """Median path with the band per KPI (matplotlib); returns the figure."""
        import matplotlib

        if ax is None:
            matplotlib.use(matplotlib.get_backend())
            import matplotlib.pyplot as plt

            sel = list(kpis) if kpis else [k for k in self.paths if k != self.lever] or list(self.paths)
            fig, grid = plt.subplots(len(sel), 1, figsize=(6.5, 1.9 * len(sel) + 0.6), squeeze=False,
                                     sharex=True)
            axes: list[Any] = list(grid[:, 0])
        else:
            sel = list(kpis) if kpis else [k for k in self.paths if k != self.lever]
            fig, axes = ax.figure, [ax] * len(sel)
        h = np.arange(self.horizon + 1)
        for a, k in zip(axes, sel, strict=False):
            p = self.paths[k]
            a.fill_between(h, p["low"], p["high"], alpha=0.25, color="#0072B2", lw=0)
            a.plot(h, p["median"], color="#0072B2", lw=2)
            a.axhline(0, color="#777", lw=0.8)
            a.set_ylabel(k, fontsize=8)
        axes[-1].set_xlabel("periods after the change")
        axes[0].set_title(f"{self.lever} {self.change:+g} ({self.kind}): median and "
                          f"{100 * self.band:g}% band", loc="left", fontsize=9)
        fig.tight_layout()
        return fig


def _kpi_id(scorecard: Scorecard, x: str) -> str:
    try:
        return scorecard.kpi_for(x).id
    except KeyError:
        known = ", ".join(k.id for k in scorecard.kpis)
        raise DataError(f"`kpi`: '{x}' is not a KPI or objective of scorecard '{scorecard.name}' "
                        f"(KPIs: {known})") from None


def _refit_iv_fd(lk: LinkResult, pa: PanelArrays) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients and covariance of an ``iv-fd`` link, rebuilt from its recorded design."""
    from .ivfd import build_iv_fd, fit_iv_fd_numpy

    m = lk.method
    inst = m.get("instruments") or []
    kind = ("both" if len(inst) == 2 else "diff" if inst and "(difference)" in inst[0] else "level")
    d = build_iv_fd(pa, lk.to_kpi, lk.from_kpi, list(m.get("lags") or []), int(m.get("own_lags") or 0),
                    list(m.get("controls") or []), time_effects=m.get("effects") == "both",
                    unit_intercepts=m.get("transform") == "detrend", instrument=kind, partial=True)
    fit = fit_iv_fd_numpy(d, cov=m.get("covariance") or "clustered")
    return fit.params, fit.cov


def _refit(lk: LinkResult, pa: PanelArrays) -> tuple[np.ndarray, np.ndarray, int, int]:
    m = lk.method
    spec = Spec(m.get("transform") or "none", "", m.get("effects") or "none",
                m.get("covariance") or "unadjusted", pa.is_panel)
    lags = list(m.get("lags") or [])
    own = int(m.get("own_lags") or 0)
    for c in (lk.from_kpi, lk.to_kpi, *(m.get("controls") or [])):
        if c not in pa.columns:
            raise DataError(f"the KPI history lacks column '{c}' needed by link {lk.from_} -> {lk.to}")
    k = len(lags) + own
    if m.get("estimator") == "iv-fd":
        bb, VV = _refit_iv_fd(lk, pa)
        b, V = bb[:k], VV[:k, :k]
    else:
        d = build_sample(pa, lk.to_kpi, [(lk.from_kpi, lags)], own, list(m.get("controls") or []), spec)
        f, _ = fit(d, spec, "auto")
        b, V = f.params[:k], f.cov[:k, :k]
    dyn_rec = lk.to_dict().get("dynamics") or {}
    if len(dyn_rec.get("coefficients") or []) >= k:  # the fixed-effects ones, also when the test was corrected
        ref = np.array([c["raw"] for c in dyn_rec["coefficients"]][:k], dtype=float)
    else:
        ref = np.array([t.estimate for t in lk.terms] + [t.estimate for t in lk.own_terms], dtype=float)
    if len(ref) and not np.allclose(b, ref, rtol=1e-6, atol=1e-9 * max(1.0, float(np.abs(ref).max()))):
        raise DataError(f"link {lk.from_} -> {lk.to}: re-estimating on this KPI history gives "
                        f"{np.round(b, 6).tolist()}, the evidence has {np.round(ref, 6).tolist()}; "
                        f"pass the history the evidence was computed from")
    return b, V, len(lags), own


def _check_same_scorecard(ev: Evidence, sc: Scorecard) -> None:
    """Refuse evidence computed for another scorecard (its links would not match)."""
    have = set()
    for lk in sc.links:
        have.add((lk.source, lk.target))
    foreign = [f"{lk.from_} -> {lk.to}" for lk in ev.links if (lk.from_, lk.to) not in have]
    if ev.scorecard != sc.name or foreign:
        what = (f"it was computed for scorecard '{ev.scorecard}', not '{sc.name}'"
                if ev.scorecard != sc.name else "it was computed for another version of the scorecard")
        extra = f" (links not in the scorecard: {', '.join(foreign[:5])})" if foreign else ""
        raise DataError(f"the evidence does not belong to this scorecard: {what}{extra}; run "
                        f"`bsc validate` on this scorecard first", file=ev.source)


def simulate_lever(
    evidence: Evidence | Mapping[str, Any] | str | os.PathLike[str],
    history: KPIHistory,
    scorecard: Scorecard | str | os.PathLike[str],
    kpi: str,
    change: float,
    *,
    horizon: int = 8,
    draws: int = 1000,
    seed: int = 0,
    kind: str = "step",
    band: float = 0.9,
) -> LeverResult:
    """Propagate a change in one KPI through the supported links and return paths with bands.

    Parameters
    ----------
    evidence : Evidence, dict or path
        From :func:`bsc_toolkit.evidence.validate` (or its JSON file).
    history : KPIHistory
        The KPI history the evidence was computed from (coefficients and their
        covariance are re-estimated from it with each link's recorded design).
    scorecard : Scorecard
    kpi : str
        The lever: a KPI id (or an objective id, standing for its primary KPI).
    change : float
        Size of the move, in the lever KPI's units.
    horizon : int
        Number of periods after the change to simulate (period 0 is the change).
    draws : int
        Coefficient draws for the band.
    seed : int
        Random seed of the draws.
    kind : {"step", "pulse"}
        ``step``: the lever stays ``change`` higher from period 0 on; ``pulse``: only in period 0.
    band : float
        Coverage of the band (0.9: the 5% and 95% quantiles).

    Returns
    -------
    LeverResult

    Raises
    ------
    DataError
        Unknown KPI, bad ``kind``/``horizon``/``draws``, or a history that does not
        reproduce the evidence.

    Examples
    --------
    >>> from bsc_toolkit.history import simulate_history
    >>> from bsc_toolkit.evidence import validate
    >>> sim = simulate_history("retail", n_units=20, n_periods=20, seed=1)
    >>> ev = validate("retail", sim.history, drivers=False, chains=False, discovery=False)  # doctest: +SKIP
    >>> res = simulate_lever(ev, sim.history, "retail", "L1", 5.0, horizon=6)  # doctest: +SKIP
    >>> res.to_frame().columns.tolist()  # doctest: +SKIP
    ['kpi', 'perspective', 'period', 'median', 'low', 'high', 'point']
    """
    from ..scorecard import Scorecard, load_scorecard

    sc = scorecard if isinstance(scorecard, Scorecard) else load_scorecard(scorecard)
    ev = evidence if isinstance(evidence, Evidence) else load_evidence(evidence)
    _check_same_scorecard(ev, sc)
    change = _check_args(kind, horizon, draws, band, change)
    lever = _kpi_id(sc, kpi)
    pa = PanelArrays.from_history(history)
    H, D = int(horizon), int(draws)
    used, not_used, order = _reach(ev, sc, lever)
    pos = {k: i for i, k in enumerate(order)}
    K = len(order)
    if D * K * (H + 1) > _limits.MAX_LEVER_VALUES:  # the paths array: (draws + 1) x K x (H + 1)
        raise DataError(f"{D:,} draws x {K} KPIs x {H + 1} periods is more than the {_limits.MAX_LEVER_VALUES:,} "
                        "values a lever simulation keeps; use fewer draws or a shorter horizon")
    rng = np.random.default_rng(seed)
    inc, owns, notes = _coefficients(used, pa, order, rng, D, seed)
    dev = _propagate(order, pos, inc, owns, change, kind, D, H)
    if any("whole-unit bootstrap" in n for n in notes):  # t(G-1) quantiles, as the link tests
        dev[1:] = widen(dev[1:], dev[0][None], 1 - band, pa.n_units)
    lo_q, hi_q = (1 - band) / 2, 1 - (1 - band) / 2
    paths = {}
    for k in order:
        x = dev[1:, pos[k], :]
        # draws from singular bootstrap replications (too few distinct units) are NaN: left out
        paths[k] = {"median": np.nanmedian(x, axis=0), "low": np.nanquantile(x, lo_q, axis=0),
                    "high": np.nanquantile(x, hi_q, axis=0), "point": dev[0, pos[k], :]}
    persp = {k.id: sc.perspective_of(k.id).value for k in sc.kpis}
    if any(lk.verdict != "supported" for lk in ev.links if lk.from_kpi == lever) and len(order) == 1:
        notes.append("no supported link leaves the lever; its tested links are listed as not propagated")
    notes.append("paths are deviations from the no-change path in KPI units")
    baseline = {}
    for k in order:
        try:
            baseline[k] = history.latest(k)
        except (KeyError, AttributeError):
            baseline[k] = None
    return LeverResult(
        lever, change, kind, H, D, paths, persp,
        [{"from": lk.from_, "to": lk.to, "from_kpi": lk.from_kpi, "to_kpi": lk.to_kpi,
          "lags": list(lk.lags)} for lk in used],
        [{"from": lk.from_, "to": lk.to, "from_kpi": lk.from_kpi, "to_kpi": lk.to_kpi,
          "verdict": lk.verdict} for lk in not_used],
        notes, band, baseline,
    )


def _check_args(kind: str, horizon: Any, draws: Any, band: float, change: Any) -> float:
    if kind not in ("step", "pulse"):
        raise DataError(f"`kind` must be 'step' or 'pulse', got {kind!r}")
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or not 1 <= horizon <= _limits.MAX_HORIZON:
        raise DataError(f"`horizon` must be a whole number from 1 to {_limits.MAX_HORIZON:,}, got {horizon!r}")
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or not 10 <= draws <= _limits.MAX_DRAWS:
        raise DataError(f"`draws` must be a whole number from 10 to {_limits.MAX_DRAWS:,}, got {draws!r}")
    if not (0 < band < 1):
        raise DataError(f"`band` must be between 0 and 1, got {band!r}")
    try:
        return float(change)
    except (TypeError, ValueError):
        raise DataError(f"`change` must be a number, got {change!r}") from None


def _reach(ev: Evidence, sc: Scorecard, lever: str) -> tuple[list[LinkResult], list[LinkResult], list[str]]:
    """Supported links reachable from the lever, the unsupported ones met on the way, KPI order."""
    sup = [lk for lk in ev.links if lk.verdict == "supported" and lk.from_kpi != lk.to_kpi]
    reach = {lever}
    changed = True
    while changed:
        changed = False
        for lk in sup:
            if lk.from_kpi in reach and lk.to_kpi not in reach:
                reach.add(lk.to_kpi)
                changed = True
    used = [lk for lk in sup if lk.from_kpi in reach and lk.to_kpi != lever]
    not_used = [lk for lk in ev.links if lk.verdict != "supported" and lk.from_kpi in reach]
    rest = [k.id for k in sc.kpis if k.id in reach and k.id != lever]
    rest.sort(key=lambda k: sc.perspective_of(k).level)  # lag-0 links run upward: drivers first
    return used, not_used, [lever] + rest


Incoming = dict[str, list[tuple[int, list[int], np.ndarray]]]


def _coefficients(used: list[LinkResult], pa: PanelArrays, order: list[str], rng: np.random.Generator,
                  D: int, seed: int = 0) -> tuple[Incoming, dict[str, np.ndarray], list[str]]:
    """Per outcome KPI: driver coefficients (point estimate in row 0, then D draws) and own lags.

    Panel links with unit effects and own lags: the half-panel-jackknife coefficients and D
    replications of a whole-unit bootstrap of that estimator, the same unit draws for every
    link. Other links: D draws from a multivariate normal with the model's covariance.
    """
    pos = {k: i for i, k in enumerate(order)}
    inc: Incoming = {k: [] for k in order}
    own_draws: dict[str, list[np.ndarray]] = {k: [] for k in order}
    notes: list[str] = []
    W = bootstrap_weights(pa, D, seed)[0] if pa.is_panel else None
    n_boot = 0
    for lk in used:
        b, V, nl, no = _refit(lk, pa)
        dyn = link_dynamics(lk, pa, W) if W is not None else "single series"
        if isinstance(dyn, LinkDynamics) and dyn.corrected_draws is not None:
            n_coef = nl + no
            c = np.vstack([dyn.corrected[None, :n_coef], dyn.corrected_draws[:, :n_coef]])
            n_boot += 1
        else:
            c = _normal_draws(b, V, rng, D)
        inc[lk.to_kpi].append((pos[lk.from_kpi], list(lk.lags), c[:, :nl]))
        if no:
            own_draws[lk.to_kpi].append(c[:, nl:nl + no])
    owns: dict[str, np.ndarray] = {}
    for k, lst in own_draws.items():
        if len(lst) > 1:
            notes.append(f"{k}: own-lag coefficients averaged over its {len(lst)} supported incoming links")
        if lst:
            L = max(a.shape[1] for a in lst)
            acc = np.zeros((D + 1, L))
            for a in lst:
                acc[:, : a.shape[1]] += a
            owns[k] = acc / len(lst)
    if n_boot:
        notes.append(f"{n_boot} of {len(used)} link(s) (panel, unit effects, own lags): coefficients "
                     f"corrected for the short-panel bias (half-panel jackknife), drawn from {D} "
                     f"replications of a whole-unit bootstrap of the corrected estimator (the same "
                     f"unit draws for every link; jackknife-scaled, band widened by t(G-1) / normal "
                     f"quantiles)")
    if n_boot < len(used):
        notes.append(f"{len(used) - n_boot} of {len(used)} link(s): coefficients drawn independently "
                     f"per link from a multivariate normal with the model's covariance")
    return inc, owns, notes


def _normal_draws(b: np.ndarray, V: np.ndarray, rng: np.random.Generator, D: int) -> np.ndarray:
    """(D+1) x k: the point estimates in row 0, then D multivariate normal draws."""
    V = (V + V.T) / 2
    try:
        dr = rng.multivariate_normal(b, V, size=D, method="eigh")
    except (np.linalg.LinAlgError, ValueError):
        dr = b[None, :] + rng.standard_normal((D, len(b))) * np.sqrt(np.clip(np.diag(V), 0, None))
    return np.vstack([b[None, :], dr])


def _propagate(order: list[str], pos: dict[str, int], inc: Incoming, owns: dict[str, np.ndarray],
               change: float, kind: str, D: int, H: int) -> np.ndarray:
    """Deviation paths (D+1 x KPIs x H+1): the change on the lever, pushed through the equations."""
    dev = np.zeros((D + 1, len(order), H + 1))  # row 0: point estimates, rows 1..D: draws
    dev[:, 0, :] = change if kind == "step" else 0.0
    if kind == "pulse":
        dev[:, 0, 0] = change
    for h in range(H + 1):
        for k in order[1:]:
            i = pos[k]
            v = np.zeros(D + 1)
            for j, lags, c in inc[k]:
                for li, lag in enumerate(lags):
                    if h - lag >= 0:
                        v += c[:, li] * dev[:, j, h - lag]
            if k in owns:
                rho = owns[k]
                for jj in range(rho.shape[1]):
                    if h - 1 - jj >= 0:
                        v += rho[:, jj] * dev[:, i, h - 1 - jj]
            dev[:, i, h] = v
    return dev
