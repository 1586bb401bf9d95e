"""Verdicts: Benjamini-Hochberg q-values across the links of a family, and what each verdict says.

``supported`` (q <= alpha, expected sign), ``contradicted`` (q <= alpha, opposite sign),
``not_supported`` (estimable, q > alpha); links without a p-value stay ``insufficient_data``
and are not counted in the family. The reason names the **cumulative effect over the lag
window** (the sum of the driver's lag coefficients) with its interval and the q-value.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._format import fmt_lags, fmt_num, p_phrase
from .inference import NO_ESTIMATE, bh_qvalues
from .results import LinkResult

__all__ = ["FDR_NOTE", "apply_fdr", "effect_phrase"]

FDR_NOTE = (
    "q-values control the false discovery rate across all links tested in this run "
    "(Benjamini-Hochberg step-up; equal to statsmodels' multipletests method 'fdr_bh'); "
    "links without a p-value (insufficient data) are not counted"
)


def _sign_word(x: float) -> str:
    return "positive" if x > 0 else "negative"


def effect_phrase(lk: LinkResult, alpha: float) -> str:
    """``cumulative effect +0.42 over lag 1 (95% CI 0.21 to 0.63)``."""
    lr = lk.long_run
    lags = list(lk.lags)
    window = f" over {fmt_lags(lags)}" if lags else ""
    out = f"cumulative effect {fmt_num(lr.estimate, sign=True)}{window}"
    if lr.ci_low is not None and lr.ci_high is not None:
        out += f" ({100 * (1 - alpha):g}% CI {fmt_num(lr.ci_low)} to {fmt_num(lr.ci_high)})"
    return out


def apply_fdr(links: Sequence[LinkResult], alpha: float) -> tuple[list[LinkResult], int]:
    """Benjamini-Hochberg q-values and final verdicts for links that have a p-value.

    Returns the updated links and the number of tests.

    Examples
    --------
    >>> links, n = apply_fdr([], 0.05)
    >>> n
    0
    """
    out = list(links)
    for i, lk in enumerate(links):  # estimable but without a p-value (zero or undefined SE)
        if lk.verdict != "insufficient_data" and lk.p_value is None:
            out[i] = lk._replace(
                verdict="insufficient_data", q_value=None, p_value=None, joint_p_value=None,
                terms=[], own_terms=[], long_run=dict(NO_ESTIMATE), standardized_effect=None,
                reason="no p-value: the standard error of the cumulative effect is zero or undefined")
    idx = [i for i, lk in enumerate(out) if lk.verdict != "insufficient_data" and lk.p_value is not None]
    if not idx:
        return out, 0
    q = bh_qvalues([float(out[i].p_value or 0.0) for i in idx])
    for i, qv in zip(idx, q, strict=True):
        lk = out[i]
        est = lk.long_run.estimate
        eff = effect_phrase(lk, alpha)
        qv = float(qv)
        qtxt = f"{p_phrase(qv, 'q')} (FDR level {alpha:g})"
        if qv <= alpha and est is not None and est != 0:
            if _sign_word(est) == lk.expected_sign:
                verdict, why = "supported", f"{eff}, {qtxt}, expected sign"
            else:
                verdict = "contradicted"
                why = f"{eff}, {qtxt}, but the sign is {_sign_word(est)}, {lk.expected_sign} was expected"
        else:
            verdict, why = "not_supported", f"{eff}, not significant after FDR ({qtxt})"
        if verdict != "not_supported" and "unit_root" in lk.flags:
            why += "; CAUTION: a unit root is not ruled out in the levels this model keeps (see caveats)"
        out[i] = lk._replace(q_value=qv, verdict=verdict, reason=why)
    return out, len(idx)

