"""A request-validating mock of three provider APIs on 127.0.0.1, scriptable to behave the way real servers do.

Endpoints: OpenAI chat completions (``/v1/chat/completions``, streamed and not), Anthropic Messages
(``/v1/messages``, streamed and not) and Ollama (``/api/chat``, NDJSON stream or not). Every request is checked
the way the provider checks it, and a request the provider would reject is answered with the provider's 400
and kept in ``violations`` (tests assert it stays empty):

- OpenAI: an assistant message without tool calls needs content (no ``null``); every tool call is answered by
  exactly one tool message with its id before the next user or assistant message; no orphan tool messages;
  ``temperature`` other than 1 is refused for reasoning models (gpt-5*, o1/o3/o4*).
- Anthropic: an API key and a version header; ``max_tokens``; no system role inside ``messages``; roles
  alternate starting with user; no empty content; each ``tool_use`` is answered in the next user message by a
  ``tool_result`` with its id, and ``tool_result`` blocks come first in that message.
- Ollama: roles, tool-call arguments as objects; a prompt larger than ``options.num_ctx`` (2048 when unset) is
  silently truncated, as Ollama does: recorded in ``truncated``.

``script(call) -> Reply`` decides each answer from the validated request (``call.provider``, ``call.body``).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes import LoopbackServer

REASONING_MODELS = re.compile(r"^(gpt-5|o1|o3|o4)")
OLLAMA_DEFAULT_CTX = 2048


@dataclass
class Reply:
    """One scripted answer. ``tool_calls`` are (name, arguments): a dict is sent as JSON, a str as is."""

    content: str = ""
    tool_calls: list[tuple[str, Any]] = field(default_factory=list)
    finish: str | None = None  # default: "tool_calls" when there are calls, else "stop"
    status: int | None = None  # an HTTP error instead of an answer
    error: str = "scripted failure"
    error_code: str | None = None
    headers: dict = field(default_factory=dict)
    html: bool = False  # a proxy's HTML page (HTTP 200) instead of JSON
    usage: bool = True  # send token usage (a usage chunk when streaming)
    ids: bool = True  # streamed tool calls carry ids
    hang: float = 0.0  # seconds of silence before the answer (or, with stall_after, mid-stream)
    stall_after: int | None = None  # streamed: send this many chunks, then go silent for ``hang``
    chunk_size: int = 0  # streamed: split tool-call arguments into chunks of this many characters


@dataclass
class Call:
    provider: str  # "openai" | "anthropic" | "ollama"
    path: str
    body: dict
    headers: dict


def approx_tokens(body: dict) -> int:
    """A provider-independent size of a request: about four characters a token."""
    return len(json.dumps(body.get("messages", []))) // 4 + len(json.dumps(body.get("system", ""))) // 4


# --- validation -------------------------------------------------------------------------------------------


def validate_openai(body: dict) -> list[str]:
    problems = []
    model = body.get("model", "")
    if REASONING_MODELS.match(model) and body.get("temperature") not in (None, 1, 1.0):
        problems.append(f"Unsupported value: 'temperature' does not support {body['temperature']} with this model")
    pending: dict[str, int] = {}
    seen_ids: set[str] = set()
    for i, m in enumerate(body.get("messages") or []):
        role = m.get("role")
        if role not in ("system", "developer", "user", "assistant", "tool"):
            problems.append(f"messages[{i}].role {role!r} is invalid")
            continue
        if role in ("user", "assistant") and pending:
            problems.append(f"messages[{i}]: tool_call_ids {sorted(pending)} did not have response messages")
            pending = {}
        if role == "assistant":
            calls = m.get("tool_calls") or []
            if m.get("content") is None and not calls:
                problems.append(f"messages[{i}]: assistant content is null and there are no tool_calls")
            for c in calls:
                cid = c.get("id")
                if not cid or cid in seen_ids:
                    problems.append(f"messages[{i}]: tool call id {cid!r} missing or repeated")
                if not isinstance((c.get("function") or {}).get("arguments"), str):
                    problems.append(f"messages[{i}]: tool call arguments must be a string")
                seen_ids.add(cid)
                pending[cid] = i
        elif role == "tool":
            cid = m.get("tool_call_id")
            if cid not in pending:
                problems.append(f"messages[{i}]: tool message {cid!r} answers no preceding tool call")
            pending.pop(cid, None)
            if not isinstance(m.get("content"), str):
                problems.append(f"messages[{i}]: tool content must be a string")
        elif m.get("content") in (None, ""):
            problems.append(f"messages[{i}]: {role} content is empty")
    if pending:
        problems.append(f"tool_call_ids {sorted(pending)} did not have response messages")
    return problems


def validate_anthropic(body: dict, headers: dict) -> list[str]:
    problems = []
    if not headers.get("x-api-key"):
        problems.append("x-api-key header is required")
    if not headers.get("anthropic-version"):
        problems.append("anthropic-version header is required")
    if not isinstance(body.get("max_tokens"), int):
        problems.append("max_tokens: field required")
    messages = body.get("messages") or []
    if not messages or messages[0].get("role") != "user":
        problems.append("messages: first message must use the user role")
    expected_results: set[str] = set()
    for i, m in enumerate(messages):
        role, content = m.get("role"), m.get("content")
        if role not in ("user", "assistant"):
            problems.append(f"messages.{i}.role: {role!r} (system goes in the top-level system field)")
        if i and messages[i - 1].get("role") == role:
            problems.append(f"messages.{i}: roles must alternate between user and assistant")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
        if not blocks or any(b.get("type") == "text" and not (b.get("text") or "").strip() for b in blocks):
            if not (role == "assistant" and i == len(messages) - 1):
                problems.append(f"messages.{i}: content must be non-empty")
        results = [b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"]
        if expected_results:
            kinds = [b.get("type") for b in blocks]
            n = len(results)
            if role != "user" or set(results) != expected_results or kinds[:n] != ["tool_result"] * n:
                problems.append(
                    f"messages.{i}: tool_use ids {sorted(expected_results)} must be answered by tool_result "
                    "blocks at the start of the next user message"
                )
            expected_results = set()
        elif results:
            problems.append(f"messages.{i}: tool_result {results} without a preceding tool_use")
        if role == "assistant":
            expected_results = {b.get("id") for b in blocks if b.get("type") == "tool_use"}
            for b in blocks:
                if b.get("type") == "tool_use" and not isinstance(b.get("input"), dict):
                    problems.append(f"messages.{i}: tool_use.input must be an object")
    if expected_results:
        problems.append(f"tool_use ids {sorted(expected_results)} were never answered")
    return problems


def validate_ollama(body: dict) -> list[str]:
    problems = []
    for i, m in enumerate(body.get("messages") or []):
        if m.get("role") not in ("system", "user", "assistant", "tool"):
            problems.append(f"messages[{i}].role {m.get('role')!r} is invalid")
        for c in m.get("tool_calls") or []:
            if not isinstance((c.get("function") or {}).get("arguments"), dict):
                problems.append(f"messages[{i}]: tool call arguments must be an object")
    return problems


# --- answers ----------------------------------------------------------------------------------------------


def _args_text(args: Any) -> str:
    return args if isinstance(args, str) else json.dumps(args)


def _pieces(text: str, size: int) -> list[str]:
    if not size:
        return [text]
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _finish(reply: Reply) -> str:
    return reply.finish or ("tool_calls" if reply.tool_calls else "stop")


USAGE = {"prompt_tokens": 1200, "completion_tokens": 40}
# Streamed pieces: words, with reasoning tags as their own tokens (as qwen3 and deepseek-r1 stream them).
_WORDS = re.compile(r"</?think>\s*|(?:(?!</?think>)\S)+\s*")


class ProviderMock(LoopbackServer):
    """``with ProviderMock(script) as mock:`` serves until the block ends; ``mock.url`` is the base URL."""

    def __init__(self, script: Callable[[Call], Reply]):
        self.script = script
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.truncated: list[int] = []  # Ollama requests whose prompt exceeded num_ctx (indexes into calls)
        self._n = 0
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                headers = {k.lower(): v for k, v in self.headers.items()}
                path = self.path.split("?")[0]
                mock.serve(self, path, body, headers)

        super().__init__(Handler)

    def bodies(self, provider: str | None = None) -> list[dict]:
        return [c.body for c in self.calls if provider in (None, c.provider)]

    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n:04d}"

    # -- dispatch --

    def serve(self, h, path: str, body: dict, headers: dict) -> None:
        if path.endswith("/chat/completions"):
            provider, problems = "openai", validate_openai(body)
        elif path.endswith("/messages"):
            provider, problems = "anthropic", validate_anthropic(body, headers)
        elif path.endswith("/api/chat"):
            provider, problems = "ollama", validate_ollama(body)
        else:
            return self._send(h, 404, {"error": {"message": f"no route {path}", "type": "not_found"}})
        call = Call(provider, path, body, headers)
        self.calls.append(call)
        if problems:
            self.violations.extend(problems)
            return self._error(h, provider, 400, "; ".join(problems), "invalid_request_error")
        if provider == "ollama":
            ctx = (body.get("options") or {}).get("num_ctx") or OLLAMA_DEFAULT_CTX
            if approx_tokens(body) + len(json.dumps(body.get("tools") or [])) // 4 > ctx:
                self.truncated.append(len(self.calls) - 1)
        reply = self.script(call)
        if reply.hang and reply.stall_after is None:
            time.sleep(reply.hang)
        if reply.html:
            return self._send(h, 200, "<html><body><h1>Sign in to the proxy</h1></body></html>", "text/html")
        if provider == "ollama" and body.get("think") is not None:  # Ollama separates or drops reasoning itself
            reply = Reply(
                **{**reply.__dict__, "content": re.sub(r"<think>.*?</think>\s*", "", reply.content, flags=re.S)}
            )
        if reply.status:
            return self._error(h, provider, reply.status, reply.error, reply.error_code, reply.headers)
        stream = bool(body.get("stream")) if provider != "ollama" else body.get("stream", True) is not False
        getattr(self, f"_{provider}")(h, body, reply, stream)

    # -- transport helpers --

    def _send(self, h, status: int, payload, ctype: str = "application/json", headers: dict | None = None) -> None:
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, str(v))
        h.end_headers()
        h.wfile.write(data)

    def _error(self, h, provider, status, message, code=None, headers=None) -> None:
        if provider == "anthropic":
            kind = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error"}.get(
                status, "rate_limit_error" if status == 429 else "api_error"
            )
            payload = {"type": "error", "error": {"type": kind, "message": message}}
        elif provider == "ollama":
            payload = {"error": message}
        else:
            payload = {"error": {"message": message, "type": code or "server_error", "code": code}}
        self._send(h, status, payload, headers=headers)

    def _stream(self, h, items: list[str], reply: Reply, ctype: str) -> None:
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        for i, item in enumerate(items):
            if reply.stall_after is not None and i == reply.stall_after:
                time.sleep(reply.hang)
                return  # the server went silent and then dropped the connection
            h.wfile.write(item.encode())
            h.wfile.flush()

    # -- OpenAI --

    def _openai(self, h, body, reply: Reply, stream: bool) -> None:
        calls = [(self._id("call_"), n, _args_text(a)) for n, a in reply.tool_calls]
        usage = {**USAGE, "total_tokens": sum(USAGE.values())}
        if not stream:
            message = {"role": "assistant", "content": reply.content or None}
            if calls:
                message["tool_calls"] = [
                    {"id": i, "type": "function", "function": {"name": n, "arguments": a}} for i, n, a in calls
                ]
            payload = {
                "id": "chatcmpl-mock",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [{"index": 0, "message": message, "finish_reason": _finish(reply)}],
            }
            if reply.usage:
                payload["usage"] = usage
            return self._send(h, 200, payload)
        base = {"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1, "model": body["model"]}

        def chunk(delta: dict, finish=None) -> str:
            return (
                f"data: {json.dumps({**base, 'choices': [{'index': 0, 'delta': delta, 'finish_reason': finish}]})}\n\n"
            )

        items = [chunk({"role": "assistant", "content": ""})]
        for word in _WORDS.findall(reply.content):
            items.append(chunk({"content": word}))
        for k, (cid, name, args) in enumerate(calls):
            head = {"index": k, "type": "function", "function": {"name": name, "arguments": ""}}
            if reply.ids:
                head["id"] = cid
            items.append(chunk({"tool_calls": [head]}))
            for piece in _pieces(args, reply.chunk_size):
                items.append(chunk({"tool_calls": [{"index": k, "function": {"arguments": piece}}]}))
        items.append(chunk({}, _finish(reply)))
        if reply.usage and (body.get("stream_options") or {}).get("include_usage"):
            items.append(f"data: {json.dumps({**base, 'choices': [], 'usage': usage})}\n\n")
        items.append("data: [DONE]\n\n")
        self._stream(h, items, reply, "text/event-stream")

    # -- Anthropic --

    def _anthropic(self, h, body, reply: Reply, stream: bool) -> None:
        blocks: list[dict] = []
        if reply.content:
            blocks.append({"type": "text", "text": reply.content})
        for name, args in reply.tool_calls:
            blocks.append({"type": "tool_use", "id": self._id("toolu_"), "name": name, "input": args})
        stop = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}[_finish(reply)]
        usage = {"input_tokens": USAGE["prompt_tokens"], "output_tokens": USAGE["completion_tokens"]}
        message = {
            "id": "msg_mock",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": blocks,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": usage if reply.usage else {"input_tokens": 0, "output_tokens": 0},
        }
        if not stream:
            return self._send(h, 200, message)

        def event(name: str, data: dict) -> str:
            return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n"

        items = [event("message_start", {"message": {**message, "content": [], "stop_reason": None}})]
        for i, b in enumerate(blocks):
            if b["type"] == "text":
                items.append(event("content_block_start", {"index": i, "content_block": {"type": "text", "text": ""}}))
                for word in _WORDS.findall(b["text"]):
                    items.append(
                        event("content_block_delta", {"index": i, "delta": {"type": "text_delta", "text": word}})
                    )
            else:
                start = {**b, "input": {}}
                items.append(event("content_block_start", {"index": i, "content_block": start}))
                text = _args_text(b["input"])
                for piece in _pieces(text, reply.chunk_size):
                    delta = {"type": "input_json_delta", "partial_json": piece}
                    items.append(event("content_block_delta", {"index": i, "delta": delta}))
            items.append(event("content_block_stop", {"index": i}))
        out = {"output_tokens": usage["output_tokens"] if reply.usage else 0}
        items.append(event("message_delta", {"delta": {"stop_reason": stop, "stop_sequence": None}, "usage": out}))
        items.append(event("message_stop", {}))
        self._stream(h, items, reply, "text/event-stream")

    # -- Ollama --

    def _ollama(self, h, body, reply: Reply, stream: bool) -> None:
        calls = [{"function": {"name": n, "arguments": a}} for n, a in reply.tool_calls]
        done = {"done": True, "done_reason": "length" if reply.finish == "length" else "stop"}
        if reply.usage:
            done.update(prompt_eval_count=USAGE["prompt_tokens"], eval_count=USAGE["completion_tokens"])
        base = {"model": body["model"], "created_at": "2026-01-01T00:00:00Z"}
        if not stream:
            message = {"role": "assistant", "content": reply.content}
            if calls:
                message["tool_calls"] = calls
            return self._send(h, 200, {**base, "message": message, **done})
        items = []
        for word in _WORDS.findall(reply.content):
            items.append(json.dumps({**base, "message": {"role": "assistant", "content": word}, "done": False}))
        if calls:
            items.append(
                json.dumps(
                    {**base, "message": {"role": "assistant", "content": "", "tool_calls": calls}, "done": False}
                )
            )
        items.append(json.dumps({**base, "message": {"role": "assistant", "content": ""}, **done}))
        self._stream(h, [i + "\n" for i in items], reply, "application/x-ndjson")
