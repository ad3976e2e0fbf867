"""Traces with the standard: OpenTelemetry spans named and attributed after the GenAI semantic conventions.

One trace per turn (``invoke_agent``), with a child span per model call (``chat``, emitted in ``graph/llm.py``), per
tool call (``execute_tool``, emitted at the tool boundary ``tools/toolkit.py``) and per guard intervention
(``guard``). Spans go to the embedded store in the data folder (``core/telemetry_store.py``, read by the Monitoring
page) and, when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, to any OTLP backend as well.

Nothing is traced until an entry point calls ``configure``; until then (and with ``UWC_TRACING=off``) ``span()``
returns one shared no-op context: tracing off costs a function call and a ``None`` check. Export always happens on
the SDK's background threads through bounded queues, so a slow or dead backend never slows a turn: an OTLP endpoint
that fails is skipped for a while (its spans dropped) and reported by one warning.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from core.redact import redact

log = logging.getLogger("uwc.tracing")

# GenAI semantic-convention attribute names (https://opentelemetry.io/docs/specs/semconv/gen-ai/), plus ours (uwc.*).
OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"
AGENT_NAME = "gen_ai.agent.name"
CONVERSATION = "gen_ai.conversation.id"
REQUEST_MODEL = "gen_ai.request.model"
RESPONSE_MODEL = "gen_ai.response.model"
FINISH_REASONS = "gen_ai.response.finish_reasons"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
TOOL_NAME = "gen_ai.tool.name"
TOOL_TYPE = "gen_ai.tool.type"
ERROR_TYPE = "error.type"
USER = "user.id"
COST = "uwc.cost_usd"
# On each ``chat`` span (the GenAI conventions have no retry attributes): ``uwc.retries`` is how many times the call
# was sent again after an attempt that failed or came back empty (0 for a clean call): a transient error (rate
# limit, outage, connection, stall) retried after backoff or ``Retry-After``, a context overflow trimmed and re-sent,
# an empty reply nudged, or the switch to the fallback model; continuing a reply cut at the length limit is not a
# retry. ``uwc.retry.reasons`` lists why, in order (the kinds of ``graph/llm_errors.py``, or ``empty``),
# ``uwc.retry.wait_s`` the seconds slept between them, ``uwc.fallback.model`` the fallback model when it was tried.
RETRIES = "uwc.retries"
RETRY_REASONS = "uwc.retry.reasons"
RETRY_WAIT = "uwc.retry.wait_s"
FALLBACK_MODEL = "uwc.fallback.model"
OUTCOME = "uwc.outcome"
DURATION = "uwc.duration_ms"
GUARD = "uwc.guard.verdicts"
AGENT = "underwriting-copilot"

QUEUE_SIZE = 2048  # spans kept waiting for export; beyond that new spans are dropped, never waited for
OTLP_TIMEOUT_S = 3.0
OTLP_PAUSE_S = 60.0  # after a failed export, spans for the endpoint are dropped for this long

_provider: Any = None  # the SDK TracerProvider while tracing is on
_tracer: Any = None
_lock = threading.Lock()
_conversation: ContextVar[tuple[str, str] | None] = ContextVar("uwc_conversation", default=None)
_NOOP = contextlib.nullcontext()


def enabled() -> bool:
    return _tracer is not None


class _DropWhenDown:
    """Wraps the OTLP exporter: a failed export pauses the endpoint (spans dropped) and warns once per outage."""

    def __init__(self, exporter, endpoint: str):
        from opentelemetry.sdk.trace.export import SpanExportResult

        self.exporter, self.endpoint, self._result = exporter, endpoint, SpanExportResult
        self.paused_until = 0.0
        self.warned = False
        self.dropped = 0

    def export(self, spans):
        if time.monotonic() < self.paused_until:
            self.dropped += len(spans)
            return self._result.FAILURE
        try:
            result = self.exporter.export(spans)
        except Exception:  # an exporter bug must not kill the export thread
            result = self._result.FAILURE
        if result == self._result.SUCCESS:
            self.warned = False
            return result
        self.dropped += len(spans)
        self.paused_until = time.monotonic() + OTLP_PAUSE_S
        if not self.warned:
            self.warned = True
            log.warning(
                "OTLP endpoint %s did not accept spans: dropping them for %.0f s (the embedded store keeps its copy)",
                self.endpoint,
                OTLP_PAUSE_S,
            )
        return result

    def shutdown(self):
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def _otlp_exporter(endpoint: str, protocol: str, headers: dict[str, str] | None):
    # The SDK's own exporters log every failed attempt; ours reports an outage once.
    for name in ("opentelemetry.exporter.otlp", "opentelemetry.sdk._shared_internal"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter

        return GrpcExporter(endpoint=endpoint, headers=headers, timeout=OTLP_TIMEOUT_S)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    url = endpoint if endpoint.rstrip("/").endswith("/v1/traces") else endpoint.rstrip("/") + "/v1/traces"
    return OTLPSpanExporter(endpoint=url, headers=headers, timeout=OTLP_TIMEOUT_S)


def configure(
    store_path: Path | None,
    otlp_endpoint: str | None = None,
    otlp_protocol: str = "http/protobuf",
    otlp_headers: dict[str, str] | None = None,
    service: str = "uwc",
    batch_delay_ms: int = 1000,
) -> None:
    """Turn tracing on (embedded store at ``store_path`` and/or an OTLP endpoint), or off when both are None.

    Replaces any earlier configuration (its queued spans are flushed first). Entry points call it once.
    """
    global _provider, _tracer
    shutdown()
    if store_path is None and not otlp_endpoint:
        return
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    kw: dict[str, Any] = dict(
        max_queue_size=QUEUE_SIZE, max_export_batch_size=512, schedule_delay_millis=batch_delay_ms
    )
    if store_path is not None:
        from core.telemetry_store import SQLiteSpanExporter

        provider.add_span_processor(BatchSpanProcessor(SQLiteSpanExporter(Path(store_path)), **kw))  # type: ignore[arg-type]  # duck-typed exporter
    if otlp_endpoint:
        exporter = _DropWhenDown(_otlp_exporter(otlp_endpoint, otlp_protocol, otlp_headers), otlp_endpoint)
        provider.add_span_processor(BatchSpanProcessor(exporter, export_timeout_millis=OTLP_TIMEOUT_S * 1000, **kw))  # type: ignore[arg-type]
    with _lock:
        _provider, _tracer = provider, provider.get_tracer("uwc")


def configure_from_settings(settings, store_path: Path | None = None) -> None:
    """Tracing as the settings say: ``UWC_TRACING`` (on/off) and the standard ``OTEL_EXPORTER_OTLP_*`` variables."""
    if not settings.tracing:
        configure(None)
        return
    configure(
        store_path or settings.telemetry_path,
        settings.otlp_endpoint,
        settings.otlp_protocol,
        parse_headers(settings.otlp_headers),
    )


def parse_headers(text: str | None) -> dict[str, str] | None:
    """``key1=value1,key2=value2`` (the OTEL_EXPORTER_OTLP_HEADERS format)."""
    if not text:
        return None
    pairs = (item.split("=", 1) for item in text.split(",") if "=" in item)
    return {k.strip(): v.strip() for k, v in pairs}


def flush(timeout_ms: int = 5000) -> None:
    if _provider is not None:
        _provider.force_flush(timeout_ms)


def shutdown() -> None:
    global _provider, _tracer
    with _lock:
        provider, _provider, _tracer = _provider, None, None
    if provider is not None:
        provider.shutdown()


def _clean(attributes: dict) -> dict[str, Any]:
    """OTel accepts str/bool/int/float (and lists of one type); anything else is sent as JSON text."""
    out: dict[str, Any] = {}
    for k, v in attributes.items():
        if v is None:
            continue
        if isinstance(v, str):
            out[k] = redact(v)  # spans are stored and exported: never a key, whatever the attribute
        elif isinstance(v, (bool, int, float)):
            out[k] = v
        elif isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v):
            out[k] = [redact(x) for x in v]
        else:
            out[k] = redact(json.dumps(v, default=str))
    return out


@contextlib.contextmanager
def _span(name: str, attributes: dict) -> Iterator[Any]:
    conversation = _conversation.get()
    if conversation is not None:
        attributes.setdefault(CONVERSATION, conversation[0])
        attributes.setdefault(USER, conversation[1])
    with _tracer.start_as_current_span(name, attributes=_clean(attributes), record_exception=False) as s:
        yield s


def span(name: str, **attributes) -> contextlib.AbstractContextManager:
    """A child span of the current one (a no-op when tracing is off). Set more with ``set_attributes(s, ...)``."""
    if _tracer is None:
        return _NOOP
    return _span(name, attributes)


@contextlib.contextmanager
def _turn(conversation_id: str, user: str, model: str) -> Iterator[Any]:
    token = _conversation.set((conversation_id, user))
    try:
        with _span(
            f"invoke_agent {AGENT}",
            {OPERATION: "invoke_agent", AGENT_NAME: AGENT, REQUEST_MODEL: model},
        ) as s:
            yield s
    finally:
        _conversation.reset(token)


def turn(conversation_id: str, user: str, model: str) -> contextlib.AbstractContextManager:
    """The root span of one underwriter turn; every span opened inside it carries the conversation and user."""
    if _tracer is None:
        return _NOOP
    return _turn(conversation_id, user, model)


def set_attributes(s: Any, **attributes) -> None:
    """Add attributes to a span from ``span()``/``turn()`` (nothing when tracing is off)."""
    if s is not None:
        s.set_attributes(_clean(attributes))


def set_error(s: Any, error_type: str) -> None:
    if s is not None:
        from opentelemetry.trace import Status, StatusCode

        s.set_attribute(ERROR_TYPE, error_type)
        s.set_status(Status(StatusCode.ERROR))


def record_tool(event: Any) -> None:
    """The span of one finished tool call (a ``tools.toolkit.ToolEvent``), with a child span per guard refusal.

    Emitted after the fact with the call's own start and end times, so the boundary keeps its shape.
    """
    if _tracer is None:
        return
    from opentelemetry import trace

    end = time.time_ns()
    start = end - int(event.duration_ms * 1e6)
    attrs = {
        OPERATION: "execute_tool",
        TOOL_NAME: event.tool,
        TOOL_TYPE: "function",
        OUTCOME: "ok" if event.ok else (event.error_kind or "error"),
        DURATION: round(event.duration_ms, 3),
        GUARD: event.guard or None,
    }
    conversation = _conversation.get()
    if conversation is not None:
        attrs.update({CONVERSATION: conversation[0], USER: conversation[1]})
    s = _tracer.start_span(f"execute_tool {event.tool}", attributes=_clean(attrs), start_time=start)
    if not event.ok:
        set_error(s, event.error_kind or "error")
    parent = trace.set_span_in_context(s)
    for verdict in event.guard or []:
        if not verdict.get("allowed", True):
            guard_span("tool_argument", verdict.get("products") or [verdict.get("value")], context=parent, at=end)
    s.end(end_time=end)


def guard_span(where: str, products: list[str], action: str = "rejected", context: Any = None, at: int | None = None):
    """One guard intervention: a product we do not write, caught in a tool argument or an answer."""
    if _tracer is None:
        return
    attrs = {OPERATION: "guard", "uwc.guard.where": where, "uwc.guard.products": [str(p) for p in products]}
    attrs["uwc.guard.action"] = action
    conversation = _conversation.get()
    if conversation is not None:
        attrs.update({CONVERSATION: conversation[0], USER: conversation[1]})
    at = at or time.time_ns()
    s = _tracer.start_span("guard product", context=context, attributes=_clean(attrs), start_time=at)
    s.end(end_time=at)
