"""Secrets by value: a key in a format no pattern knows and the password of a proxy or base URL, echoed back by a
provider, are neither shown nor stored (reply, checkpoints, conversation store, cassette, telemetry)."""

from __future__ import annotations

import pytest

from core import redact, tracing
from core.settings import get_settings
from graph.copilot import Copilot
from tests.provider_mock import ProviderMock, Reply

# Formats no pattern of core/redact.py knows: short, with punctuation, no provider prefix.
KEY = "q7.Unkn0wn~fmt.k3y"
BASE_PASSWORD = "b4se.Pa55~word"
PROXY_PASSWORD = "pr0xy~Pa55!w0rd"
SECRETS = (KEY, BASE_PASSWORD, PROXY_PASSWORD)


def test_registered_values_are_removed_also_url_encoded():
    redact.register("s3cret/with space+plus")
    text = "a s3cret/with space+plus b s3cret%2Fwith%20space%2Bplus c s3cret%2Fwith+space%2Bplus"
    assert redact.redact(text).count(redact.MARK) == 3


def test_short_values_and_plain_words_are_not_registered():
    redact.register("admin", "12345", "postgres", "password")
    text = "admin 12345: postgres says the password is wrong"
    assert redact.redact(text) == text


def test_settings_register_keys_url_passwords_and_provider_variables(monkeypatch):
    monkeypatch.setenv("SOMEPROVIDER_API_KEY", "zz.provider~key")
    monkeypatch.setenv("HTTPS_PROXY", "http://joe:proxy%40pass9@127.0.0.1:3128")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20otlp.t0ken~x")
    get_settings(
        fallback_api_key="fb.key~value",
        oidc_cookie_secret="cookie~secret.v",
        database_url="postgresql://app:db.pass~word@127.0.0.1/uwc",
    )
    text = "zz.provider~key proxy@pass9 fb.key~value cookie~secret.v db.pass~word otlp.t0ken~x"
    assert redact.redact(text) == " ".join([redact.MARK] * 6)


def echo(call) -> Reply:
    """A provider that repeats the credentials it was sent: in an error on the first message, in its answer after."""
    said = (
        f"key {call.headers.get('Authorization', '')} ({KEY}), via http://joe:{PROXY_PASSWORD}@proxy, {BASE_PASSWORD}"
    )
    texts = [m["content"] for m in call.body["messages"] if m["role"] == "user"]
    if "first" in str(texts[-1]):
        return Reply(status=400, error=f"Invalid request: {said}")
    return Reply(content=f"Echo: {said} and {PROXY_PASSWORD.replace('!', '%21')}")


@pytest.mark.integration
def test_echoed_secrets_are_neither_shown_nor_stored(tmp_path, monkeypatch, copilot_toolkit):
    data, cassette, telemetry = tmp_path / "data", tmp_path / "calls.jsonl", tmp_path / "data" / "telemetry.db"
    with ProviderMock(echo) as mock:
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("HTTPS_PROXY", f"http://joe:{PROXY_PASSWORD}@127.0.0.1:9")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        host = mock.url.split("://", 1)[1]
        monkeypatch.setenv("UWC_API_BASE", f"http://base:{BASE_PASSWORD}@{host}/v1")
        monkeypatch.setenv("UWC_MODEL", "openai/gpt-4.1-mini")
        settings = get_settings(data_dir=data, record=cassette)
        tracing.configure(telemetry, batch_delay_ms=10)
        cp = Copilot(settings, toolkit=copilot_toolkit)
        try:
            thread = cp.new_thread()
            first = cp.send(thread.id, "first question")
            events: list[dict] = []
            second = cp.send(thread.id, "second question", on_event=events.append)
            history = cp.history(thread.id)
        finally:
            cp.close()
            tracing.flush()
            tracing.configure(None)
    assert len(mock.calls) == 2 and mock.violations == []
    assert first.error and "Invalid request" in first.error
    assert second.answer and second.answer.startswith("Echo:")
    streamed = "".join(e["text"] for e in events if e.get("type") == "token")
    assert streamed.startswith("Echo:")  # shown live, token by token
    shown = [first.error, second.answer, streamed, *(m["content"] for m in history)]
    stored = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert cassette in stored and any(p.name.startswith("checkpoints") for p in stored)
    for secret in SECRETS:
        assert not any(secret in text for text in shown), secret
        for form in {secret, secret.replace("!", "%21")}:
            leaked = [p.name for p in stored if form.encode() in p.read_bytes()]
            assert leaked == [], f"{form} stored in {leaked}"


def test_a_secret_in_a_tool_result_is_not_checkpointed(make_copilot, tmp_path, monkeypatch):
    """A tool result that carries a configured secret (a value read from the database, an error echoing it) reaches
    neither the checkpoint nor the model."""
    from langchain_core.messages import AIMessage, ToolMessage

    from tests.fakes import ScriptedModel, tool_call

    monkeypatch.setattr(redact, "_registered", redact.registered())  # this test's secret is forgotten after it
    secret = "Harbor Point Lodge LLC"  # stands for a secret the applicant record happens to hold
    redact.register(secret)
    seen: list[str] = []

    def decide(messages):
        results = [m for m in messages if isinstance(m, ToolMessage)]
        if not results:
            return tool_call("find_applicant", {"name_or_id": "APP-0138"})
        seen.append(str(results[-1].content))
        return AIMessage("Done.")

    cp = make_copilot(ScriptedModel(decide))
    cp.send(cp.new_thread().id, "check")
    cp.close()
    assert seen and "APP-0138" in seen[-1] and secret not in seen[-1]
    stored = [p for p in tmp_path.rglob("checkpoints*") if p.is_file()]
    assert stored and not any(secret.encode() in p.read_bytes() for p in stored)


def test_a_clean_text_is_checked_once_until_a_secret_is_registered(monkeypatch):
    """A turn redacts the same short texts again and again: one found clean is remembered as clean, for the secrets
    registered when it was checked; a text that held a secret is never remembered (nor its secret with it)."""
    monkeypatch.setattr(redact, "_registered", redact.registered())  # this test's secret is forgotten after it
    monkeypatch.setattr(redact, "_clean", redact.Bounded(2))
    checked: list[str] = []
    check = redact._redact
    monkeypatch.setattr(redact, "_redact", lambda text, *a: checked.append(text) or check(text, *a))
    text = "the proxy answered with a 407 for user ops-team-7q"
    assert redact.redact(text) == text == redact.redact(text) and checked == [text]
    redact.register("ops-team-7q")
    assert redact.redact(text) == "the proxy answered with a 407 for user [REDACTED]"
    assert redact.redact(text) == "the proxy answered with a 407 for user [REDACTED]" and len(checked) == 3
    assert redact._clean[text] != redact.registered()  # (kept as clean for the secrets of before: no match)
    echoed = "the key ops-team-7q was refused"
    assert redact.redact(echoed) == "the key [REDACTED] was refused" and echoed not in redact._clean
    for other in ("first clean text", "second clean text", "third clean text"):
        redact.redact(other)
    assert len(redact._clean) == 2  # bounded: the oldest dropped
    long = "clean words " * (redact.MAX_CLEAN_CHARS // 10)
    assert redact.redact(long) == long and long not in redact._clean
