"""Simulated KPI histories with a planted, known truth.

:func:`simulate_history` turns a scorecard into KPI data whose cause-and-effect
structure is known: every link of the scorecard is planted as a lagged effect
(or, on request, as no effect or as an effect in the opposite direction), so the
evidence engine, a notebook or a class can check what a method finds against
what is really there.

The model
---------
Every KPI ``k`` of unit ``i`` in period ``t`` follows, on a standardised scale,

    z[k,i,t] = (1 - rho) a[k,i] + rho z[k,i,t-1] + sum_links b z[driver,i,t-lag] + g[t] + e[k,i,t]

with unit fixed effects ``a ~ N(0, unit_sd)``, an optional common shock ``g[t] ~
N(0, time_sd)`` that hits every unit and KPI in the same period (a business
cycle; time fixed effects remove it), AR(1) persistence ``rho`` and innovations
``e ~ N(0, noise)``. Effects ``b`` are in standard-deviation units of the
innovations: a one-standard-deviation shock to the driver moves the outcome by
``b`` standard deviations of its own shock. KPIs are generated in the
scorecard's causal order (lag-0 links first), so lag-0 effects work too; KPIs on
no link are plain AR(1) series.

Two deterministic parts can be added on the same scale: ``trend`` (a linear
trend per period, shared by all KPIs, each moving toward its target: the classic
spurious-correlation trap) and ``seasonality`` (a seasonal wave of that
amplitude for sub-annual data). Finally each KPI is rescaled to realistic
levels: its mean is the scorecard baseline (else the target, else 0) and its
standard deviation about half the baseline-to-target gap (capped so that
percentages stay mostly within 0-100 and positive KPIs mostly positive). The
rescaling is linear, so the planted effect in KPI units is
``b * scale[outcome] / scale[driver]``; both are recorded in ``truth``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from .. import _limits
from ..errors import DataError
from .frame import SINGLE_UNIT, KPIHistory
from .periods import FREQUENCIES, PANDAS_FREQ, format_periods, parse_start, period_index

if TYPE_CHECKING:
    from .._typing import ScorecardSource

__all__ = ["SavedSimulation", "Simulation", "simulate_history"]

DEFAULT_EFFECT = 0.5
_SEASON_LENGTH = {"quarterly": 4, "monthly": 12, "weekly": 52, "daily": 7}


class SavedSimulation(NamedTuple):
    """Paths written by :meth:`Simulation.save`."""

    history: Path
    truth: Path


@dataclass(frozen=True)
class Simulation:
    """A simulated KPI history and the truth planted in it.

    Attributes
    ----------
    history : KPIHistory
        The simulated data (period labels like ``2020Q1``).
    truth : list of dict
        One entry per scorecard link: ``index``, ``from``, ``to``, ``from_kpi``,
        ``to_kpi``, ``expected_sign``, ``lag``, ``planted`` (``effect`` | ``null``
        | ``reverse``), ``planted_sign``, ``effect`` (KPI units of the outcome per
        KPI unit of the driver), ``effect_std`` (standardised, innovation-SD
        units), ``long_run_effect`` (``effect / (1 - persistence)``) and, for
        reversed links, ``reverse_effect`` / ``reverse_effect_std`` (the planted
        effect of ``to_kpi`` on ``from_kpi``).
    settings : dict
        The arguments of :func:`simulate_history`.
    scales : dict
        Per KPI: ``mean`` (its level), ``scale`` (KPI units per standardised unit)
        and ``sd`` (standard deviation of its stationary part in KPI units).
    """

    history: KPIHistory
    truth: list[dict[str, Any]]
    settings: dict[str, Any]
    scorecard: str = ""
    scales: dict[str, dict[str, float]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """Wide frame with ``unit`` (panels) and ``period`` columns, one column per KPI."""
        return self.history.to_frame()

    def truth_frame(self) -> pd.DataFrame:
        """The truth as a table, one row per link."""
        return pd.DataFrame(self.truth)

    def save(self, out_dir: str | os.PathLike[str], *, long: bool = False) -> SavedSimulation:
        """Write ``history.csv`` and ``truth.json`` into ``out_dir`` (atomically).

        ``history.csv`` is wide (``unit, period, <kpi>...``; no unit column for a
        single series) or, with ``long``, long (``[unit,] period, kpi, value``).
        It loads back with ``load_history(path, unit="unit", period="period")``
        (omit ``unit`` for a single series). ``truth.json`` holds the scorecard
        name, the settings, the per-KPI scales and the ``links`` (the truth).

        Examples
        --------
        >>> import tempfile
        >>> from bsc_toolkit.history import simulate_history
        >>> sim = simulate_history("retail", n_units=3, n_periods=8)
        >>> paths = sim.save(tempfile.mkdtemp())
        >>> paths.history.name, paths.truth.name
        ('history.csv', 'truth.json')
        """
        from .._io import atomic_path, atomic_write

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        frame = self.history.to_long() if long else self.to_frame()
        hist_path = out / "history.csv"
        with atomic_path(hist_path) as tmp:
            _write_csv(frame, tmp)
        truth_path = atomic_write(out / "truth.json", json.dumps(self.to_dict(), indent=2) + "\n")
        return SavedSimulation(hist_path, truth_path)

    def to_dict(self) -> dict[str, Any]:
        """Everything in ``truth.json``: format, scorecard, settings, scales, links, notes."""
        return {
            "format": "bsc-simulation-truth/1",
            "scorecard": self.scorecard,
            "data": {
                "is_panel": self.history.is_panel,
                "n_units": self.history.n_units,
                "n_periods": self.history.n_periods,
                "frequency": self.history.frequency,
                "first_period": self.history.first_period,
                "last_period": self.history.last_period,
            },
            "settings": _jsonable(self.settings),
            "units_note": "effect: KPI units of to_kpi per KPI unit of from_kpi at the given lag; "
            "effect_std: standardised (innovation-SD units)",
            "scales": self.scales,
            "links": self.truth,
            "notes": list(self.notes),
        }

    @property
    def summary(self) -> str:
        h = self.history
        kind = f"{h.n_units} units" if h.is_panel else "a single series"
        lines = [
            f"Simulated history for '{self.scorecard}': {kind} x {h.n_periods} {h.frequency} periods "
            f"({h.first_period} to {h.last_period}), {len(h.columns)} KPIs, seed {self.settings.get('seed')}",
            f"persistence {self.settings.get('persistence')}, noise {self.settings.get('noise')}, "
            f"trend {self.settings.get('trend')}, seasonality {self.settings.get('seasonality')}",
            "planted links (effect in KPI units; standardised in brackets):",
        ]
        for t in self.truth:
            head = f"  {t['from']} -> {t['to']} (lag {t['lag']}): "
            if t["planted"] == "reverse":
                lines.append(head + f"REVERSED: {t['to_kpi']} -> {t['from_kpi']} "
                             f"{t['reverse_effect']:+.4g} [{t['reverse_effect_std']:+.2f}]")
            elif t["planted"] == "null":
                lines.append(head + "no effect (null)")
            else:
                lines.append(head + f"{t['effect']:+.4g} [{t['effect_std']:+.2f}]")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary

    def _repr_html_(self) -> str:
        import html

        first = html.escape(self.summary.splitlines()[0])
        cols = ["from", "to", "from_kpi", "to_kpi", "lag", "planted", "effect", "effect_std"]
        table = self.truth_frame()[cols].to_html(index=False, float_format=lambda x: f"{x:.4g}")
        return f"<div><p>{first}</p>{table}</div>"


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write CSV with shortest round-trip floats; pyarrow is ~5x faster than pandas here."""
    try:
        import pyarrow as pa
        import pyarrow.csv as pcsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        frame.to_csv(path, index=False)
        return
    names = [str(c) for c in frame.columns]
    if any(ch in n for n in names for ch in ',"\n\r'):
        frame.to_csv(path, index=False)
        return
    table = pa.Table.from_pandas(frame, preserve_index=False)
    try:  # no quotes: unit ids, period labels and KPI ids never hold separators
        with open(path, "wb") as fh:
            fh.write((",".join(names) + "\n").encode("utf-8"))
            pcsv.write_csv(table, fh, write_options=pcsv.WriteOptions(include_header=False, quoting_style="none"))
    except (pa.ArrowInvalid, TypeError, ValueError):
        frame.to_csv(path, index=False)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.generic,)):
        return obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    return str(obj)


