"""Adversarial sweep, part 2: hostile LLM servers and answers (issue 18, items 5, 7, 8, 9, 12, Low).

The real ``openai`` client talks to ``tests/fake_llm.py`` on 127.0.0.1. Servers
drip bytes, redirect, echo the key, send huge, truncated or nested bodies and
broken ``Retry-After`` headers; answers carry ``parent: .env``, duplicate keys,
deep nesting, infinite numbers and megabyte names. Each case asserts the precise
outcome: the error (provider and model named, never "internal error"), the time
it took, how many requests were made, what was sent back in a repair, and that
the key is in no message, log line or written file.
"""

from __future__ import annotations

import json
import logging
import time

import pytest
from _hostile_helpers import KEY, assert_one_line, no_key_anywhere, run_cli
from fake_llm import FakeLLM, chat_completion, drip, raw, redirect, reply, status

from bsc_toolkit.errors import GenerationError, OutputError, register_secret
from bsc_toolkit.generate import LLMConfig, check_answer, generate_scorecard
from bsc_toolkit.generate.llm import chat
from bsc_toolkit.scorecard import load_example, save_scorecard

FAST = {"api_key": KEY, "backoff": 0.001, "timeout": 5.0}
MSG = [{"role": "user", "content": "hi"}]


def good() -> dict:
    data = load_example("retail").to_dict()
    data.pop("generator")
    return data


def good_json(**changes) -> str:
    return json.dumps({**good(), **changes})


def _cfg(llm: FakeLLM, **kw) -> LLMConfig:
    args = {"timeout": 1.0, "retries": 0, "backoff": 0.001, **kw}
    return LLMConfig("m-hostile", llm.base_url, KEY, **args)


def _chat_error(script, **kw) -> tuple[str, float, FakeLLM]:
    with FakeLLM(script) as llm:
        t0 = time.perf_counter()
        with pytest.raises(GenerationError) as info:
            chat(_cfg(llm, **kw), MSG)
        seconds = time.perf_counter() - t0
    msg = str(info.value)
    assert KEY not in msg and "internal error" not in msg
    assert f"127.0.0.1:{llm.port}" in msg and "m-hostile" in msg, msg  # provider and model named
    return msg, seconds, llm


# ------------------------------------------------------------ total deadline
@pytest.mark.parametrize("headers", [False, True], ids=["body", "headers"])
def test_dripping_server_is_cut_at_the_deadline(headers):
    """One byte every 0.2 s would take over a minute; --timeout 1 ends the request after ~1 s."""
    msg, seconds, llm = _chat_error([drip("a" * 50, interval=0.2, headers=headers)])  # ~60 s if not cut
    assert "timed out after 1 s" in msg and "gave up after 1 attempt(s)" in msg
    assert seconds < 5, f"{seconds:.1f} s"
    assert len(llm.chat_requests) == 1


def test_dripping_server_each_retry_has_its_own_deadline():
    msg, seconds, llm = _chat_error([drip("a" * 50, interval=0.2)], retries=1)
    assert "gave up after 2 attempt(s)" in msg and len(llm.chat_requests) == 2
    assert seconds < 9, f"{seconds:.1f} s"


def test_slow_but_complete_answer_within_the_deadline_is_accepted():
    """The deadline does not cut a good answer: ~300 bytes at 2 ms each (~0.6 s) within 10 s."""
    with FakeLLM([drip("fine", interval=0.002)]) as llm:
        assert chat(_cfg(llm, timeout=10.0), MSG) == "fine"


def test_compressed_answers_pass_through_the_bounded_transport():
    """Real servers compress: the transport hands the body on undecoded and the client decodes it."""
    import gzip

    body = gzip.compress(json.dumps(chat_completion("zipped")).encode())
    with FakeLLM([raw(body, headers={"Content-Encoding": "gzip"})]) as llm:
        assert chat(_cfg(llm), MSG) == "zipped"
    assert "gzip" in llm.chat_requests[0].headers["accept-encoding"]


# ------------------------------------------------------------------ redirects
@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirect_to_another_host_is_not_followed(code):
    with FakeLLM([good_json()]) as other:
        target = other.base_url.replace("127.0.0.1", "localhost") + "/chat/completions?token=abc"
        msg, _s, llm = _chat_error([redirect(target, code)], retries=2)
        assert other.requests == []  # nothing reached the other host
    assert f"redirect (HTTP {code}) to 'http://localhost:{other.port}/v1/chat/completions'" in msg
    assert "token=abc" not in msg and "not followed" in msg
    assert len(llm.chat_requests) == 1  # not retried


def test_redirect_on_the_same_host_is_not_followed_either():
    """A POST redirected by 302 becomes a GET whose answer the client would accept: refuse all redirects."""
    msg, _s, llm = _chat_error([redirect("/v2/chat/completions", 302)])
    assert "redirect (HTTP 302) to '/v2/chat/completions'" in msg
    assert [r.method for r in llm.requests] == ["POST"]


