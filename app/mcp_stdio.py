"""``uwc mcp`` over stdio, where every request gets a reply.

The SDK's stdio transport turns a line it cannot read as a JSON-RPC message (invalid JSON, a lone surrogate such
as ``\\ud800``, nesting deeper than its parser goes, ``"params": "x"``) into an exception the server only logs, so
the client waits forever for that request. Here each such line is answered with a JSON-RPC error: parse error
(-32700) or invalid request (-32600), with the request's id when it can be read and ``null`` otherwise, as the
JSON-RPC spec asks. A line over ``MAX_LINE_CHARS`` is refused while it is read. Replies go through the SDK's own
writer, so frames never interleave.
"""

from __future__ import annotations

import json
import re
import sys
from collections import deque
from typing import Any, TextIO

import anyio
import mcp_types as types
from mcp.shared.message import SessionMessage
from pydantic import ValidationError

# One message: a submission's file as base64 (app/mcp_server.py MAX_SUBMIT_CHARS) and its envelope. A longer line
# is refused while it is read, a chunk at a time, so it never sits in memory whole (a 300 MB line took 1.3 GB).
MAX_LINE_CHARS = 32 * 1024 * 1024
_SKIP_CHUNK = 1024 * 1024
_HIGH, _LOW = r"\\u[dD][89abAB][0-9a-fA-F]{2}", r"\\u[dD][c-fC-F][0-9a-fA-F]{2}"
_LONE_SURROGATE = re.compile(f"{_HIGH}(?!{_LOW})|(?<!{_HIGH}){_LOW}")  # an escape of half a UTF-16 pair


class LineTooLong(ValueError):
    """A line longer than ``MAX_LINE_CHARS``: refused as it is read."""


class _Lines:
    """stdin as the SDK reads it (``async for line``), noting in order each line its parser will refuse; a line
    over ``MAX_LINE_CHARS`` is skipped to its end unread and handed on as an empty line, answered as too long."""

    def __init__(self, file: Any):
        self._file = file
        self.refused: deque[tuple[str, Exception]] = deque()

    def __aiter__(self) -> _Lines:
        return self

    async def _read(self, size: int) -> str:  # anyio's async file has no size limit on readline
        return await anyio.to_thread.run_sync(self._file.readline, size)

    async def __anext__(self) -> str:
        line = await self._read(MAX_LINE_CHARS + 1)
        if not line:
            raise StopAsyncIteration
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            del line  # dropped before reading on
            while True:
                chunk = await self._read(_SKIP_CHUNK)
                if not chunk or chunk.endswith("\n"):
                    break
            self.refused.append(("\n", LineTooLong(f"the message is over {MAX_LINE_CHARS:,} characters")))
            return "\n"  # the SDK refuses it too, so its error pairs with this note
        try:  # the very call the SDK's reader makes, so both refuse the same lines
            types.jsonrpc_message_adapter.validate_json(line, by_name=False)
        except Exception as exc:
            self.refused.append((line, exc))
        return line


class _Answering:
    """The SDK's read stream without the lines it could not read: each of those is answered instead."""

    def __init__(self, inner: Any, write: Any, lines: _Lines):
        self._inner, self._write, self._lines = inner, write, lines

    async def receive(self) -> SessionMessage:
        while True:
            item = await self._inner.receive()
            if not isinstance(item, Exception):
                return item
            line, exc = self._lines.refused.popleft() if self._lines.refused else ("", item)
            await self._write.send(SessionMessage(error_reply(line, exc)))

    def __aiter__(self) -> _Answering:
        return self

    async def __anext__(self) -> SessionMessage:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _Answering:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @property
    def last_context(self):  # the sender's context variables, which the SDK's dispatcher carries over
        return getattr(self._inner, "last_context", None)


def _request_id(line: str) -> int | str | None:
    try:
        message = json.loads(line)  # Python's parser reads lone surrogates and deep nesting the SDK's refuses
    except (ValueError, RecursionError):
        return None
    rid = message.get("id") if isinstance(message, dict) else None
    return rid if isinstance(rid, str) or (isinstance(rid, int) and not isinstance(rid, bool)) else None


def error_reply(line: str, exc: Exception) -> types.JSONRPCError:
    """The JSON-RPC error answering ``line``, which the SDK refused with ``exc``."""
    if isinstance(exc, LineTooLong):
        return types.JSONRPCError(
            jsonrpc="2.0", id=None, error=types.ErrorData(code=types.INVALID_REQUEST, message=f"Invalid request: {exc}")
        )
    problems = exc.errors() if isinstance(exc, ValidationError) else []
    unreadable = [p for p in problems if p["type"] == "json_invalid"]
    if unreadable or not problems:
        if _LONE_SURROGATE.search(line):
            reason = "a string holds a lone UTF-16 surrogate escape (such as \\ud800), which is not Unicode text"
        elif unreadable and "recursion limit" in unreadable[0]["msg"]:
            reason = "the message nests deeper than this server reads"
        else:
            reason = unreadable[0]["msg"] if unreadable else "not a JSON-RPC message"
        code, message = types.PARSE_ERROR, f"Parse error: {reason}"
    else:
        # A union over request, notification, response and error: a line with a method is judged as a request.
        branch = [p for p in problems if p["loc"] and p["loc"][0] == "JSONRPCRequest"] or problems
        where = ".".join(str(x) for x in branch[0]["loc"][1:]) or "message"
        code, message = types.INVALID_REQUEST, f"Invalid request: {where}: {branch[0]['msg']}"
    return types.JSONRPCError(
        jsonrpc="2.0", id=_request_id(line), error=types.ErrorData(code=code, message=message[:500])
    )


def serve(server, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
    """Serve ``server`` on ``stdin``/``stdout`` (default: this process's) until the input ends."""
    from mcp.server.stdio import stdio_server

    async def main() -> None:
        # Invalid UTF-8 bytes become U+FFFD, as in the SDK's own reader; closing this file leaves fd 0 open.
        source = stdin or open(sys.stdin.fileno(), encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
        lines = _Lines(source)
        sink = anyio.wrap_file(stdout) if stdout is not None else None
        async with stdio_server(stdin=lines, stdout=sink) as (read, write):  # type: ignore[arg-type]  # lines only
            await server.run(_Answering(read, write, lines), write, server.create_initialization_options())

    anyio.run(main)