# ------------------------------------------------------------------ helpers
@dataclass
class _Link:
    index: int
    source: str
    target: str
    from_kpi: str
    to_kpi: str
    sign: int
    lag: int
    planted: str = "effect"
    size: float = DEFAULT_EFFECT  # before the expected sign


def _link_name(lk: _Link) -> str:
    return f"{lk.index}: {lk.source} -> {lk.target}"


def _match(key: Any, links: list[_Link], what: str) -> _Link:
    """Find the link a user key names: an index, (from, to) or 'FROM:TO'/'FROM->TO'."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        if 0 <= int(key) < len(links):
            return links[int(key)]
        raise DataError(f"`{what}`: link index {key} out of range (the scorecard has {len(links)} links, 0-{len(links) - 1})")
    pair: tuple[str, str] | None = None
    if isinstance(key, str):
        for sep in ("->", ":", ","):
            if sep in key:
                a, b = key.split(sep, 1)
                pair = (a.strip(), b.strip())
                break
    elif isinstance(key, Sequence) and len(key) == 2:
        pair = (str(key[0]), str(key[1]))
    if pair is None:
        raise DataError(f"`{what}`: expected a link as (from, to), 'FROM:TO' or a link index, got {key!r}")
    for lk in links:
        if pair == (lk.source, lk.target):
            return lk
    for lk in links:
        if pair == (lk.from_kpi, lk.to_kpi):
            return lk
    known = "; ".join(f"{lk.source}:{lk.target}" for lk in links)
    raise DataError(f"`{what}`: {pair[0]} -> {pair[1]} is not a link of the scorecard (links: {known})")


def _keys(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, int)) or (isinstance(value, tuple) and len(value) == 2
                                          and all(isinstance(v, str) for v in value)):
        return [value]
    return list(value)


def _kpi_sd(kpi: Any) -> tuple[float, float, int]:
    """(mean level, standard deviation, direction toward target) of a KPI in its own units."""
    base, target = kpi.baseline, kpi.target
    mean = base if base is not None else (target if target is not None else 0.0)
    if base is not None and target is not None and target != base:
        sd = abs(target - base) / 2
        toward = 1 if target > base else -1
    else:
        sd = abs(mean) * 0.1 if mean else 1.0
        toward = -1 if kpi.direction == "down" else 1
    if kpi.unit.strip() == "%" and 0 < mean < 100:
        sd = min(sd, min(mean, 100 - mean) / 3)
    elif mean > 0:
        sd = min(sd, mean / 3)
    return float(mean), float(sd if sd > 0 else 1.0), toward


def _order(kpis: list[str], levels: dict[str, int], edges0: list[tuple[int, int]]) -> list[int]:
    """Topological order of KPIs under the lag-0 edges, ties broken by perspective, then position."""
    import heapq

    k = len(kpis)
    indeg = [0] * k
    out: dict[int, list[int]] = {i: [] for i in range(k)}
    for a, b in edges0:
        out[a].append(b)
        indeg[b] += 1
    heap = [(levels[kpis[i]], i) for i in range(k) if indeg[i] == 0]
    heapq.heapify(heap)
    order: list[int] = []
    while heap:
        _, i = heapq.heappop(heap)
        order.append(i)
        for j in out[i]:
            indeg[j] -= 1
            if indeg[j] == 0:
                heapq.heappush(heap, (levels[kpis[j]], j))
    if len(order) < k:
        stuck = [kpis[i] for i in range(k) if indeg[i] > 0]
        raise DataError(
            "links with lag 0 form a loop among " + ", ".join(stuck) + "; a simultaneous loop cannot be "
            "simulated: give one of these links a lag of 1 or more (or reverse/null one of them)"
        )
    return order


def _spectral_radius(k: int, rho: float, edges: list[tuple[int, int, int, float]]) -> float:
    """Largest modulus of the companion matrix of the planted VAR (stability check)."""
    max_lag = max([1, *(lag for *_, lag, _ in edges)])
    a = [np.zeros((k, k)) for _ in range(max_lag + 1)]
    a[1] += rho * np.eye(k)
    for j, i, lag, b in edges:  # driver j -> outcome i
        a[lag][i, j] += b
    inv = np.linalg.inv(np.eye(k) - a[0])
    comp = np.zeros((k * max_lag, k * max_lag))
    for lag in range(1, max_lag + 1):
        comp[:k, (lag - 1) * k: lag * k] = inv @ a[lag]
    if max_lag > 1:
        comp[k:, :-k] = np.eye(k * (max_lag - 1))
    return float(np.max(np.abs(np.linalg.eigvals(comp))))


def _season_position(periods: pd.PeriodIndex, frequency: str) -> np.ndarray:
    if frequency == "quarterly":
        return np.asarray(periods.quarter) - 1
    if frequency == "monthly":
        return np.asarray(periods.month) - 1
    if frequency == "weekly":
        return np.asarray([min(ts.isocalendar()[1], 52) - 1 for ts in periods.start_time])
    return np.asarray(periods.start_time.dayofweek)


def _default_start(frequency: str, n_periods: int) -> int:
    """Ordinal of the first period so that the series ends in late 2025 (deterministic)."""
    if frequency == "integer":
        return 1
    end = pd.Period(pd.Timestamp("2025-12-28" if frequency == "weekly" else "2025-12-31"), PANDAS_FREQ[frequency])
    return int(end.ordinal) - (n_periods - 1)


def _check_number(name: str, value: Any, lo: float | None = None, hi: float | None = None,
                  lo_open: bool = False, hi_open: bool = False) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise DataError(f"`{name}` must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise DataError(f"`{name}` must be finite, got {value!r}")
    if lo is not None and (x < lo or (lo_open and x == lo)):
        raise DataError(f"`{name}` must be {'>' if lo_open else '>='} {lo:g}, got {value!r}")
    if hi is not None and (x > hi or (hi_open and x == hi)):
        raise DataError(f"`{name}` must be {'<' if hi_open else '<='} {hi:g}, got {value!r}")
    return x


def _check_int(name: str, value: Any, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise DataError(f"`{name}` must be a whole number >= {lo}, got {value!r}")
    if value < lo:
        raise DataError(f"`{name}` must be >= {lo}, got {value}")
    if hi is not None and value > hi:
        raise DataError(f"`{name}` must be <= {hi:,}, got {value:,}")
    return int(value)


# --------------------------------------------------------------------- main
def simulate_history(
    scorecard: ScorecardSource,
    *,
    n_units: int = 30,
    n_periods: int = 24,
    frequency: str = "quarterly",
    start: str | int | None = None,
    effects: Mapping[Any, float] | None = None,
    trend: float = 0.0,
    seasonality: float = 0.0,
    noise: float = 1.0,
    persistence: float = 0.5,
    seed: int = 0,
    reverse: Iterable[Any] = (),
    null: Iterable[Any] = (),
    unit_sd: float = 1.0,
    time_sd: float = 0.0,
    burn_in: int = 50,
) -> Simulation:
    """Simulate a KPI history from a scorecard, with planted cause-and-effect links.

    Parameters
    ----------
    scorecard : Scorecard, path or example name
        Every KPI of the scorecard is generated; every link is planted.
    n_units : int
        Number of units (stores, regions); 1 gives a single series (``is_panel`` False).
    n_periods : int
        Periods per unit (after a burn-in that is discarded).
    frequency : {"quarterly", "annual", "monthly", "weekly", "daily", "integer"}
        Period frequency of the labels.
    start : str or int, optional
        First period (``"2020Q1"``, ``2015``, ``"2023-01"``...). Default: the
        series ends in late 2025 (integer index: starts at 1).
    effects : mapping, optional
        Effect sizes by link, keyed by ``(from, to)`` (ids as in the scorecard or
        the KPI ids), ``"FROM:TO"`` or the link's index. Sizes are standardised
        (innovation-SD units) and multiplied by the link's expected sign, so 0.3
        on a negative link plants -0.3, and a negative size plants an effect
        against the hypothesis. Default 0.5 for every link.
    trend : float
        Linear trend per period, in standardised units, shared by all KPIs (each
        moving toward its target). Two trending series always correlate: the
        spurious-correlation trap.
    seasonality : float
        Amplitude of a seasonal wave (standardised units) for sub-annual data;
        each KPI has its own phase. Ignored (with a note) for annual/integer data.
    noise : float
        Standard deviation of the innovations (> 0). Unit effects have standard
        deviation ``unit_sd``, so larger noise makes units less distinct.
    persistence : float
        AR(1) coefficient of every KPI on its own past, 0 <= persistence < 1.
    seed : int
        Random seed; the same arguments and seed give the same data. Trend and
        seasonality do not change the random part.
    reverse : list of links
        Links planted in the opposite direction (``to`` drives ``from``) at the
        same lag and size: the reverse-causality trap.
    null : list of links
        Links planted with no effect at all.
    unit_sd : float
        Standard deviation of the unit fixed effects.
    time_sd : float
        Standard deviation of a common shock that hits every unit and KPI in the
        same period (removed by time fixed effects).
    burn_in : int
        Periods simulated and discarded before the first period.

    Returns
    -------
    Simulation
        ``.history`` (KPIHistory), ``.truth`` (one dict per link), ``.settings``,
        ``.to_frame()``, ``.save(out_dir)``.

    Raises
    ------
    DataError
        For bad arguments (naming the argument), unknown links in ``effects``,
        ``null`` or ``reverse``, a loop of lag-0 links, or effects so large the
        system is explosive.

    Examples
    --------
    >>> from bsc_toolkit.history import simulate_history
    >>> sim = simulate_history("retail", n_units=5, n_periods=12, null=[("C3", "F1")], seed=1)
    >>> sim.history.n_units, sim.history.n_periods, sim.history.period_labels[0]
    (5, 12, '2023Q1')
    >>> [t["planted"] for t in sim.truth if t["from"] == "C3"]
    ['null']
    """
    from ..scorecard import Scorecard, load_scorecard

    sc = scorecard if isinstance(scorecard, Scorecard) else load_scorecard(scorecard)
    n_units = _check_int("n_units", n_units, 1, _limits.MAX_SIM_UNITS)
    n_periods = _check_int("n_periods", n_periods, 1, _limits.MAX_SIM_PERIODS)
    burn_in = _check_int("burn_in", burn_in, 0, _limits.MAX_SIM_PERIODS)
    seed = _check_int("seed", seed, 0)
    if frequency not in FREQUENCIES:
        raise DataError(f"`frequency` must be one of {', '.join(FREQUENCIES)}, got {frequency!r}")
    rho = _check_number("persistence", persistence, 0.0, 1.0, hi_open=True)
    noise = _check_number("noise", noise, 0.0, lo_open=True)
    trend = _check_number("trend", trend)
    seasonality = _check_number("seasonality", seasonality, 0.0)
    unit_sd = _check_number("unit_sd", unit_sd, 0.0)
    time_sd = _check_number("time_sd", time_sd, 0.0)
    notes: list[str] = []

    kpi_objs = list(sc.kpis)
    if not kpi_objs:
        raise DataError(f"scorecard '{sc.name}' has no KPIs to simulate")
    if n_units * (n_periods + burn_in) * len(kpi_objs) > _limits.MAX_SIMULATED_VALUES:
        raise DataError(f"{n_units:,} units x {n_periods:,} periods (+ {burn_in} burn-in) x {len(kpi_objs)} KPIs is more "
                        f"than the {_limits.MAX_SIMULATED_VALUES:,} values a simulation makes; use fewer units or periods")
    names = [k.id for k in kpi_objs]
    pos = {n: i for i, n in enumerate(names)}
    levels = {k.id: sc.perspective_of(k.id).level for k in kpi_objs}

    links: list[_Link] = []
    for i, link in enumerate(sc.links):
        try:
            fk, tk = sc.kpi_for(link.source).id, sc.kpi_for(link.target).id
        except KeyError as exc:
            raise DataError(f"link {i} ({link.source} -> {link.target}): {exc.args[0]}") from None
        lag = link.lags[0] if link.lags else 1
        links.append(_Link(i, link.source, link.target, fk, tk, 1 if link.sign == "positive" else -1, lag))

    for key, size in (effects or {}).items():
        _match(key, links, "effects").size = _check_number(f"effects[{key!r}]", size)
    null_set = {_match(k, links, "null").index for k in _keys(null)}
    rev_set = {_match(k, links, "reverse").index for k in _keys(reverse)}
    both = null_set & rev_set
    if both:
        raise DataError(f"link {_link_name(links[min(both)])} is in both `null` and `reverse`; choose one")
    for lk in links:
        if lk.index in null_set:
            lk.planted = "null"
        elif lk.index in rev_set:
            lk.planted = "reverse"
        if lk.from_kpi == lk.to_kpi and lk.planted != "null":
            lk.planted = "null"
            notes.append(f"link {_link_name(lk)}: both ends stand for KPI '{lk.from_kpi}'; no effect planted")

    # planted edges: (driver index, outcome index, lag, standardised effect)
    edges: list[tuple[int, int, int, float]] = []
    for lk in links:
        b = lk.size * lk.sign
        if lk.planted == "effect":
            edges.append((pos[lk.from_kpi], pos[lk.to_kpi], lk.lag, b))
        elif lk.planted == "reverse":
            edges.append((pos[lk.to_kpi], pos[lk.from_kpi], lk.lag, b))
    k_n = len(names)
    order = _order(names, levels, [(j, i) for j, i, lag, b in edges if lag == 0 and b != 0])
    radius = _spectral_radius(k_n, rho, edges)
    if radius >= 1:
        raise DataError(
            f"the planted effects with persistence {rho:g} make the system explosive (largest root "
            f"{radius:.3f} >= 1): values would grow without bound; lower the effect sizes or the persistence"
        )

    # ------------------------------------------------------------ generate
    rng = np.random.default_rng(seed)
    max_lag = max([1, *(lag for *_, lag, _ in edges)])
    burn = max(burn_in, 2 * max_lag + 10) if rho > 0 or edges else burn_in
    total = burn + n_periods
    parents: dict[int, list[tuple[int, int, float]]] = {i: [] for i in range(k_n)}
    for j, i, lag, b in edges:
        if b != 0:
            parents[i].append((j, lag, b))
    a = rng.standard_normal((k_n, n_units)) * unit_sd
    g = rng.standard_normal(total) * time_sd
    z = np.empty((total, k_n, n_units))
    base = (1 - rho) * a
    for t in range(total):
        e = rng.standard_normal((k_n, n_units)) * noise
        prev = z[t - 1] if t > 0 else a
        for i in order:
            v = base[i] + rho * prev[i] + e[i] + g[t]
            for j, lag, b in parents[i]:
                if t - lag >= 0:
                    v += b * z[t - lag, j]
            z[t, i] = v
    z = z[burn:]  # (T, K, N)

    # ------------------------------------------------------ levels, scales
    z_mean = z.mean(axis=(0, 2))
    z_sd = z.std(axis=(0, 2))
    z_sd = np.where(z_sd > 0, z_sd, 1.0)
    means, scale, toward = np.empty(k_n), np.empty(k_n), np.empty(k_n)
    scales: dict[str, dict[str, float]] = {}
    for i, kpi in enumerate(kpi_objs):
        m, sd, d = _kpi_sd(kpi)
        means[i], scale[i], toward[i] = m, sd / z_sd[i], d
        scales[kpi.id] = {"mean": m, "scale": float(scale[i]), "sd": sd}

    start_ord = _default_start(frequency, n_periods) if start is None else parse_start(start, frequency)
    periods = period_index(np.arange(start_ord, start_ord + n_periods), frequency)
    det = np.zeros((n_periods, k_n))
    if trend:
        det += trend * np.arange(n_periods)[:, None] * toward[None, :]
    if seasonality:
        if frequency in _SEASON_LENGTH and isinstance(periods, pd.PeriodIndex):  # calendar periods
            length = _SEASON_LENGTH[frequency]
            phase = np.random.default_rng([seed, 1]).uniform(0, 2 * np.pi, k_n)
            season_pos = _season_position(periods, frequency)
            det += seasonality * np.cos(2 * np.pi * season_pos[:, None] / length + phase[None, :])
        else:
            notes.append(f"seasonality ignored: {frequency} data have no seasons")
    y = means[None, :, None] + scale[None, :, None] * (z - z_mean[None, :, None] + det[:, :, None])

    # ---------------------------------------------------------------- truth
    truth: list[dict[str, Any]] = []
    for lk in links:
        b = lk.size * lk.sign
        fi, ti = pos[lk.from_kpi], pos[lk.to_kpi]
        entry: dict[str, Any] = {
            "index": lk.index,
            "from": lk.source,
            "to": lk.target,
            "from_kpi": lk.from_kpi,
            "to_kpi": lk.to_kpi,
            "expected_sign": "positive" if lk.sign > 0 else "negative",
            "lag": lk.lag,
            "planted": lk.planted,
            "planted_sign": "none",
            "effect": 0.0,
            "effect_std": 0.0,
            "long_run_effect": 0.0,
        }
        if lk.planted == "effect" and b != 0:
            eff = b * scale[ti] / scale[fi]
            entry.update(planted_sign="positive" if b > 0 else "negative", effect=float(eff),
                         effect_std=float(b), long_run_effect=float(eff / (1 - rho)))
        elif lk.planted == "reverse":
            entry.update(planted_sign="positive" if b > 0 else "negative",
                         reverse_effect=float(b * scale[fi] / scale[ti]), reverse_effect_std=float(b))
        truth.append(entry)

    # -------------------------------------------------------------- history
    data = y.transpose(2, 0, 1).reshape(n_units * n_periods, k_n)
    panel = n_units > 1
    if panel:
        width = max(3, len(str(n_units)))
        units = [f"U{i + 1:0{width}d}" for i in range(n_units)]
    else:
        units = [SINGLE_UNIT]
    index = pd.MultiIndex.from_arrays(
        [np.repeat(np.asarray(units, dtype=object), n_periods), np.tile(np.arange(n_periods), n_units)],
        names=["unit", "t"],
    )
    history = KPIHistory(
        data=pd.DataFrame(data, index=index, columns=pd.Index(names, dtype=object)),
        periods=periods,
        frequency=frequency,
        is_panel=panel,
        source=f"simulation of '{sc.name}' (seed {seed})",
        unit_column="unit" if panel else None,
        period_column="period",
        notes=tuple(notes),
    )
    settings = {
        "n_units": n_units, "n_periods": n_periods, "frequency": frequency,
        "start": format_periods(periods[:1], frequency)[0], "effects": {
            f"{lk.source}:{lk.target}": lk.size for lk in links
        }, "trend": trend, "seasonality": seasonality, "noise": noise, "persistence": rho,
        "seed": seed, "reverse": [f"{links[i].source}:{links[i].target}" for i in sorted(rev_set)],
        "null": [f"{links[i].source}:{links[i].target}" for i in sorted(null_set)],
        "unit_sd": unit_sd, "time_sd": time_sd, "burn_in": burn,
    }
    return Simulation(history=history, truth=truth, settings=settings, scorecard=sc.name,
                      scales=scales, notes=tuple(notes))
