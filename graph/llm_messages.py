"""What goes into and comes out of the model layer, free of provider calls: our history in OpenAI format,
tool-call arguments, reasoning blocks, streams with a stall timeout, text already shown, continued answers.
"""

from __future__ import annotations

import json
import queue
import re
import threading
from collections.abc import Callable, Iterator

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from graph.llm_errors import FirstChunkTimeout, StreamStalled
from graph.state import meta

_THINK = re.compile(r"<think>.*?(?:</think>\s*|$)", re.S)


def strip_think(text: str) -> str:
    """Text without qwen3/deepseek-style ``<think>`` blocks (an unclosed one runs to the end)."""
    return _THINK.sub("", text or "").strip() if "<think>" in (text or "") else (text or "")


class ThinkFilter:
    """Streaming counterpart of ``strip_think``: feed chunks, get the visible part, tags split across chunks."""

    def __init__(self):
        self.inside, self.pending = False, ""

    def feed(self, text: str) -> str:
        self.pending += text
        out = []
        while self.pending:
            tag = "</think>" if self.inside else "<think>"
            i = self.pending.find(tag)
            if i >= 0:
                if not self.inside:
                    out.append(self.pending[:i])
                self.pending = self.pending[i + len(tag) :]
                self.inside = not self.inside
                continue
            keep = next((n for n in range(len(tag) - 1, 0, -1) if self.pending.endswith(tag[:n])), 0)
            if not self.inside:
                out.append(self.pending[: len(self.pending) - keep])
            self.pending = self.pending[len(self.pending) - keep :]
            break
        return "".join(out)


def to_openai(messages: list[BaseMessage]) -> list[dict]:
    """Our history in OpenAI format, valid for every provider: no assistant message without content or tool
    calls (``null`` content breaks OpenAI), no reasoning blocks, tool-call arguments always a JSON object."""
    out = []
    for m in messages:
        if isinstance(m, SystemMessage):
            out.append({"role": "system", "content": m.content})
        elif isinstance(m, HumanMessage):
            out.append({"role": "user", "content": m.content})
        elif isinstance(m, ToolMessage):
            content = m.content if isinstance(m.content, str) else json.dumps(m.content)
            out.append({"role": "tool", "tool_call_id": m.tool_call_id, "content": content})
        elif isinstance(m, AIMessage):
            text = strip_think(m.content if isinstance(m.content, str) else "")
            if not text and not m.tool_calls:
                continue
            msg: dict = {"role": "assistant", "content": text or None}
            if m.tool_calls:
                msg["tool_calls"] = [
                    {
                        "id": c["id"],
                        "type": "function",
                        "function": {"name": c["name"], "arguments": json.dumps(c["args"] or {})},
                    }
                    for c in m.tool_calls
                ]
            out.append(msg)
    return out


def parse_arguments(raw) -> tuple[dict, str | None]:
    """(arguments, raw text when they are not a JSON object): the raw text goes to the tool boundary to refuse."""
    if isinstance(raw, dict):
        return raw, None
    try:
        value = json.loads(raw) if raw else {}
    except (json.JSONDecodeError, TypeError):
        return {}, str(raw)
    return (value, None) if isinstance(value, dict) else ({}, str(raw))


def raw_arguments(message: BaseMessage) -> dict[str, str]:
    """Tool-call id -> arguments exactly as the model sent them, for calls whose arguments were not an object."""
    return meta(message).get("raw_args", {})


# --- streaming --------------------------------------------------------------------------------------------


def iterate_with_stall(items, first: float, stall: float, on_abandon: Callable[[], None] | None = None) -> Iterator:
    """Iterate ``items`` on a helper thread: ``FirstChunkTimeout`` when nothing came within ``first`` seconds (a
    timeout, not retried), ``StreamStalled`` after ``stall`` seconds of silence later on (retried). ``on_abandon``
    is called when we stop waiting (it closes the connection)."""
    q: queue.Queue = queue.Queue()

    def pump():
        try:
            for item in items:
                q.put(("item", item))
            q.put(("end", None))
        except BaseException as exc:  # handed to the caller's thread
            q.put(("error", exc))

    threading.Thread(target=pump, daemon=True).start()
    wait, started = first, False
    while True:
        try:
            kind, item = q.get(timeout=wait)
        except queue.Empty:
            if on_abandon is not None:
                on_abandon()
            if not started:
                raise FirstChunkTimeout(f"no first chunk within {wait:g} s") from None
            raise StreamStalled(f"no data for {wait:g} s") from None
        if kind == "end":
            return
        if kind == "error":
            raise item
        yield item
        wait, started = stall, True


class ShownText:
    """The text already passed on in one invoke, so a retry after a broken stream does not show it twice."""

    def __init__(self):
        self.text = ""

    def sink(self, on_token, retrying: bool):
        if on_token is None:
            return None
        seen, attempt = (self.text if retrying else ""), {"text": ""}

        def emit(token: str) -> None:
            before = attempt["text"]
            attempt["text"] += token
            if retrying and len(before) < len(seen):
                if seen.startswith(attempt["text"]):
                    return  # the user already saw this part of the answer
                if attempt["text"].startswith(seen):
                    token = attempt["text"][len(seen) :]
            if token:
                self.text += token
                on_token(token)

        return emit


def join_continued(pieces: list[str]) -> str:
    """An answer continued after a length cut: a space at the seam unless one is there or punctuation follows."""
    text = pieces[0]
    for piece in pieces[1:]:
        seam = text[-1:].isspace() or piece[:1].isspace() or piece[:1] in ".,;:!?)" or not piece
        text += piece if seam else " " + piece
    return text
