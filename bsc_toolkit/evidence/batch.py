"""Many link tests at once: absorb each column once, solve every regression from cross-products.

The straightforward way re-absorbs the fixed effects of every column for every regression.
Here, per specification (transform, effects) and first period, each KPI column and lag is
within-transformed once (a :class:`Block`); every regression of the run that uses that block
is then a handful of entries of its cross-product matrix ``Z'Z`` and, for unit-clustered
errors, of the per-unit cross-products ``Z_g'Z_g`` -- all pairs solved together with batched
``numpy.linalg`` calls. The numbers equal the one-by-one link test
(:func:`~.linktest.estimate_link`) to rounding (a test checks 1e-10 on random panels): the
same rows, the same absorbed columns, the same covariance conventions and the same record
(:func:`~.linktest.assemble_link`).

What it covers: panels with unit and/or time effects, a complete rectangle of data for the
columns involved (otherwise each sample would differ), unadjusted or clustered errors, the
OLS estimator. Everything else -- and any link whose guard rails are close to firing (a
near-constant series, a near-collinear design, an almost exact fit) -- goes through the
one-by-one test, so edge cases are decided by exactly the same code.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .covariance import inference_df
from .data import PanelArrays
from .design import Spec
from .estimators import FAST, Fit
from .guards import MIN_CLUSTERS, MIN_DF_RESID
from .inference import link_estimates_many
from .lags import LagChoice
from .linktest import (
    LinkPlan,
    assemble_link,
    bic_too_short,
    choose_lags,
    enough_periods,
    finish_link,
    set_bic_lags,
    start_link,
)
from .options import Options
from .results import LinkResult, insufficient_link
from .within import absorb_rows, count_effects, n_effects, n_trends

__all__ = ["Block", "LinkRequest", "block_for", "test_links"]

#: blocks kept per PanelArrays (least recently used dropped first; ``pa.blocks["max_blocks"]`` overrides:
#: a run that uses its blocks one after the other keeps one, so that new blocks reuse the memory
#: of old ones instead of touching fresh pages) ...
MAX_BLOCKS = 12
#: ... and the bytes they may hold together (absorbed columns and cross-products)
BLOCK_BYTES = 1_000_000_000
#: per-unit cross-products are kept only up to this size; larger panels compute cluster scores from
#: residuals, a few links at a time
CLUSTER_GRAM_BYTES = 400_000_000
#: a batched link falls back to the one-by-one test when its guard quantities come this close
#: to the thresholds of the one-by-one guards (they then decide, exactly as always)
SAFETY = 1e4


@dataclass
class Block:
    """Within-transformed columns on a complete rectangle: every unit, periods ``start``..T-1."""

    spec: Spec
    start: int
    columns: list[tuple[str, int]]
    index: dict[tuple[str, int], int]
    Z: np.ndarray  # n x m, absorbed
    u: np.ndarray
    n_units: int
    n_periods: int
    sums: np.ndarray  # column sums of Z
    raw_max: np.ndarray  # max |raw value| per column (before absorbing)
    _gram: np.ndarray | None = field(default=None, repr=False)
    _cluster: np.ndarray | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return self.Z.shape[0]

    @property
    def gram(self) -> np.ndarray:
        if self._gram is None:  # from the per-unit cross-products when they are there (cheaper)
            self._gram = self._cluster.sum(axis=0) if self._cluster is not None else self.Z.T @ self.Z
        return self._gram

    @property
    def cluster_gram(self) -> np.ndarray:
        """Per-unit cross-products ``Z_g'Z_g`` (units x m x m): rows are unit-major, equal length."""
        if self._cluster is None:
            ZT = self.Z.T.reshape(-1, self.n_units, self.n_periods)  # columns x units x periods
            self._cluster = np.matmul(ZT.transpose(1, 0, 2), ZT.transpose(1, 2, 0))
        return self._cluster

    @property
    def small_cluster_gram(self) -> bool:
        m = self.Z.shape[1]
        return self.n_units * m * m * 8 <= CLUSTER_GRAM_BYTES

    @property
    def nbytes(self) -> int:
        return int(self.Z.nbytes + sum(a.nbytes for a in (self._gram, self._cluster) if a is not None))


