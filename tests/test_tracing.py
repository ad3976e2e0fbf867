"""Traces: GenAI spans per turn, model call, tool call and guard intervention, in the embedded store and over OTLP."""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler

import pytest

from bench.ui import free_port
from core import tracing
from core.settings import Settings
from tests.fakes import LoopbackServer, OpenAIServer, ScriptedModel, tool_call, tool_results
from tests.provider_mock import ProviderMock, Reply


@pytest.fixture(autouse=True)
def _tracing_off_after():
    yield
    tracing.configure(None)


@pytest.fixture
def copilot_factory(seeded, toolkit, tmp_path):
    made = []

    def make(model=None):
        from graph.copilot import Copilot

        c = Copilot(Settings(data_dir=tmp_path / "d"), model=model, toolkit=toolkit)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def spans(path) -> list[dict]:
    tracing.flush()
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT * FROM span ORDER BY start_ns")]
    conn.close()
    for r in rows:
        r["attributes"] = json.loads(r["attributes"])
    return rows


def test_an_offline_turn_is_one_trace_with_tool_spans_in_the_data_folder(copilot_factory, tmp_path):
    store = tmp_path / "telemetry.db"
    tracing.configure(store, batch_delay_ms=50)
    c = copilot_factory()
    thread = c.new_thread()
    result = c.send(thread.id, "What deductible for auto, NAICS 484121?", user="ana")
    assert result.finding and result.finding["deductible"] == 5000
    rows = spans(store)
    turn = [r for r in rows if r["operation"] == "invoke_agent"]
    assert len(turn) == 1 and turn[0]["parent_id"] is None
    assert turn[0]["conversation_id"] == thread.id and turn[0]["user_id"] == "ana" and turn[0]["model"] == "offline"
    assert turn[0]["attributes"]["uwc.finding.task_type"] == "deductible"
    assert turn[0]["attributes"]["uwc.check.status"] == "ok"
    tools = [r for r in rows if r["operation"] == "execute_tool"]
    assert {"get_deductible", "record_finding"} <= {r["tool"] for r in tools}
    assert all(r["trace_id"] == turn[0]["trace_id"] and r["conversation_id"] == thread.id for r in tools)
    first = next(r for r in tools if r["tool"] == "get_deductible")
    assert first["parent_id"] == turn[0]["span_id"]
    assert first["attributes"]["gen_ai.tool.name"] == "get_deductible"
    assert first["attributes"]["uwc.outcome"] == "ok" and first["duration_ms"] > 0
    assert turn[0]["duration_ms"] >= sum(r["duration_ms"] for r in tools if r["parent_id"] == turn[0]["span_id"])


def test_a_guard_refusal_is_a_tool_error_span_with_a_guard_child(toolkit, tmp_path):
    store = tmp_path / "telemetry.db"
    tracing.configure(store, batch_delay_ms=50)
    event = toolkit.call("get_limits", {"naics": "722511", "lob": "umbrella"})
    assert not event.ok
    rows = spans(store)
    tool = next(r for r in rows if r["operation"] == "execute_tool")
    assert tool["status"] == "error" and tool["error_type"] == event.error_kind
    assert json.loads(tool["attributes"]["uwc.guard.verdicts"])[0]["allowed"] is False
    guard = next(r for r in rows if r["operation"] == "guard")
    assert guard["parent_id"] == tool["span_id"]
    assert guard["attributes"]["uwc.guard.where"] == "tool_argument"
    assert "umbrella" in " ".join(guard["attributes"]["uwc.guard.products"]).lower()


def test_an_answer_guard_intervention_is_a_guard_span(copilot_factory, tmp_path):
    store = tmp_path / "telemetry.db"
    tracing.configure(store, batch_delay_ms=50)
    from langchain_core.messages import AIMessage

    def decide(messages):
        if not tool_results(messages):
            return tool_call("get_limits", {"naics": "722511", "lob": "general liability"})
        return AIMessage("You should also buy umbrella coverage.")

    model = ScriptedModel(decide, is_llm=False)
    c = copilot_factory(model)
    thread = c.new_thread()
    c.send(thread.id, "Limits for a restaurant?")
    guard = [r for r in spans(store) if r["operation"] == "guard"]
    assert guard and guard[0]["attributes"]["uwc.guard.where"] == "answer"
    assert guard[0]["conversation_id"] == thread.id


@pytest.mark.integration
def test_model_calls_through_litellm_are_chat_spans_with_tokens_cost_and_finish_reason(tmp_path, monkeypatch):
    from langchain_core.messages import HumanMessage

    from graph.llm import LiteLLMModel

    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    store = tmp_path / "telemetry.db"
    tracing.configure(store, batch_delay_ms=50)
    replies = iter([{"status": 500}, {"content": "Hello there"}])
    with OpenAIServer(lambda body: next(replies)) as server:
        model = LiteLLMModel("openai/test-model", api_base=server.url, backoff=0.0, stream=False)
        reply = model.invoke([HumanMessage("hi")], [])
    assert reply.content.strip() == "Hello there"
    chat = next(r for r in spans(store) if r["operation"] == "chat")
    a = chat["attributes"]
    assert chat["name"] == "chat openai/test-model" and a["gen_ai.provider.name"] == "openai"
    assert a["gen_ai.request.model"] == "openai/test-model"
    assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (100, 20)
    assert a["gen_ai.response.finish_reasons"] == ["stop"]
    assert "uwc.cost_usd" in a