# --------------------------------------------------------- malformed answers
@pytest.mark.parametrize("body, words", [
    (b'{"choices": [', "not a valid chat-completions response (JSONDecodeError"),
    (b"[" * 100_000 + b"]" * 100_000, "not a valid chat-completions response (RecursionError"),
], ids=["truncated-json", "nested-json"])
def test_malformed_body_is_a_located_error(body, words):
    msg, _s, llm = _chat_error([raw(body)], retries=1)
    assert words in msg and "gave up after 2 attempt(s)" in msg


def test_body_shorter_than_announced_is_a_located_error():
    msg, _s, _llm = _chat_error([raw(b'{"id": "x"}', content_length=500)])
    assert "RemoteProtocolError" in msg and "gave up after 1 attempt(s)" in msg


def test_huge_answer_is_refused_without_retrying():
    msg, _s, llm = _chat_error([raw(b" " * (9 * 1024 * 1024) + b"{}")], retries=3)
    assert "larger than 8,388,608 bytes" in msg and len(llm.chat_requests) == 1


@pytest.mark.parametrize("body", [b'{"choices": "x"}', b'{"choices": [{"message": {"content": 42}}]}',
                                  b'{"choices": []}', b"null"], ids=["choices-str", "content-int", "empty",
                                                                     "null"])
def test_answer_without_text_is_empty_not_a_crash(body):
    with FakeLLM([raw(body)]) as llm:
        assert chat(_cfg(llm), MSG) == ""


def test_non_json_answer_ends_in_a_clear_generation_error():
    with FakeLLM([raw(b"<html>gateway</html>", content_type="text/html")]) as llm:
        with pytest.raises(GenerationError, match=r"still invalid after 2 attempt\(s\)") as info:
            generate_scorecard("demo", provider="openai", base_url=llm.base_url, max_repairs=1, **FAST)
    assert "empty" in str(info.value) and len(llm.chat_requests) == 2