def block_for(pa: PanelArrays, spec: Spec, start: int, columns: Sequence[tuple[str, int]]) -> Block:
    """The block of these (column, lag) pairs -- only those complete on the rectangle -- cached."""
    cache: OrderedDict[Any, Block] = pa.blocks.setdefault("within", OrderedDict())
    key = _block_key(spec, start)
    blk = cache.get(key)
    later = pa.blocks.get("wanted", {}).pop(key, [])  # columns later groups will ask for: build them now
    want = [c for c in dict.fromkeys([*columns, *later]) if blk is None or c not in blk.index]
    if blk is not None and not want:
        cache.move_to_end(key)
        return blk
    N, T = pa.n_units, pa.n_periods
    Tp = max(T - start, 0)
    old_m = len(blk.columns) if blk is not None else 0
    budget, count = int(pa.blocks.get("block_bytes", BLOCK_BYTES)), int(pa.blocks.get("max_blocks", MAX_BLOCKS))
    if blk is None:  # room first, so that the new block can reuse the memory of the ones it replaces
        _make_room(cache, N * Tp * len(want) * 8, budget, count)
    # the columns are stored as rows (each one contiguous: copied, checked and absorbed along its
    # own memory, several times faster than strided columns); the block's Z is the transposed view
    ZT = np.empty((old_m + len(want), N * Tp))  # one allocation; absorbed in place
    if blk is not None:
        ZT[:old_m] = blk.Z.T
    for j, (c, lag) in enumerate(want):
        ZT[old_m + j].reshape(N, Tp)[:] = pa.lagged(c, lag, spec.diff)[:, start:]
    fin = np.asarray(np.isfinite(ZT[old_m:]).all(axis=1) if Tp else np.zeros(len(want), bool))
    ok = [c for c, f in zip(want, list(fin), strict=True) if f]  # only columns complete on the rectangle
    if not fin.all():
        ZT = np.concatenate([ZT[:old_m], ZT[old_m:][fin]])
    new_part = ZT[old_m:]
    raw_max = (np.maximum(new_part.max(axis=1), -new_part.min(axis=1)) if new_part.size
               else np.zeros(len(ok)))  # no |Z| temporary: blocks are large
    u = np.repeat(np.arange(N, dtype=np.int64), Tp)
    if ok:
        absorb_rows(new_part.reshape(len(ok), N, Tp), spec.absorb_effects, spec.unit_trends)
    cols = (blk.columns if blk is not None else []) + ok
    new = Block(spec, start, cols, {c: i for i, c in enumerate(cols)}, ZT.T, u, N, Tp, ZT.sum(axis=1),
                np.r_[blk.raw_max, raw_max] if blk is not None else raw_max)
    cache.pop(key, None)
    _make_room(cache, new.Z.nbytes, budget, count)
    cache[key] = new
    return new


def _make_room(cache: OrderedDict[Any, Block], need: int, budget: int, count: int = MAX_BLOCKS) -> None:
    """Drop least recently used blocks until ``need`` more bytes fit the budget (and the count)."""
    while cache and (len(cache) >= count or sum(b.nbytes for b in cache.values()) + need > budget):
        cache.popitem(last=False)


@dataclass(frozen=True)
class LinkRequest:
    """One link to test: outcome, driver, its lags (None: BIC) and how it is named."""

    y_col: str
    x_col: str
    lags: Sequence[int] | None = None
    max_lag: int | None = None
    from_: str | None = None
    to: str | None = None
    expected_sign: str = "positive"
    #: options of this request (resolved); None: those of the call
    options: Options | None = None


def _eligible(pa: PanelArrays, plan: LinkPlan) -> bool:
    o, spec = plan.opts, plan.spec
    return (pa.is_panel and spec.has_effects and o.engine in ("auto", "fast")
            and spec.cov in ("clustered", "unadjusted"))


