"""Test doubles at the model seam: scripted tool-calling models and a scripted OpenAI-compatible HTTP server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage


def tool_call(name: str, args: dict, n: int = 1) -> AIMessage:
    return AIMessage("", tool_calls=[{"id": f"call_{name}_{n}", "name": name, "args": args, "type": "tool_call"}])


class ScriptedModel:
    """A model whose next reply is decided by a function of the history (deterministic, restart-safe)."""

    def __init__(self, decide: Callable[[list[BaseMessage]], AIMessage], is_llm: bool = True, name: str = "scripted"):
        self.decide, self.is_llm, self.name = decide, is_llm, name
        self.calls = 0

    def invoke(self, messages, tools, on_token=None) -> AIMessage:
        self.calls += 1
        reply = self.decide(messages)
        if on_token and reply.content:
            on_token(reply.content)
        return reply


def tool_results(messages: list[BaseMessage]) -> list[ToolMessage]:
    return [m for m in messages if isinstance(m, ToolMessage)]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that hung up before the reply (a timeout under test, a stopped turn) is expected here, and the
        # default report would land on stderr in whichever test runs next in this process.
        pass


class LoopbackServer:
    """An HTTP server on a free 127.0.0.1 port, serving from a thread inside a ``with`` block; ``url`` is its base."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self.httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # A short poll interval: shutdown() waits up to one interval, once per test.
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class OpenAIServer(LoopbackServer):
    """An OpenAI-compatible /v1/chat/completions endpoint on 127.0.0.1 that plays scripted replies.

    ``script(request_json) -> dict`` returns {"content": str} or {"tool_calls": [(name, args)]} or
    {"status": 500} for a failure; "chunk_delay" (seconds) slows a streamed reply down. Requests are kept in ``requests`` for assertions.
    """

    def __init__(self, script: Callable[[dict], dict]):
        self.script, self.requests = script, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"body": body, "headers": dict(self.headers)})
                reply = server.script(body)
                if reply.get("status"):
                    self.send_response(reply["status"])
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(
                        json.dumps({"error": {"message": "scripted failure", "type": "server_error"}}).encode()
                    )
                    return
                calls = [
                    {
                        "id": f"call_{i}_{len(server.requests)}",
                        "type": "function",
                        "function": {"name": n, "arguments": json.dumps(a)},
                    }
                    for i, (n, a) in enumerate(reply.get("tool_calls", []))
                ]
                usage = {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
                if body.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    base = {
                        "id": "chatcmpl-1",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": body["model"],
                    }
                    chunks = []
                    if reply.get("content"):
                        for word in reply["content"].split(" "):
                            chunks.append(
                                {
                                    "choices": [
                                        {
                                            "index": 0,
                                            "delta": {"role": "assistant", "content": word + " "},
                                            "finish_reason": None,
                                        }
                                    ]
                                }
                            )
                    for i, c in enumerate(calls):
                        chunks.append(
                            {
                                "choices": [
                                    {"index": 0, "delta": {"tool_calls": [{"index": i, **c}]}, "finish_reason": None}
                                ]
                            }
                        )
                    chunks.append(
                        {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls" if calls else "stop"}]}
                    )
                    chunks.append({"choices": [], "usage": usage})
                    for ch in chunks:
                        self.wfile.write(f"data: {json.dumps({**base, **ch})}\n\n".encode())
                        time.sleep(reply.get("chunk_delay", 0))  # a slow provider, e.g. to stop a turn mid-way
                    self.wfile.write(b"data: [DONE]\n\n")
                    return
                message = {"role": "assistant", "content": reply.get("content")}
                if calls:
                    message["tool_calls"] = calls
                payload = {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body["model"],
                    "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
                    "usage": usage,
                }
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(Handler)
        self.url += "/v1"