# -------------------------------------------------------------- Retry-After
@pytest.mark.parametrize("header, expected", [
    ({"Retry-After": "nan"}, 0.5), ({"Retry-After": "-5"}, 0.5), ({"Retry-After": "inf"}, 7.0),
    ({"Retry-After": "1e400"}, 7.0), ({"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}, 7.0),
    ({"Retry-After": "soon"}, 0.5), ({"Retry-After-Ms": "nan"}, 0.5), ({"Retry-After-Ms": "1500"}, 1.5),
], ids=["nan", "negative", "inf", "overflow", "far-date", "text", "ms-nan", "ms-ok"])
def test_broken_retry_after_headers_give_a_finite_wait(header, expected):
    waits: list[float] = []
    with FakeLLM([status(429, headers=header), reply("ok")]) as llm:
        cfg = LLMConfig("m", llm.base_url, KEY, timeout=5.0, retries=1, backoff=0.5, max_backoff=7.0)
        assert chat(cfg, MSG, sleep=waits.append) == "ok"
    assert waits == [expected]


# ---------------------------------------------------------------- the key
def test_key_echoed_in_a_valid_answer_is_redacted_everywhere(tmp_path, capsys, monkeypatch, caplog):
    """Issue item 9: a server that puts the key into the scorecard's name and a rationale."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)

    def answer(req) -> str:
        key = req.headers["authorization"].removeprefix("Bearer ")
        data = good()
        data["name"] = f"Acme {key}"
        data["links"][0]["rationale"] = f"because {key}"
        data["objectives"][0]["kpis"][0]["owner"] = key
        return json.dumps(data)

    with FakeLLM([reply(answer)]) as llm:
        code, out, err, _s = run_cli(["generate", "--brief", "demo", "--provider", "openai", "--base-url",
                                      llm.base_url, "-o", "sc.yaml", "--okrs", "okrs.yaml", "--critique",
                                      "review.md"], capsys)
    assert code == 0, err
    assert llm.chat_requests[0].headers["authorization"] == f"Bearer {KEY}"  # the key was really sent
    text = (tmp_path / "sc.yaml").read_text()
    assert "name: Acme ***" in text and "because ***" in text
    no_key_anywhere(tmp_path, texts=[out, err, caplog.text])


def test_key_in_error_bodies_and_logs_is_redacted(caplog):
    caplog.set_level(logging.DEBUG)
    body = {"error": {"message": f"overloaded, key {KEY} throttled"}}
    msg, _s, _llm = _chat_error([status(503, body)], retries=1)
    assert "***" in msg and "HTTP 503" in msg
    assert "throttled" in caplog.text and KEY not in caplog.text


def test_key_in_the_base_url_is_redacted():
    with FakeLLM([good_json()]) as llm:
        url = llm.base_url.replace("http://", f"http://user:{KEY}@") + f"?api-key={KEY}"
        sc = generate_scorecard("demo", provider="openai", base_url=url, api_key="sk-other-0000000000",
                                max_repairs=0, backoff=0.001, timeout=5.0)
    assert KEY not in sc.to_yaml() and sc.generator.provider_url == llm.base_url


def test_atomic_writer_redacts_text_and_refuses_binary(tmp_path):
    """The writer is the net under every output: a scorecard that holds the key is written without it."""
    secret = "sk-writer-SECRET-55555555"
    register_secret(secret)
    sc = load_example("retail").replace(name=f"Retail {secret}")
    save_scorecard(sc, tmp_path / "sc.yaml")
    save_scorecard(sc, tmp_path / "sc.json")
    assert "name: Retail ***" in (tmp_path / "sc.yaml").read_text()
    assert '"name": "Retail ***"' in (tmp_path / "sc.json").read_text()
    from bsc_toolkit._io import atomic_write

    (tmp_path / "img.png").write_bytes(b"old")
    with pytest.raises(OutputError, match="would contain a secret"):
        atomic_write(tmp_path / "img.png", b"\x89PNG\xff\xfe" + secret.encode())
    assert (tmp_path / "img.png").read_bytes() == b"old" and len(list(tmp_path.iterdir())) == 3


# -------------------------------------------------------- hostile answers
def test_model_chosen_parent_is_dropped():
    """Issue item 7: `parent: .env` in an answer would make the next `bsc cascade` read .env."""
    with FakeLLM([good_json(parent=".env")]) as llm:
        sc = generate_scorecard("demo", provider="openai", base_url=llm.base_url, **FAST)
    assert sc.parent is None and "parent" not in sc.to_yaml()


def test_user_parent_wins_over_the_model_parent():
    child = load_example("software_engineering").to_dict()  # a department scorecard of `software`
    child.pop("generator", None)
    child["parent"] = "../../.ssh/id_rsa"
    with FakeLLM([json.dumps(child)]) as llm:
        sc = generate_scorecard("demo", provider="openai", parent="software", base_url=llm.base_url,
                                max_repairs=0, **FAST)
    assert sc.parent == "software"


@pytest.mark.parametrize("answer, problem", [
    ('{"name": "x", "name": "y", "objectives": []}', "duplicate key 'name'"),
    ('{"name": "x", "objectives": ' + "[" * 5000 + "]" * 5000 + "}", "nested deeper than 50 levels"),
    (good_json().replace('"target": 4.0', '"target": Infinity', 1), "finite number"),
    (good_json(name="N" * 1_000_000), "(1,000,000 characters)"),
], ids=["duplicate-key", "deep", "infinity", "megabyte-name"])
def test_hostile_answer_is_repaired_with_a_bounded_message(answer, problem):
    """Issue item 5: what is sent back to the server quotes at most ~200 characters of a value."""
    with FakeLLM([answer, good_json()]) as llm:
        sc = generate_scorecard("demo", provider="openai", base_url=llm.base_url, max_repairs=1, **FAST)
    assert sc.name == "Northwind Retail"
    repair = llm.chat_requests[1].json["messages"][-1]["content"]
    assert problem in repair, repair[:1000]
    assert len(repair) < 4000, f"repair message has {len(repair):,} characters"


def test_check_answer_never_raises_on_hostile_text():
    for text in ["[" * 200_000, '{"a":' * 100_000, "\x00\x01", "```json\n{]\n```", '"' * 10_000]:
        sc, problems = check_answer(text)
        assert sc is None and problems and all(len(p) < 2500 for p in problems)


# ---------------------------------------------------------------- the CLI
@pytest.mark.parametrize("value", ["1e300", "nan", "0", "-1", "inf"])
def test_timeout_argument_is_bounded(value, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _out, err, _s = run_cli(["generate", "--brief", "demo", "-o", "x.yaml", "--timeout", value], capsys)
    assert_one_line(code, err, expect=2, words=["--timeout"])
    assert list(tmp_path.iterdir()) == []


def test_cli_against_a_dripping_server(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with FakeLLM([drip("a" * 50, interval=0.2)]) as llm:
        code, _out, err, seconds = run_cli(["generate", "--brief", "demo", "--base-url", llm.base_url, "-o",
                                            "x.yaml", "--timeout", "1", "--retries", "0"], capsys)
    assert_one_line(code, err, expect=1, words=["timed out after 1 s", f"127.0.0.1:{llm.port}"])
    assert seconds < 6 and list(tmp_path.iterdir()) == []


def test_environment_proxies_are_still_honoured(monkeypatch):
    """The bounded transport replaces the client's default one; HTTP_PROXY / NO_PROXY must keep working."""
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with FakeLLM([reply("via the proxy")]) as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        cfg = LLMConfig("m", "http://llm.invalid/v1", KEY, timeout=5.0, retries=0)
        assert chat(cfg, MSG) == "via the proxy"
        assert proxy.requests[0].path == "http://llm.invalid/v1/chat/completions"  # an absolute-form proxy request
        monkeypatch.setenv("NO_PROXY", "llm.invalid")
        with pytest.raises(GenerationError, match="could not connect"):
            chat(cfg, MSG)
        assert len(proxy.requests) == 1