def _model_columns(plan: LinkPlan, lags: Sequence[int]) -> tuple[tuple[str, int], list[tuple[str, int]]]:
    """The outcome and the regressors as (column, lag): driver lags, own lags, controls."""
    y = (plan.y_col, 0)
    X = [(plan.x_col, lag) for lag in lags] + [(plan.y_col, j) for j in range(1, plan.opts.own_lags + 1)]
    X += [(c, 0) for c in plan.opts.controls] + list(plan.opts.lagged_controls)
    return y, X


def _names(plan: LinkPlan) -> list[str]:
    """Regressor names as the one-by-one design writes them (``x.L1``, ``y.L1``, ``control``)."""
    return ([f"{plan.x_col}.L{lag}" for lag in plan.lags]
            + [f"{plan.y_col}.L{j}" for j in range(1, plan.opts.own_lags + 1)] + list(plan.opts.controls)
            + [f"{c}.L{g}" for c, g in plan.opts.lagged_controls])


def _ratio(G: np.ndarray) -> np.ndarray:
    """Smallest / largest singular value of the column-normalised design, from its Gram (stack)."""
    d = np.sqrt(np.maximum(np.einsum("pii->pi", G), 1e-300))
    Gn = G / d[:, :, None] / d[:, None, :]
    ev = np.linalg.eigvalsh(Gn)
    return np.sqrt(np.maximum(ev[:, 0], 0.0) / np.maximum(ev[:, -1], 1e-300))


def _bic_batch(pa: PanelArrays, plans: list[LinkPlan]) -> list[LinkPlan]:
    """Choose p by BIC for plans sharing spec, max_lag and own lags; returns the plans it could not."""
    o = plans[0].opts
    start, L = plans[0].bic_start, o.max_lag
    cols = [c for p in plans for c in (_model_columns(p, range(1, L + 1))[1] + [(p.y_col, 0)])]
    blk = block_for(pa, plans[0].spec, start, cols)
    fallback, ready = [], []
    for p in plans:
        y, X = _model_columns(p, range(1, L + 1))
        if y in blk.index and all(c in blk.index for c in X):
            ready.append((p, blk.index[y], [blk.index[c] for c in X]))
        else:
            fallback.append(p)
    if not ready:
        return fallback
    G, n = blk.gram, blk.n
    yi = np.array([r[1] for r in ready])
    Xi = np.array([r[2] for r in ready])
    crit = np.full((len(ready), L), np.nan)
    for q in range(1, L + 1):
        sel = np.r_[np.arange(q), np.arange(L, Xi.shape[1])]
        Xq = Xi[:, sel]
        XtX = G[Xq[:, :, None], Xq[:, None, :]]
        Xty = G[Xq, yi[:, None]]
        k = Xq.shape[1]
        good = _ratio(XtX) > 1e-6  # rank-deficient designs: the one-by-one selector (lstsq) decides
        b = np.linalg.solve(np.where(good[:, None, None], XtX, np.eye(k)), Xty[..., None])[..., 0]
        ssr = G[yi, yi] - np.einsum("pk,pk->p", b, Xty)
        with np.errstate(divide="ignore", invalid="ignore"):
            crit[:, q - 1] = np.where(good & (ssr > SAFETY * 1e-16 * G[yi, yi]) & (n > k),
                                      n * np.log(ssr / n) + k * np.log(n), np.nan)
    for (p, _, _), c in zip(ready, crit, strict=True):
        if not np.isfinite(c).all():
            fallback.append(p)  # the one-by-one selector decides what to do without a BIC
            continue
        best = int(np.argmin(c)) + 1
        set_bic_lags(p, LagChoice(best, n, ", ".join(f"p={q + 1}: {v:.1f}" for q, v in enumerate(c))))
    return fallback


