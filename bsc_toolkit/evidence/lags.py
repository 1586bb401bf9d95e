"""Lag selection: one BIC selector for link tests, driver models and iv-fd.

Drivers without explicit lags get lags 1..p, with one p <= ``p_max`` chosen by BIC on
a common sample (the sample of the largest model, so that the criteria compare like
with like); drivers with explicit lags keep them in every candidate model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .data import PanelArrays
from .design import Spec, absorbed, build_sample
from .inference import bic_choose

__all__ = ["LagChoice", "bic_lag_order"]


@dataclass(frozen=True)
class LagChoice:
    """The chosen order ``p``, the common sample size and the criterion per order (text)."""

    p: int
    n_obs: int
    criteria: str

    def detail(self, what: str = "lags 1..p with p chosen by BIC") -> str:
        if not self.criteria:
            return ("no common sample for BIC; 1 lag used" if self.n_obs == 0
                    else "BIC not computable; 1 lag used")
        return f"{what} on a common sample of {self.n_obs} obs ({self.criteria})"


def bic_lag_order(
    pa: PanelArrays, y_col: str, drivers: Sequence[tuple[str, Sequence[int] | None]], p_max: int,
    own_lags: int, controls: Sequence[str], spec: Spec, start: int,
    lagged_controls: Sequence[tuple[str, int]] = (),
) -> LagChoice:
    """BIC choice of p for the drivers whose lags are None (the others keep their lags).

    The sample starts at period ``start`` for every candidate model.
    """
    full = [(c, list(lags) if lags is not None else list(range(1, p_max + 1))) for c, lags in drivers]
    d = build_sample(pa, y_col, full, own_lags, controls, spec, start=start, lagged_controls=lagged_controls)
    if d.n == 0:
        return LagChoice(1, 0, "")
    yy, XX = absorbed(d, spec)
    rest = list(range(d.n_driver_terms, XX.shape[1]))
    candidates = {}
    for p in range(1, p_max + 1):
        cols, pos = [], 0
        for (_, lags), (_, given) in zip(full, drivers, strict=True):
            for lag in lags:
                if given is not None or lag <= p:
                    cols.append(pos)
                pos += 1
        candidates[p] = cols + rest
    best, txt = bic_choose(yy, XX, candidates)
    return LagChoice(best if best is not None else 1, d.n, txt)
