"""Response-format fallback of the LLM generator, through the real `openai` client against
the local fake server (tests/fake_llm.py): servers without structured output (older Ollama,
LM Studio, some vLLM builds) refuse ``response_format`` ``json_schema`` with HTTP 400/422."""

from __future__ import annotations

import json
import logging
import re

import pytest
from fake_llm import FakeLLM, status

from bsc_toolkit.cli import main
from bsc_toolkit.errors import GenerationError
from bsc_toolkit.generate import generate_scorecard
from bsc_toolkit.scorecard import load_example, load_scorecard, scorecard_json_schema

KEY = "sk-test-SECRET-fallback-0123456789"
FAST = {"provider": "openai", "api_key": KEY, "backoff": 0.001, "timeout": 5.0}


@pytest.fixture(autouse=True)
def _no_mode_env(monkeypatch):
    monkeypatch.delenv("BSC_LLM_RESPONSE_MODE", raising=False)


def good_json() -> str:
    data = load_example("retail").to_dict()
    data.pop("generator")
    return json.dumps(data)


def rf_type(req) -> str | None:
    rf = req.json.get("response_format")
    return rf["type"] if rf is not None else None


def schemas_in(req) -> list[dict]:
    """Every JSON Schema written into the request's messages (between <schema> tags)."""
    text = "\n".join(m["content"] for m in req.json["messages"])
    return [json.loads(s) for s in re.findall(r"<schema>\s*(.*?)\s*</schema>", text, flags=re.S)]


def test_no_refusal_keeps_structured_output_and_no_schema_in_prompt():
    with FakeLLM([good_json()]) as llm:
        sc = generate_scorecard("demo", base_url=llm.base_url, **FAST)
    (req,) = llm.chat_requests
    assert rf_type(req) == "json_schema" and schemas_in(req) == []
    assert "structured output: json_schema;" in sc.generator.note
    assert "fallback" not in sc.generator.note


@pytest.mark.parametrize("code", [400, 422])
def test_json_schema_refused_falls_back_to_json_object_for_the_repairs_too(code, caplog):
    caplog.set_level(logging.WARNING)
    with FakeLLM(["Here you go: {not json", good_json()], reject_formats=("json_schema",),
                 reject_status=code) as llm:
        sc = generate_scorecard("demo", base_url=llm.base_url, **FAST)
    first, second, third = llm.chat_requests
    assert [rf_type(r) for r in llm.chat_requests] == ["json_schema", "json_object", "json_object"]
    assert first.json["response_format"]["json_schema"]["schema"] == scorecard_json_schema()
    assert schemas_in(first) == []
    # the fallback request carries the one scorecard schema in its prompt, once
    assert schemas_in(second) == [scorecard_json_schema()]
    assert schemas_in(third) == [scorecard_json_schema()]  # the repair kept mode and schema
    assert "not valid JSON" in third.json["messages"][-1]["content"]
    assert sc.name == "Northwind Retail"
    assert "structured output: json_object fallback" in sc.generator.note
    assert "2 attempt(s)" in sc.generator.note
    assert f"HTTP {code}" in caplog.text and "json_object" in caplog.text
    assert KEY not in caplog.text


def test_json_schema_and_json_object_refused_falls_back_to_none():
    with FakeLLM([good_json()], reject_formats=("json_schema", "json_object")) as llm:
        sc = generate_scorecard("demo", base_url=llm.base_url, **FAST)
    reqs = llm.chat_requests
    assert [rf_type(r) for r in reqs] == ["json_schema", "json_object", None]
    assert "response_format" not in reqs[2].json
    assert schemas_in(reqs[2]) == [scorecard_json_schema()]
    assert "structured output: none (no response_format) fallback" in sc.generator.note


@pytest.mark.parametrize("mode, expected", [("json_object", "json_object"), ("none", None)])
def test_forced_mode_is_used_from_the_first_request(mode, expected):
    with FakeLLM([good_json()]) as llm:
        sc = generate_scorecard("demo", base_url=llm.base_url, response_mode=mode, **FAST)
    (req,) = llm.chat_requests
    assert rf_type(req) == expected and schemas_in(req) == [scorecard_json_schema()]
    assert f"structured output: {mode}" in sc.generator.note and "(forced)" in sc.generator.note


