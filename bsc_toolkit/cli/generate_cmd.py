"""bsc generate: draft a scorecard from a strategy brief, with an LLM or offline."""

from __future__ import annotations

import argparse

NAME = "generate"
HELP = "draft a scorecard from a strategy brief (offline KPI library or any OpenAI-compatible LLM)"
DESCRIPTION = """\
Draft a Balanced Scorecard from a strategy brief and write it as YAML (or JSON for
a .json output). The brief is a YAML file (organisation, sector, mission, vision,
themes, constraints, n_kpis), a Markdown/text file, or the name of a bundled brief
(--list-briefs).

Which generator runs:
  --provider auto     (default) an LLM when OPENAI_API_KEY or OPENAI_BASE_URL (or
                      --base-url) is set, otherwise the offline generator
  --provider offline  the curated KPI library (26 sectors and cross-sector
                      objectives), theme by theme: each theme the brief names is
                      matched to a library objective of its sector, or drafted
                      from the theme's own words (drafted: true, no baseline or
                      target yet); deterministic, no network, lint-clean
  --provider openai   any OpenAI-compatible server: OpenAI, Azure OpenAI, Ollama,
                      vLLM, LM Studio (model from --model or BSC_LLM_MODEL)
The API key is read from OPENAI_API_KEY only (never a command-line argument, so it
does not end up in shell history). The scorecard records which generator made it.

How the JSON answer is requested (--response-mode, or BSC_LLM_RESPONSE_MODE):
  auto         (default) structured output (response_format json_schema); when the
               server refuses it with HTTP 400/422 naming the response format (older
               Ollama, LM Studio, some vLLM builds), JSON mode (json_object) with the
               schema in the prompt, then no response_format; the mode that worked is
               kept for the repairs and recorded in the scorecard's generator note
  json_schema  structured output only, no fallback
  json_object  JSON mode with the schema in the prompt
  none         no response_format, the schema in the prompt (any server)
Every answer is validated and repaired the same way in every mode.

The brief's themes are read from its `themes:` list, bullet lists under a
"Themes"/"Priorities"/"Strategy" heading or sentence, or inline lists ("we will
focus on: a; b; c"). The sector comes from `sector:` (synonyms like utilities,
law firm, K-12 are understood) or from the text; the command says which sector
was used and how sure the match is, and which themes the scorecard covers. In a
brief, n_kpis: 15-25 sets the KPI count and kpis_per_perspective: {financial: 4,
customer: 5, internal_process: 6, learning_growth: 4} the count per perspective.
A brief with no theme and no known sector, or text that is not a strategy brief,
is refused (exit 1) with the reason.

With --parent the scorecard is a department scorecard cascading from the parent:
every objective names the parent objectives it supports.

Examples:
  bsc generate --brief demo -o scorecard.yaml                 # bundled brief, offline
  bsc generate --brief brief.md --critique review.md --okrs okrs.yaml -o sc.yaml
  bsc generate --brief retail_it --parent retail -o it.yaml   # cascade from an example
  OPENAI_API_KEY=... bsc generate --brief brief.yaml --model gpt-4o-mini -o sc.yaml
  bsc generate --brief brief.yaml --base-url http://localhost:11434/v1 --model llama3.1 -o sc.yaml
  bsc generate --brief brief.yaml --base-url http://localhost:1234/v1 --response-mode json_object -o sc.yaml
  bsc generate --list-briefs
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    from .. import _limits
    from ._common import float_between, int_between

    p.add_argument("--brief", metavar="FILE", help="brief file (.yaml/.md/.txt) or bundled brief name")
    p.add_argument("-o", "--out", metavar="OUT", help="scorecard file to write (.yaml or .json)")
    p.add_argument("--provider", choices=("auto", "offline", "openai"), default="auto",
                   help="generator to use (default: auto)")
    p.add_argument("--base-url", metavar="URL", help="OpenAI-compatible base URL (default: OPENAI_BASE_URL)")
    p.add_argument("--model", metavar="NAME", help="model name (default: BSC_LLM_MODEL or gpt-4o-mini)")
    p.add_argument("--parent", metavar="FILE", help="parent scorecard (file or example name) to cascade from")
    p.add_argument("--max-repairs", type=int_between(0, 20), default=3, metavar="N",
                   help="times an invalid LLM answer is sent back for correction (default 3)")
    p.add_argument("--timeout", type=float_between(0.001, _limits.MAX_TIMEOUT), default=60.0, metavar="S",
                   help="longest time in seconds of one LLM request, start to last byte (default 60)")
    p.add_argument("--retries", type=int_between(0, 20), default=3, metavar="N",
                   help="retries of timeouts, connection errors, 429 and 5xx, with backoff (default 3)")
    p.add_argument("--response-mode", choices=("auto", "json_schema", "json_object", "none"), default=None,
                   help="how the JSON answer is requested: auto (default; json_schema, falling back to "
                        "json_object, then none when the server refuses it), json_schema, json_object or "
                        "none (default: BSC_LLM_RESPONSE_MODE or auto)")
    p.add_argument("--critique", metavar="OUT.md",
                   help="also write a critique of the scorecard, incl. the brief's themes it misses (Markdown)")
    p.add_argument("--okrs", metavar="OUT", help="also write OKRs derived from it (.yaml, .json or .md)")
    p.add_argument("--okr-start", default="2026Q1", metavar="YYYYQn", help="first OKR quarter (default 2026Q1)")
    p.add_argument("--list-briefs", action="store_true", help="list the bundled briefs and exit")


def run(args: argparse.Namespace) -> int:
    from .._io import atomic_write
    from ..generate import (
        critique,
        derive_okrs,
        generate_scorecard,
        generation_summary,
        list_briefs,
        load_brief,
    )
    from ..scorecard import lint, save_scorecard
    from ._common import UsageError, check_not_inputs, check_output_file

    if args.list_briefs:
        for name in list_briefs():
            b = load_brief(name)
            print(f"{name:<14} {b.scorecard_name} ({b.sector or 'sector from text'})")
        return 0
    if not args.brief or not args.out:
        missing = " and ".join(x for x, v in (("--brief", args.brief), ("-o/--out", args.out)) if not v)
        raise UsageError(f"{missing} {'is' if ' and ' not in missing else 'are'} required (or --list-briefs)")
    check_output_file(args.out, "-o/--out", (".yaml", ".yml", ".json"))
    check_output_file(args.critique, "--critique", (".md", ".markdown", ".txt"))
    check_output_file(args.okrs, "--okrs", (".yaml", ".yml", ".json", ".md"))
    check_not_inputs({"-o/--out": args.out, "--critique": args.critique, "--okrs": args.okrs},
                     {"--brief": args.brief, "--parent": args.parent})
    brief = load_brief(args.brief)
    sc = generate_scorecard(
        brief, provider=args.provider, model=args.model, base_url=args.base_url, parent=args.parent,
        max_repairs=args.max_repairs, timeout=args.timeout, retries=args.retries,
        response_mode=args.response_mode,
    )
    # everything is computed before anything is written: a failure leaves existing files alone
    review = critique(sc, brief=brief) if args.critique else None
    okrs = derive_okrs(sc, start=args.okr_start) if args.okrs else None
    save_scorecard(sc, args.out)
    gen = sc.generator
    if gen is not None and gen.name == "openai":
        used = f"the LLM generator (model {gen.model} at {gen.provider_url})"
        mode = next((p.strip() for p in (gen.note or "").split(";") if p.strip().startswith("structured output")), None)
        if mode:
            used += f", {mode}"
    else:
        used = "the offline generator (bsc-toolkit KPI library; no LLM configured or requested)"
    findings = lint(sc)
    print(f"Generated '{sc.name}' with {used}: {len(sc.objectives)} objectives, {len(sc.kpis)} KPIs, "
          f"{len(sc.links)} links -> {args.out}")
    for line in generation_summary(sc, brief):
        print(line)
    print(findings.summary.splitlines()[0])
    if review is not None:
        atomic_write(args.critique, review)
        print(f"Critique -> {args.critique}")
    if okrs is not None:
        okrs.save(args.okrs)
        print(f"OKRs ({okrs.quarters[0]}-{okrs.quarters[-1]}) -> {args.okrs}")
    return 0