def _cluster_meat(blk: Block, yi: np.ndarray, Xi: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sum over units of the outer products of each unit's scores X_g'e_g, for every pair.

    From the per-unit cross-products when they are small enough to keep, else from the
    residuals, a few pairs at a time (memory stays bounded on large panels).
    """
    P, k = Xi.shape
    N = blk.n_units
    meat = np.empty((P, k, k))
    if blk.small_cluster_gram:
        C = blk.cluster_gram
        step = max(1, int(2e7 // max(N * k * k, 1)))  # bound the gathered per-unit blocks in memory
        for a in range(0, P, step):
            sl = slice(a, a + step)
            Xs = Xi[sl]
            S = C[:, Xs, yi[sl, None]] - np.einsum("gpij,pj->gpi", C[:, Xs[:, :, None], Xs[:, None, :]], b[sl])
            meat[sl] = np.einsum("gpi,gpj->pij", S, S)
        return meat
    ZT = blk.Z.T  # columns x rows
    step = max(1, int(5e7 // max(blk.n * (k + 1), 1)))
    for a in range(0, P, step):
        sl = slice(a, a + step)
        X = ZT[Xi[sl]]  # p x k x n
        e = ZT[yi[sl]] - np.einsum("pkn,pk->pn", X, b[sl])
        S = (X * e[:, None, :]).reshape(X.shape[0], k, N, blk.n_periods).sum(axis=3)  # p x k x units
        meat[sl] = np.einsum("pig,pjg->pij", S, S)
    return meat


def _fit_batch(pa: PanelArrays, plans: list[LinkPlan]) -> tuple[list[tuple[LinkPlan, LinkResult]], list[LinkPlan]]:
    """Fit plans sharing spec, lags, own lags and controls; (results, plans for the one-by-one path)."""
    p0 = plans[0]
    spec, start = p0.spec, p0.start
    cols = [c for p in plans for c in ([_model_columns(p, p.lags)[0]] + _model_columns(p, p.lags)[1])]
    blk = block_for(pa, spec, start, cols)
    ready, fallback = [], []
    for p in plans:
        y, X = _model_columns(p, p.lags)
        if y in blk.index and all(c in blk.index for c in X) and blk.n_units >= 1:
            ready.append((p, blk.index[y], [blk.index[c] for c in X]))
        else:
            fallback.append(p)
    if not ready:
        return [], fallback
    if spec.cov == "clustered" and blk.small_cluster_gram:
        blk.cluster_gram  # noqa: B018 -- computed first, the Gram follows from it
    G, n, N = blk.gram, blk.n, blk.n_units
    yi = np.array([r[1] for r in ready])
    Xi = np.array([r[2] for r in ready])
    P, k = Xi.shape
    XtX = G[Xi[:, :, None], Xi[:, None, :]]
    Xty = G[Xi, yi[:, None]]
    yy = G[yi, yi]
    neff = n_effects(spec.absorb_effects, N, blk.n_periods)
    ntr = n_trends(spec.absorb_effects, N) if spec.unit_trends else 0
    df_resid = n - k - neff - ntr
    # guard quantities, checked with a safety margin (the one-by-one guards decide near the edge)
    sd_y = np.sqrt(np.maximum(yy / n - (blk.sums[yi] / n) ** 2, 0.0))
    sd_x = np.sqrt(np.maximum(G[Xi[:, 0], Xi[:, 0]] / n - (blk.sums[Xi[:, 0]] / n) ** 2, 0.0))
    sd_drv = np.sqrt(np.maximum(np.einsum("pii->pi", XtX)[:, :len(p0.lags)] / n
                                - (blk.sums[Xi[:, :len(p0.lags)]] / n) ** 2, 0.0))
    ok = sd_y > SAFETY * 1e-10 * np.maximum(blk.raw_max[yi], 1e-300)
    ok &= (sd_drv > SAFETY * 1e-10 * np.maximum(blk.raw_max[Xi[:, :len(p0.lags)]], 1e-300)).all(axis=1)
    diag = np.einsum("pii->pi", XtX)
    ok &= diag.min(axis=1) > (SAFETY * 1e-12) ** 2 * diag.max(axis=1)  # no column absorbed away
    ok &= _ratio(XtX) > 1e-5  # near-collinear caveat at condition 1e6; collinear far beyond
    ok &= df_resid >= MIN_DF_RESID and not (spec.cov == "clustered" and N < MIN_CLUSTERS)
    xtxi = np.linalg.inv(np.where(ok[:, None, None], XtX, np.eye(k)))
    b = np.einsum("pij,pj->pi", xtxi, Xty)
    ssr = yy - np.einsum("pk,pk->p", b, Xty)
    ok &= ssr > SAFETY * 1e-20 * yy
    extra = (neff + ntr) if count_effects(spec.absorb_effects, spec.cov) else 0
    dof = n - extra - k
    if spec.cov == "clustered":
        meat = _cluster_meat(blk, yi, Xi, b)
        V = xtxi @ meat @ xtxi * (n / dof) * (N / (N - 1)) * ((n - 1) / n)
    else:
        V = xtxi * (ssr / dof)[:, None, None]
    V = (V + V.transpose(0, 2, 1)) / 2
    df_inf, note = inference_df(df_resid, spec.cov, N)
    trends = f"{ntr} unit trend slopes counted in the degrees of freedom" if spec.unit_trends else ""
    note = "; ".join(x for x in (trends, note) if x)
    out = []
    sel = [j for j in range(len(ready)) if ok[j] and ready[j][0].opts.alpha == p0.opts.alpha]
    many = iter(link_estimates_many([_names(ready[j][0]) for j in sel], p0.lags, p0.opts.own_lags,
                                    b[sel], V[sel], df_inf, p0.opts.alpha)) if sel else iter(())
    for j, (p, _, _) in enumerate(ready):
        if not ok[j]:
            fallback.append(p)
            continue
        p.base.update(n_obs=n, n_dropped=0, n_units=N, n_periods=blk.n_periods)
        pa.blocks["n_batched"] = pa.blocks.get("n_batched", 0) + 1
        f = Fit(b[j], V[j], df_resid, df_inf, n, "PanelOLS", note)
        ratio = float(sd_x[j] / sd_y[j]) if sd_y[j] > 0 else None
        est = next(many) if p.opts.alpha == p0.opts.alpha else None
        out.append((p, assemble_link(p, _names(p), f, FAST, ratio, pa.n_periods - start, est)))
    return out, fallback


def test_links(pa: PanelArrays, requests: Sequence[LinkRequest], opts: Options) -> list[LinkResult]:
    """Test many links with the batched engine where it applies, one by one elsewhere.

    ``opts`` must be resolved (:meth:`Options.resolve`); a request's ``max_lag`` overrides the
    option. Results come back in the order of ``requests`` and equal
    :func:`~.linktest.estimate_link` on each request.
    """
    # the same request twice (a grid's "headline" and "lag 1" when a link's lags are [1]) is
    # computed once: the same inputs give the same (read-only) result
    first: dict[Any, int] = {}
    twin_of: dict[int, int] = {}
    for i, r in enumerate(requests):
        key = _request_key(r, opts)
        if key is not None and key in first:
            twin_of[i] = first[key]
        elif key is not None:
            first[key] = i
    if twin_of:
        unique = [i for i in range(len(requests)) if i not in twin_of]
        computed = test_links(pa, [requests[i] for i in unique], opts)
        by_index = dict(zip(unique, computed, strict=True))
        return [by_index[twin_of.get(i, i)] for i in range(len(requests))]
    results: list[LinkResult | None] = [None] * len(requests)
    plans: dict[int, LinkPlan] = {}
    for i, r in enumerate(requests):
        o = r.options or opts
        o = o if r.max_lag is None else o.replace(max_lag=r.max_lag)
        pl = start_link(pa, r.y_col, r.x_col, from_=r.from_, to=r.to, expected_sign=r.expected_sign,
                        lags=r.lags, opts=o)
        if isinstance(pl, LinkResult):
            results[i] = pl
        else:
            plans[i] = pl
    # lags: BIC in batches where possible
    one_by_one: set[int] = {i for i, p in plans.items() if not _eligible(pa, p)}
    groups: dict[Any, list[int]] = {}
    for i, p in plans.items():
        if i in one_by_one or not p.needs_bic or bic_too_short(pa, p):
            continue
        groups.setdefault((_shape(p.spec), p.opts.max_lag, p.opts.own_lags, p.opts.controls, p.opts.lagged_controls), []).append(i)
    _prefetch(pa, [plans[i] for idx in groups.values() for i in idx], fit=False)
    for _, idx in sorted(groups.items(), key=lambda kv: _block_order(kv[0], plans[kv[1][0]])):
        left = {id(p) for p in _bic_batch(pa, [plans[i] for i in idx])}
        one_by_one |= {i for i in idx if id(plans[i]) in left}
    for i, p in plans.items():
        if i in one_by_one:
            results[i] = _one(pa, p)
            continue
        if not p.lags:
            why = choose_lags(pa, p)
            if why:
                results[i] = _done(p, why)
                continue
        p.method["lags"] = p.lags
        why = enough_periods(pa, p)
        if why:
            results[i] = _done(p, why)
    # fits in batches
    fit_groups: dict[Any, list[int]] = {}
    for i, p in plans.items():
        if results[i] is None:
            fit_groups.setdefault((_shape(p.spec), tuple(p.lags), p.opts.own_lags, p.opts.controls, p.opts.lagged_controls), []).append(i)
    _prefetch(pa, [plans[i] for idx in fit_groups.values() for i in idx], fit=True)
    for _, idx in sorted(fit_groups.items(), key=lambda kv: _block_order(kv[0], plans[kv[1][0]], fit=True)):
        done, _ = _fit_batch(pa, [plans[i] for i in idx])
        by_plan = {id(p): r for p, r in done}
        for i in idx:
            results[i] = by_plan.get(id(plans[i])) or finish_link(pa, plans[i])
    return [r for r in results if r is not None]


def _request_key(r: LinkRequest, opts: Options) -> tuple[Any, ...] | None:
    """What identifies a request's result (None: not hashable, never merged)."""
    key = (r.y_col, r.x_col, None if r.lags is None else tuple(r.lags), r.max_lag, r.from_, r.to,
           r.expected_sign, r.options or opts)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _prefetch(pa: PanelArrays, plans: list[LinkPlan], *, fit: bool) -> None:
    """Remember every column each block will need, so a block is built once with all of them
    (extending a large block copies it) -- built lazily, in the order the groups use them."""
    wanted: dict[Any, list[tuple[str, int]]] = pa.blocks.setdefault("wanted", {})
    for p in plans:
        start = p.start if fit else p.bic_start
        lags = p.lags if fit else range(1, p.opts.max_lag + 1)
        y, X = _model_columns(p, lags)
        wanted.setdefault(_block_key(p.spec, start), []).extend([y, *X])


def _block_key(spec: Spec, start: int) -> tuple[Any, ...]:
    return (spec.transform, spec.effects, spec.is_panel, start)


def _block_order(key: Any, p: LinkPlan, fit: bool = False) -> tuple[Any, ...]:
    """Groups sorted by the block they use, so each block is built once (the cache is small)."""
    return (*_shape(p.spec), p.start if fit else p.bic_start, repr(key))


def _shape(spec: Spec) -> tuple[str, str, str, bool]:
    """What makes two specs estimate alike (their ``transform_reason`` texts may differ)."""
    return spec.transform, spec.effects, spec.cov, spec.is_panel


def _done(p: LinkPlan, why: str) -> LinkResult:
    p.method["lags"] = p.lags
    return insufficient_link(p.base, why)


def _one(pa: PanelArrays, p: LinkPlan) -> LinkResult:
    """The one-by-one path for a started plan (exactly :func:`~.linktest.estimate_link`)."""
    why = choose_lags(pa, p) or enough_periods(pa, p)
    p.method["lags"] = p.lags
    if why:
        return insufficient_link(p.base, why)
    return finish_link(pa, p)