def test_forced_json_schema_does_not_fall_back():
    with FakeLLM([good_json()], reject_formats=("json_schema",)) as llm:
        with pytest.raises(GenerationError) as ei:
            generate_scorecard("demo", base_url=llm.base_url, response_mode="json_schema", **FAST)
    msg = str(ei.value)
    assert len(llm.chat_requests) == 1
    assert "HTTP 400" in msg and "json_schema" in msg and "forced" in msg
    assert "response_mode 'auto'" in msg and f"127.0.0.1:{llm.port}" in msg


def test_mode_from_environment_and_bad_values(monkeypatch):
    monkeypatch.setenv("BSC_LLM_RESPONSE_MODE", "none")
    with FakeLLM([good_json()]) as llm:
        generate_scorecard("demo", base_url=llm.base_url, **FAST)
        assert rf_type(llm.chat_requests[0]) is None
        # the argument wins over the environment
        generate_scorecard("demo", base_url=llm.base_url, response_mode="json_object", **FAST)
        assert rf_type(llm.chat_requests[1]) == "json_object"
    monkeypatch.setenv("BSC_LLM_RESPONSE_MODE", "grammar")
    with pytest.raises(GenerationError, match=r"BSC_LLM_RESPONSE_MODE must be one of .*'grammar'"):
        generate_scorecard("demo", provider="offline")
    with pytest.raises(GenerationError, match=r"`response_mode` must be one of .*'xml'"):
        generate_scorecard("demo", provider="offline", response_mode="xml")


def test_unrelated_400_fails_fast_with_a_clear_message():
    bad = status(400, {"error": {"message": "prompt is too long: 9000 tokens > 8192 context window",
                                 "type": "invalid_request_error"}})
    with FakeLLM([bad, good_json()]) as llm:
        with pytest.raises(GenerationError) as ei:
            generate_scorecard("demo", base_url=llm.base_url, model="m-9", **FAST)
    msg = str(ei.value)
    assert len(llm.chat_requests) == 1  # no retry, no fallback
    assert "refused the request with HTTP 400" in msg and "prompt is too long" in msg
    assert f"provider 127.0.0.1:{llm.port}, model m-9" in msg


def test_key_never_leaks_from_a_refusal_that_echoes_it(caplog):
    caplog.set_level(logging.DEBUG)
    echo = status(400, {"error": {"message": f"json_schema not supported (key {KEY})"}})
    with FakeLLM([echo, good_json()]) as llm:
        sc = generate_scorecard("demo", base_url=llm.base_url, **FAST)
    assert [rf_type(r) for r in llm.chat_requests] == ["json_schema", "json_object"]
    assert "json_object fallback" in sc.generator.note and "***" in caplog.text
    with FakeLLM([echo]) as llm:
        with pytest.raises(GenerationError) as ei:
            generate_scorecard("demo", base_url=llm.base_url, response_mode="json_schema", **FAST)
    for text in (caplog.text, str(ei.value), repr(ei.value), ei.value.args, sc.to_yaml()):
        assert KEY not in str(text)
    assert "***" in str(ei.value)


def test_cli_response_mode(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.delenv("BSC_LLM_MODEL", raising=False)
    out = tmp_path / "sc.yaml"
    with FakeLLM([good_json()], reject_formats=("json_schema",)) as llm:
        rc = main(["generate", "--brief", "demo", "--provider", "openai", "--base-url", llm.base_url,
                   "--response-mode", "json_object", "-o", str(out)])
    assert rc == 0 and [rf_type(r) for r in llm.chat_requests] == ["json_object"]
    said = capsys.readouterr()
    assert "structured output: json_object (forced)" in said.out
    assert "json_object (forced)" in load_scorecard(out).generator.note
    assert KEY not in said.out + said.err + out.read_text()
    with pytest.raises(SystemExit) as ei:
        main(["generate", "--help"])
    assert ei.value.code == 0
    helptext = capsys.readouterr().out
    assert "--response-mode" in helptext and "BSC_LLM_RESPONSE_MODE" in helptext and "json_object" in helptext