KEY = "sk-test-not-a-real-key-0123456789"


def chat_spans_of(store, script, fallback: str | None = None, **options) -> tuple[list[dict], ProviderMock]:
    """Chat spans of one model call through litellm to the provider mock (OpenAI's API), answered by ``script``;
    a ``fallback`` model is served by the same mock."""
    from langchain_core.messages import HumanMessage

    from graph.llm import LiteLLMModel, ModelError

    tracing.configure(store, batch_delay_ms=50)
    with ProviderMock(script) as mock:
        if fallback:
            options |= {"fallback_model": fallback, "fallback_api_base": mock.url + "/v1", "fallback_api_key": KEY}
        model = LiteLLMModel(
            "openai/gpt-4.1-mini", api_base=mock.url + "/v1", api_key=KEY, backoff=0.0, timeout=5, **options
        )
        with contextlib.suppress(ModelError):
            model.invoke([HumanMessage("hi")], [])
    assert not mock.violations
    return [r for r in spans(store) if r["operation"] == "chat"], mock


def failing(*statuses: int, then: Reply | None = None):
    """A script that answers with these HTTP errors in turn, then with ``then``."""
    replies = iter([Reply(status=s, headers={"Retry-After": "0"}) for s in statuses])
    return lambda call: next(replies, then or Reply(content="Hello there"))


@pytest.mark.integration
def test_a_clean_model_call_has_no_retries(tmp_path):
    [chat], mock = chat_spans_of(tmp_path / "telemetry.db", failing())
    assert len(mock.calls) == 1 and chat["status"] != "error"
    a = chat["attributes"]
    assert a["uwc.retries"] == 0
    assert not {"uwc.retry.reasons", "uwc.retry.wait_s", "uwc.fallback.model"} & set(a)


@pytest.mark.parametrize(
    ("statuses", "reasons"),
    [((429,), ["rate_limit"]), ((503,), ["unavailable"]), ((429, 502), ["rate_limit", "unavailable"])],
)
@pytest.mark.integration
def test_a_retried_model_call_counts_its_retries_and_says_why(tmp_path, statuses, reasons):
    [chat], mock = chat_spans_of(tmp_path / "telemetry.db", failing(*statuses), retries=2)
    assert len(mock.calls) == len(statuses) + 1 and chat["status"] != "error"
    a = chat["attributes"]
    assert a["uwc.retries"] == len(statuses) and a["uwc.retry.reasons"] == reasons
    assert a["gen_ai.response.finish_reasons"] == ["stop"] and "uwc.fallback.model" not in a


@pytest.mark.integration
def test_an_empty_reply_nudged_once_is_a_retry(tmp_path):
    replies = iter([Reply(content=""), Reply(content="Hello there")])
    [chat], _ = chat_spans_of(tmp_path / "telemetry.db", lambda call: next(replies))
    assert chat["attributes"]["uwc.retries"] == 1 and chat["attributes"]["uwc.retry.reasons"] == ["empty"]


@pytest.mark.integration
def test_the_fallback_model_is_a_retry_on_the_span(tmp_path):
    def script(call):
        return Reply(status=503) if call.body["model"] == "gpt-4.1-mini" else Reply(content="From the fallback.")

    [chat], mock = chat_spans_of(tmp_path / "telemetry.db", script, fallback="openai/backup", retries=1)
    assert [c.body["model"] for c in mock.calls] == ["gpt-4.1-mini", "gpt-4.1-mini", "backup"]
    a = chat["attributes"]
    assert a["uwc.retries"] == 2 and a["uwc.retry.reasons"] == ["unavailable", "unavailable"]
    assert a["uwc.fallback.model"] == "openai/backup" and a["gen_ai.response.model"] == "openai/backup"


@pytest.mark.integration
def test_a_failed_model_call_is_an_error_span(tmp_path, monkeypatch):
    from langchain_core.messages import HumanMessage

    from graph.llm import LiteLLMModel, ModelError

    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    store = tmp_path / "telemetry.db"
    tracing.configure(store, batch_delay_ms=50)
    with OpenAIServer(lambda body: {"status": 500}) as server:
        model = LiteLLMModel("openai/test-model", api_base=server.url, backoff=0.0, retries=1, stream=False)
        with pytest.raises(ModelError):
            model.invoke([HumanMessage("hi")], [])
    chat = next(r for r in spans(store) if r["operation"] == "chat")
    assert chat["status"] == "error" and chat["error_type"] == "model_error"
    assert chat["attributes"]["uwc.retries"] == 1  # the retry that failed too


