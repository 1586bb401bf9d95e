"""The options of a validation run: one frozen, self-checking object.

Every allowed value lives here once (the command line takes its ``choices`` from
these tuples), every check is written once (:func:`choice`, :func:`whole`), and a
bad value raises :class:`~bsc_toolkit.errors.OptionError` naming the option, what
is allowed and what was given -- in the spirit of statsmodels' ``string_like``.
This module imports nothing heavy: the CLI reads it for ``--help``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .. import _limits
from ..errors import OptionError

__all__ = [
    "BIAS_CORRECTIONS", "COVS", "EFFECTS", "ENGINES", "ESTIMATORS", "TRANSFORMS", "Options", "choice",
    "whole", "check_fit",
]

Effects = Literal["none", "unit", "time", "both"]
Cov = Literal["unadjusted", "robust", "clustered", "hac"]
Transform = Literal["none", "detrend", "diff"]
Engine = Literal["auto", "fast", "linearmodels"]
Estimator = Literal["ols", "iv-fd"]

#: fixed effects (``auto``: both for panels, none for a single series)
EFFECTS: tuple[str, ...] = ("none", "unit", "time", "both")
#: standard errors (``auto``: clustered by unit for panels, hac for a single series)
COVS: tuple[str, ...] = ("unadjusted", "robust", "clustered", "hac")
#: trend / unit-root handling (``auto`` decides per link from ADF/KPSS)
TRANSFORMS: tuple[str, ...] = ("none", "detrend", "diff")
#: how a panel regression is computed (same numbers; ``auto`` picks the fast path when it applies)
ENGINES: tuple[str, ...] = ("auto", "fast", "linearmodels")
#: the link tests' estimator
ESTIMATORS: tuple[str, ...] = ("ols", "iv-fd")
#: short-panel bias correction of the link tests (long-run multipliers, chains and levers are always
#: corrected where it applies; see evidence/dynamics.py)
BIAS_CORRECTIONS: tuple[str, ...] = ("none", "hpj")


def choice(value: Any, name: str, options: Sequence[str], *, auto: bool = False) -> str:
    """``value`` if it is one of ``options`` (or ``"auto"`` when allowed), else an OptionError.

    Examples
    --------
    >>> choice("both", "effects", EFFECTS)
    'both'
    >>> choice("fsat", "engine", ENGINES)
    Traceback (most recent call last):
    ...
    bsc_toolkit.errors.OptionError: `engine` must be one of auto, fast, linearmodels; got 'fsat'
    """
    allowed = (("auto",) if auto and "auto" not in options else ()) + tuple(options)
    if not isinstance(value, str) or value not in allowed:
        raise OptionError(f"`{name}` must be one of {', '.join(allowed)}; got {value!r}")
    return value


def whole(value: Any, name: str, lo: int = 0, hi: int | None = None) -> int:
    """``value`` as a whole number in ``[lo, hi]`` (booleans and floats refused).

    Examples
    --------
    >>> whole(2, "own_lags")
    2
    >>> whole(-1, "own_lags")
    Traceback (most recent call last):
    ...
    bsc_toolkit.errors.OptionError: `own_lags` must be a whole number >= 0, got -1
    """
    ok = isinstance(value, int) and not isinstance(value, bool)
    if not ok:
        try:
            import numpy as np

            ok = isinstance(value, np.integer)
        except ImportError:  # pragma: no cover
            ok = False
    rng = f">= {lo}" if hi is None else f"from {lo:,} to {hi:,}"
    if not ok or value < lo or (hi is not None and value > hi):
        raise OptionError(f"`{name}` must be a whole number {rng}, got {value!r}")
    return int(value)


def _alpha(value: Any) -> float:
    try:
        a = float(value)
    except (TypeError, ValueError):
        a = math.nan
    if isinstance(value, bool) or not (0 < a < 1):
        raise OptionError(f"`alpha` must be a number between 0 and 1 (e.g. 0.05), got {value!r}")
    return a


@dataclass(frozen=True)
class Options:
    """How the links are tested (see :func:`bsc_toolkit.evidence.validate` for each option).

    Checked when built; ``replace`` returns a checked copy and refuses unknown names.
    ``resolve`` fills in ``auto`` effects and covariance for the data at hand and checks
    that the combination fits it.

    Examples
    --------
    >>> o = Options(own_lags=2)
    >>> o.resolve(is_panel=True).effects, o.resolve(is_panel=False).cov
    ('both', 'hac')
    >>> o.replace(ownlags=1)
    Traceback (most recent call last):
    ...
    bsc_toolkit.errors.OptionError: unknown option(s): ownlags (known: alpha, bias_correction, ...)
    """

    effects: str = "auto"
    cov: str = "auto"
    own_lags: int = 1
    controls: tuple[str, ...] = field(default_factory=tuple)
    max_lag: int = 2
    transform: str = "auto"
    alpha: float = 0.05
    engine: str = "auto"
    estimator: str = "ols"
    drivers: bool = True
    chains: bool = True
    discovery: bool = True
    bootstrap: int = 499
    seed: int = 0
    robustness: bool = True
    seasonal: bool = False
    #: threads for independent parts of a run (0: one per core, at most 2); results do not depend on it
    jobs: int = 0
    bias_correction: str = "none"
    #: (column, lag) regressors after the controls: the outcome's other hypothesised drivers in the
    #: robustness grid's "other drivers included" specification (not a user setting)
    lagged_controls: tuple[tuple[str, int], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        choice(self.effects, "effects", EFFECTS, auto=True)
        choice(self.cov, "cov", COVS, auto=True)
        choice(self.transform, "transform", TRANSFORMS, auto=True)
        choice(self.engine, "engine", ENGINES)
        choice(self.estimator, "estimator", ESTIMATORS)
        choice(self.bias_correction, "bias_correction", BIAS_CORRECTIONS)
        whole(self.own_lags, "own_lags", 0, _limits.MAX_LAGS)
        whole(self.max_lag, "max_lag", 0, _limits.MAX_LAGS)
        whole(self.bootstrap, "bootstrap", 0, _limits.MAX_BOOTSTRAP)
        whole(self.jobs, "jobs", 0, 8)
        whole(self.seed, "seed")
        object.__setattr__(self, "alpha", _alpha(self.alpha))
        ctrl = self.controls
        if isinstance(ctrl, str) or not all(isinstance(c, str) for c in ctrl):
            raise OptionError(f"`controls` must be a list of column names, got {ctrl!r}")
        object.__setattr__(self, "controls", tuple(ctrl))
        lc = self.lagged_controls
        if isinstance(lc, str) or not all(isinstance(c, (tuple, list)) and len(c) == 2 and isinstance(c[0], str)
                                          and isinstance(c[1], int) and 0 <= c[1] <= _limits.MAX_LAGS for c in lc):
            raise OptionError(f"`lagged_controls` must be (column, lag) pairs, got {lc!r}")
        object.__setattr__(self, "lagged_controls", tuple((str(c), int(g)) for c, g in lc))
        for name in ("drivers", "chains", "discovery", "robustness", "seasonal"):
            if not isinstance(getattr(self, name), bool):
                raise OptionError(f"`{name}` must be True or False, got {getattr(self, name)!r}")

    def replace(self, **changes: Any) -> Options:
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            known = ", ".join(sorted(names)[:2])
            raise OptionError(f"unknown option(s): {', '.join(unknown)} (known: {known}, ...)")
        return dataclasses.replace(self, **changes)

    def resolve(self, *, is_panel: bool, source: str = "the data") -> Options:
        """A copy with ``auto`` effects/covariance decided for a panel or a single series."""
        eff = ("both" if is_panel else "none") if self.effects == "auto" else self.effects
        cov = ("clustered" if is_panel else "hac") if self.cov == "auto" else self.cov
        check_fit(is_panel=is_panel, effects=eff, cov=cov, estimator=self.estimator, source=source)
        return dataclasses.replace(self, effects=eff, cov=cov)

    def to_dict(self) -> dict[str, Any]:
        """The settings that shape the results (``jobs`` only changes how fast they come)."""
        d = dataclasses.asdict(self)
        d["controls"] = list(self.controls)
        d.pop("jobs")
        d.pop("lagged_controls")
        return d


def check_fit(*, is_panel: bool, effects: str, cov: str, estimator: str, source: str = "the data") -> None:
    """Refuse option combinations the data cannot carry (OptionError naming both)."""
    if not is_panel and effects in ("time", "both"):
        raise OptionError(f"effects '{effects}' need a panel (a unit column), but {source} is a "
                          f"single series", file=None)
    if not is_panel and cov == "clustered":
        raise OptionError(f"cov 'clustered' needs a panel (a unit column), but {source} is a single "
                          f"series; use 'hac'")
    if estimator != "iv-fd":
        return
    if not is_panel:
        raise OptionError(f"estimator 'iv-fd' needs a panel (a unit column), but {source} is a single "
                          f"series; use estimator='ols'")
    if effects not in ("unit", "both"):
        raise OptionError(f"estimator 'iv-fd' removes unit effects by differencing: effects must be "
                          f"'unit' or 'both' (or auto), got {effects!r}")
    if cov not in ("unadjusted", "robust", "clustered"):
        raise OptionError(f"estimator 'iv-fd' supports cov unadjusted, robust or clustered (auto: "
                          f"clustered), got {cov!r}")
