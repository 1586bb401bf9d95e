"""``generate_scorecard``: a scorecard from a brief, with an LLM or offline.

With an LLM the model is asked for structured output with the scorecard's own JSON
Schema (``response_format`` ``json_schema``). Servers that refuse that (older Ollama,
LM Studio, some vLLM builds answer HTTP 400/422 naming the response format) are asked
again in JSON mode (``json_object``) with the schema in the prompt, then with no
``response_format`` at all; the mode that works is kept for the rest of the generation
and recorded in ``generator.note``. The answer is validated (schema, cross-references, lint, cascade) and, when
it is invalid, the problems are sent back for a corrected answer, at most
``max_repairs`` times. The prompt lists the brief's themes
(:func:`~bsc_toolkit.generate.themes.extract_themes`); a valid answer that leaves a
theme uncovered (:func:`~bsc_toolkit.generate.coverage.theme_coverage`) is sent back
too, naming the theme, within the same budget of repairs; if the last answer still
misses a theme, it is kept and the generator note names the themes it misses.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import re
from typing import Any

from ..errors import GenerationError, ScorecardError
from ..scorecard import Scorecard, check_cascade, lint, scorecard_json_schema
from ..scorecard._yaml import DocumentError, load_json
from ..scorecard.io import load_scorecard, scorecard_from_data
from .brief import Brief, as_brief
from .coverage import theme_coverage
from .llm import (
    RESPONSE_MODE_ENV,
    LLMConfig,
    ResponseFormatRejected,
    chat,
    resolve_config,
    resolve_response_mode,
)
from .offline import DEFAULT_N_KPIS, generate_offline, match_sector
from .prompts import render
from .themes import extract_themes

__all__ = ["generate_scorecard", "check_answer", "generation_summary", "response_format", "schema_prompt",
           "REPAIR_LINT_CODES"]

log = logging.getLogger("bsc_toolkit.generate")

#: lint findings that make an LLM answer "invalid" and trigger a repair (besides every error)
REPAIR_LINT_CODES = frozenset({
    "kpi-count", "perspective-empty", "objectives-per-perspective", "kpis-per-objective",
    "downward-link", "cycle", "missing-direction",
})


def _resolve_parent(parent: Scorecard | str | os.PathLike[str] | None) -> tuple[Scorecard | None, str | None]:
    if parent is None:
        return None, None
    if isinstance(parent, Scorecard):
        return parent, parent.name
    return load_scorecard(parent), str(parent)


def generate_scorecard(
    brief: Brief | str | os.PathLike[str] | dict[str, Any],
    *,
    provider: str = "auto",
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    parent: Scorecard | str | os.PathLike[str] | None = None,
    max_repairs: int = 3,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 1.0,
    response_mode: str | None = None,
) -> Scorecard:
    """Generate a Balanced Scorecard from a strategy brief.

    Parameters
    ----------
    brief : Brief, path, bundled brief name, mapping or text
        See :func:`load_brief`; free text is accepted as is.
    provider : {"auto", "offline", "openai"}
        ``"auto"`` (default) uses an LLM when an API key or base URL is configured
        (arguments or ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL``) and the offline
        KPI-library generator otherwise. ``"openai"`` means any OpenAI-compatible
        server: OpenAI, Azure OpenAI, Ollama, vLLM, LM Studio.
    model, base_url, api_key : str, optional
        Override ``BSC_LLM_MODEL`` (default ``gpt-4o-mini``), ``OPENAI_BASE_URL``,
        ``OPENAI_API_KEY``.
    parent : Scorecard or path, optional
        Generate a department scorecard that cascades from this one: every objective
        lists the parent objectives it ``supports``, and ``parent`` is recorded.
    max_repairs : int
        How often an invalid LLM answer is sent back with its problems.
    timeout, retries, backoff : float, int, float
        Per-request timeout (s), retries of transient failures, first backoff delay (s).
    response_mode : {"auto", "json_schema", "json_object", "none"}, optional
        How the JSON answer is requested (default: ``BSC_LLM_RESPONSE_MODE`` or
        ``"auto"``). ``"auto"`` asks for structured output (``json_schema``) and, when
        the server refuses it with HTTP 400/422 naming the response format, falls
        back to JSON mode (``json_object``, schema in the prompt) and then to no
        ``response_format`` (schema in the prompt); the working mode is kept for the
        repairs. The other values force one mode without fallback.

    Returns
    -------
    Scorecard
        With ``generator`` recording what produced it.

    Raises
    ------
    GenerationError
        Naming the provider, the model, the attempts and the last problems.

    Examples
    --------
    >>> from bsc_toolkit.generate import generate_scorecard
    >>> sc = generate_scorecard("demo", provider="offline")
    >>> sc.generator.name, 15 <= len(sc.kpis) <= 25
    ('offline', True)
    """
    b = as_brief(brief)
    if max_repairs < 0:
        raise GenerationError(f"`max_repairs` must be >= 0, got {max_repairs}")
    mode = resolve_response_mode(response_mode)
    par, parent_ref = _resolve_parent(parent)
    cfg = resolve_config(provider, model=model, base_url=base_url, api_key=api_key,
                         timeout=timeout, retries=retries, backoff=backoff)
    if cfg is None:
        return generate_offline(b, parent=par, parent_ref=parent_ref)
    return _generate_llm(b, cfg, parent=par, parent_ref=parent_ref, max_repairs=max_repairs, mode=mode)


def generation_summary(scorecard: Scorecard, brief: Brief | str | os.PathLike[str] | dict[str, Any]) -> list[str]:
    """What a user should know about a generated scorecard, one line each.

    The sector the offline generator used and how sure the match is, how many of
    the brief's themes the scorecard covers (naming the ones it misses), and how
    many KPIs were drafted from the brief's words and still need a baseline and a
    target.

    Examples
    --------
    >>> sc = generate_scorecard("demo", provider="offline")
    >>> generation_summary(sc, "demo")[0]
    "Sector: Retail (high confidence: the brief's sector 'retail' is the library sector 'Retail')"
    """
    b = as_brief(brief)
    lines = []
    if scorecard.generator is not None and scorecard.generator.name == "offline":
        lines.append(f"Sector: {match_sector(b)}")
    cov = theme_coverage(scorecard, b)
    if cov.n_themes:
        line = f"Themes: {cov.n_covered} of {cov.n_themes} covered"
        if cov.missing:
            line += "; not covered: " + "; ".join(json.dumps(t.text, ensure_ascii=False) for t in cov.missing)
        lines.append(line)
    else:
        lines.append("Themes: the brief lists none (no bullet list of priorities or `themes:` found)")
    drafted = [k for k in scorecard.kpis if k.drafted]
    if drafted:
        lines.append(f"Drafted from the brief's words (drafted: true): {len(drafted)} KPI(s) - define each and "
                     "set its baseline and target: " + ", ".join(k.id for k in drafted))
    return lines


def _parent_lines(parent: Scorecard) -> str:
    return "\n".join(
        f"- {o.id} ({o.perspective.value}): {json.dumps(o.name, ensure_ascii=False)}" for o in parent.objectives
    )


def _messages(brief: Brief, parent: Scorecard | None) -> list[dict[str, str]]:
    cascade = ""
    if parent is not None:
        cascade = render("cascade", parent_name=parent.name, parent_objectives=_parent_lines(parent))
    themes = extract_themes(brief)
    listed = "\n".join(f"- {json.dumps(t.text, ensure_ascii=False)}" for t in themes) or "- (the brief lists none)"
    per_p = ""
    if brief.kpis_per_perspective:
        per_p = " (per perspective: " + ", ".join(f"{k} {v}" for k, v in brief.kpis_per_perspective.items()) + ")"
    n_kpis = sum(brief.kpis_per_perspective.values()) if brief.kpis_per_perspective else brief.n_kpis
    user = render("generate", brief=brief.as_text(), n_kpis=f"{n_kpis or DEFAULT_N_KPIS}{per_p}",
                  themes=listed, cascade=cascade)
    return [{"role": "system", "content": render("system")}, {"role": "user", "content": user}]


def response_format(mode: str = "json_schema") -> dict[str, Any] | None:
    """The ``response_format`` of a request in ``mode`` (``None`` for mode ``"none"``).

    ``"json_schema"`` asks for the scorecard's JSON Schema (structured output),
    ``"json_object"`` for any JSON object (JSON mode).

    Examples
    --------
    >>> response_format()["json_schema"]["name"]
    'scorecard'
    >>> response_format("json_object"), response_format("none")
    ({'type': 'json_object'}, None)
    """
    if mode == "json_schema":
        return {"type": "json_schema",
                "json_schema": {"name": "scorecard", "schema": scorecard_json_schema(), "strict": False}}
    if mode == "json_object":
        return {"type": "json_object"}
    if mode == "none":
        return None
    raise GenerationError(f"no response_format for mode {mode!r} (expected 'json_schema', 'json_object' or 'none')")


def schema_prompt() -> str:
    """The scorecard JSON Schema as prompt text, for modes without structured output.

    Examples
    --------
    >>> "<schema>" in schema_prompt()
    True
    """
    return render("schema", schema=json.dumps(scorecard_json_schema(), ensure_ascii=False, separators=(",", ":")))


_FALLBACK = {"json_schema": "json_object", "json_object": "none"}


class _Mode:
    """The response mode of one generation: where it started, where it is now."""

    def __init__(self, requested: str) -> None:
        self.requested = requested
        self.current = "json_schema" if requested == "auto" else requested
        self.refusals: list[str] = []

    @property
    def note(self) -> str:
        label = "none (no response_format)" if self.current == "none" else self.current
        if self.requested != "auto":
            return f"structured output: {label} (forced)"
        return f"structured output: {label}" + (" fallback" if self.refusals else "")


def _with_schema(messages: list[dict[str, str]]) -> None:
    """Append the schema to the first user message (once)."""
    first = next(m for m in messages if m["role"] == "user")
    text = schema_prompt()
    if text not in first["content"]:
        first["content"] = first["content"].rstrip("\n") + "\n" + text


def _ask(cfg: LLMConfig, messages: list[dict[str, str]], mode: _Mode) -> str:
    """One answer, falling back to simpler response modes when the server refuses one."""
    while True:
        if mode.current != "json_schema":
            _with_schema(messages)
        try:
            return chat(cfg, messages, response_format=response_format(mode.current))
        except ResponseFormatRejected as exc:
            nxt = _FALLBACK.get(mode.current) if mode.requested == "auto" else None
            if nxt is None:  # a forced mode (in auto, the last mode sends no response_format)
                others = " or ".join(repr(m) for m in ("json_schema", "json_object", "none") if m != mode.current)
                raise GenerationError(
                    cfg.redact(
                        f"the server refused response_format {mode.current} (forced by response_mode) "
                        f"with HTTP {exc.status}: {exc.detail}; use response_mode 'auto' "
                        f"(--response-mode auto, {RESPONSE_MODE_ENV}=auto) to fall back automatically, "
                        f"or force {others}"
                    ),
                    provider=cfg.provider, model=cfg.model,
                ) from None
            log.warning(cfg.redact(
                f"{cfg.provider} ({cfg.model}): the server refused response_format {mode.current} "
                f"(HTTP {exc.status}: {exc.detail}); retrying with "
                + ("JSON mode (json_object)" if nxt == "json_object" else "no response_format")
                + " and the schema in the prompt"
            ))
            mode.refusals.append(mode.current)
            mode.current = nxt


def _strip_fences(text: str) -> str:
    m = re.search(r"```(?:json)?\s*\n(.*?)```", text, flags=re.S)
    if m:
        return m.group(1)
    start, end = text.find("{"), text.rfind("}")
    if text.lstrip().startswith("{") or start < 0:
        return text
    return text[start: end + 1]


def check_answer(
    text: str, *, parent: Scorecard | None = None, parent_ref: str | None = None
) -> tuple[Scorecard | None, list[str]]:
    """Validate an LLM answer: (scorecard, []) when good, (None, problems) otherwise.

    Checks JSON syntax, the schema and cross-references, lint errors and the lint
    findings in :data:`REPAIR_LINT_CODES`, and (when cascading) the cascade.

    Examples
    --------
    >>> check_answer("not json")[1][0].startswith("the answer is not valid JSON")
    True
    """
    if not text.strip():
        return None, ["the answer is empty; send the scorecard as one JSON object"]
    try:
        data = load_json(_strip_fences(text), what="answer")  # bounded: size, nesting, duplicate keys
    except json.JSONDecodeError as exc:
        return None, [f"the answer is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"]
    except DocumentError as exc:
        return None, [f"the answer is not a usable JSON object: {exc.problem}"
                      + (f" at line {exc.line}" if exc.line else "")]
    if not isinstance(data, dict):
        return None, [f"the answer must be a JSON object (a scorecard), got a JSON {type(data).__name__}"]
    data.pop("generator", None)
    data.pop("parent", None)  # a model-chosen path is never kept (it could name any file); the user's is
    if parent is not None:
        data["parent"] = parent_ref or parent.name
    try:
        sc = scorecard_from_data(data, file="answer")
    except ScorecardError as exc:
        return None, [p.format("answer") for p in exc.problems][:20]
    problems = [f"lint {f.code} [{f.where}]: {f.message} -> {f.advice}" for f in lint(sc)
                if f.severity == "error" or f.code in REPAIR_LINT_CODES]
    if parent is not None:
        cf = check_cascade(parent, sc)
        problems += [f"cascade: {f.message} -> {f.advice}" for f in cf.errors]
        problems += [f"cascade: objective {o.id} lists no parent objective in `supports`"
                     for o in sc.objectives if not o.supports]
    return (None, problems) if problems else (sc, [])


def _stamp(sc: Scorecard, cfg: LLMConfig, attempt: int, state: _Mode, missing: list[str]) -> Scorecard:
    """Record the generator, its attempts and any theme the answer still misses."""
    created = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
    note = f"generated in {attempt} attempt(s); {state.note}; review before use"
    if missing:
        note += "; themes of the brief not covered: " + "; ".join(json.dumps(t, ensure_ascii=False) for t in missing)
    gen = {"name": "openai", "model": cfg.model, "provider_url": cfg.url, "created": created, "note": note}
    return sc.replace(generator=gen)


def _generate_llm(
    brief: Brief, cfg: LLMConfig, *, parent: Scorecard | None, parent_ref: str | None, max_repairs: int,
    mode: str = "auto",
) -> Scorecard:
    messages = _messages(brief, parent)
    state = _Mode(mode)
    attempts = max_repairs + 1
    problems: list[str] = []
    themes = extract_themes(brief)
    best: tuple[Scorecard, int, list[str]] | None = None  # the last valid answer, its attempt, missing themes
    for attempt in range(1, attempts + 1):
        answer = _ask(cfg, messages, state)
        sc, problems = check_answer(answer, parent=parent, parent_ref=parent_ref)
        missing: list[str] = []
        if sc is not None:
            missing = [t.text for t in theme_coverage(sc, brief, themes=themes).missing]
            best = (sc, attempt, missing)
            if not missing or attempt == attempts:
                return _stamp(sc, cfg, attempt, state, missing)
        what = (f"misses {len(missing)} theme(s) of the brief" if sc is not None
                else f"is invalid ({len(problems)} problem(s))")
        log.warning(cfg.redact(
            f"{cfg.provider} ({cfg.model}): answer {attempt} of at most {attempts} {what}; "
            + ("asking for a correction" if attempt < attempts else "giving up")
        ))
        if attempt < attempts:
            if sc is not None:
                follow = render("themes", attempt=attempt,
                                missing="\n".join(f"- {json.dumps(t, ensure_ascii=False)}" for t in missing))
            else:
                follow = render("repair", attempt=attempt, problems="\n".join(f"- {p}" for p in problems))
            messages += [{"role": "assistant", "content": answer}, {"role": "user", "content": follow}]
    if best is not None:  # an earlier answer was valid; the repairs broke it: keep the valid one
        return _stamp(best[0], cfg, best[1], state, best[2])
    shown = "; ".join(problems[:8]) + (f"; and {len(problems) - 8} more" if len(problems) > 8 else "")
    raise GenerationError(
        cfg.redact(f"the model's answers were still invalid after {attempts} attempt(s) "
                   f"(1 + {max_repairs} repair(s)); last problems: {shown}"),
        provider=cfg.provider, model=cfg.model,
    )