def test_tracing_off_records_nothing_and_spans_are_no_ops(copilot_factory, tmp_path):
    tracing.configure(None)
    assert not tracing.enabled()
    with tracing.span("x") as s:
        assert s is None
    c = copilot_factory()
    c.send(c.new_thread().id, "What deductible for auto, NAICS 484121?")
    db = tmp_path / "d" / "telemetry.db"  # the check store exists; no span was written
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM span").fetchone()[0] == 0


class OTLPReceiver(LoopbackServer):
    """An OTLP/HTTP trace receiver on 127.0.0.1: decodes ExportTraceServiceRequest protobufs."""

    def __init__(self, hold: threading.Event | None = None):
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        self.spans: list[dict] = []
        self.paths: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if hold is not None:
                    hold.wait(10)
                receiver.paths.append(self.path)
                req = ExportTraceServiceRequest.FromString(body)
                for rs in req.resource_spans:
                    for ss in rs.scope_spans:
                        for sp in ss.spans:
                            attrs = {kv.key: kv.value for kv in sp.attributes}
                            receiver.spans.append({"name": sp.name, "attributes": attrs})
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

        super().__init__(Handler)
        self.endpoint = self.url
        self.thread.start()

    def close(self):
        self.__exit__()


def test_spans_go_to_an_otlp_http_backend(copilot_factory, tmp_path, monkeypatch):
    from core.settings import get_settings

    receiver = OTLPReceiver()
    try:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)  # the standard variable, nothing else
        tracing.configure_from_settings(get_settings(data_dir=tmp_path))
        c = copilot_factory()
        thread = c.new_thread()
        c.send(thread.id, "What deductible for auto, NAICS 484121?")
        tracing.flush()
        assert receiver.paths and set(receiver.paths) == {"/v1/traces"}
        names = {s["name"] for s in receiver.spans}
        assert "invoke_agent underwriting-copilot" in names and "execute_tool get_deductible" in names
        turn = next(s for s in receiver.spans if s["name"].startswith("invoke_agent"))
        assert turn["attributes"]["gen_ai.operation.name"].string_value == "invoke_agent"
        assert turn["attributes"]["gen_ai.conversation.id"].string_value == thread.id
        assert spans(tmp_path / "telemetry.db")  # and the embedded store kept its copy
    finally:
        receiver.close()


# A failed export is retried for up to OTLP_TIMEOUT_S before the warning: on a loaded machine that can outlast
# flush()'s default 5 s, and the warning would come after the assertion.
SLOW_EXPORT_MS = 60_000


@pytest.fixture
def short_export(monkeypatch):
    """A failed export gives up after 0.3 s instead of the product's 3 s: the same path, without the wait."""
    monkeypatch.setattr(tracing, "OTLP_TIMEOUT_S", 0.3)


def test_an_endpoint_that_is_down_drops_spans_with_one_warning(copilot_factory, tmp_path, caplog, short_export):
    endpoint = f"http://127.0.0.1:{free_port()}"
    tracing.configure(tmp_path / "telemetry.db", otlp_endpoint=endpoint, batch_delay_ms=20)
    c = copilot_factory()
    thread = c.new_thread()
    with caplog.at_level(logging.WARNING, logger="uwc.tracing"):
        for _ in range(3):
            result = c.send(thread.id, "What deductible for auto, NAICS 484121?")
            assert result.answer
            tracing.flush(SLOW_EXPORT_MS)
    warnings = [r for r in caplog.records if r.name == "uwc.tracing"]
    assert len(warnings) == 1 and endpoint in warnings[0].getMessage()
    assert len([r for r in spans(tmp_path / "telemetry.db") if r["operation"] == "invoke_agent"]) == 3


def test_a_hanging_endpoint_never_holds_up_a_turn(copilot_factory, tmp_path):
    hold = threading.Event()
    receiver = OTLPReceiver(hold=hold)
    try:
        tracing.configure(None, otlp_endpoint=receiver.endpoint, batch_delay_ms=1)
        c = copilot_factory()
        thread = c.new_thread()
        for _ in range(3):  # the export thread is stuck in the receiver for the whole time
            assert c.send(thread.id, "What deductible for auto, NAICS 484121?").finding
        assert not receiver.spans
    finally:
        hold.set()
        tracing.configure(None)
        receiver.close()


def test_grpc_protocol_to_a_dead_endpoint_drops_with_one_warning(tmp_path, caplog, short_export):
    tracing.configure(None, otlp_endpoint=f"http://127.0.0.1:{free_port()}", otlp_protocol="grpc", batch_delay_ms=10)
    with caplog.at_level(logging.WARNING, logger="uwc.tracing"):
        for i in range(3):
            with tracing.turn(f"t{i}", "ana", "offline"):
                with tracing.span("execute_tool x"):
                    pass
            tracing.flush(SLOW_EXPORT_MS)
    assert len([r for r in caplog.records if r.name == "uwc.tracing"]) == 1
