"""Tool calls a model wrote as text: recovered, checked against the tool schemas, never shown as the answer.

Small open models, Ollama or vLLM setups with imperfect chat templates, and proxies often put a call in the
message text instead of structured ``tool_calls``. ``recover(text, tools)`` reads the common forms:

- Qwen/Hermes ``<tool_call>{...}</tool_call>`` tags and Llama's ``<|python_tag|>{...}``;
- a fenced ```json block or a bare object ``{"name": ..., "arguments": {...}}`` (also ``parameters``, and the
  OpenAI ``{"function": {"name", "arguments"}}`` shape, arguments as an object or a JSON string);
- a list of such objects, or ``{"tool_calls": [...]}``;
- a reply that is nothing but one tool's arguments: only that tool takes all its keys, and they validate.

Only a call to a tool we have is a call: anything else that merely looks like one stays text and is answered as
text. Each call says whether its arguments validate against the tool's JSON schema; the caller passes an invalid
one to the tool boundary, which refuses it with a hint the model can act on, so it never runs.

``Holdback`` is the streaming side: text that may open a call is held back until the reply is complete, then
shown only if no call was recovered from it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

MAX_TEXT_CHARS = 60_000  # a longer reply is read as text (a call is short; bounds the scan)
MAX_CANDIDATES = 64  # JSON openings tried in one reply

_TAGGED = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)
_PYTHON_TAG = re.compile(r"<\|python_tag\|>\s*(.*?)\s*(?:<\|eom_id\|>|<\|eot_id\|>|$)", re.S)
_FENCED = re.compile(r"```[ \t]*(?:json|JSON|tool_call|tool_code)?[ \t]*\n?(.*?)(?:```|$)", re.S)
_JSON_START = re.compile(r"[{\[]")
_NAME_KEYS = ("name", "tool", "tool_name", "function")
_ARG_KEYS = ("arguments", "parameters", "args", "input")


@dataclass(frozen=True)
class TextCall:
    name: str
    arguments: dict
    valid: bool
    error: str | None = None  # why the arguments do not fit the schema


@dataclass(frozen=True)
class Recovered:
    calls: list[TextCall]
    text: str  # the reply without the calls (a sentence before them, say); often empty


def tool_schemas(tools: list[dict]) -> dict[str, dict]:
    """Tool name -> JSON schema of its arguments, from OpenAI-format tool definitions."""
    out = {}
    for t in tools or []:
        fn = t.get("function", t)
        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
            out[fn["name"]] = fn.get("parameters") or {"type": "object", "properties": {}}
    return out


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator  # here: only a model's reply is checked (the offline model's never)

    return Draft202012Validator(json.loads(schema_json))


def check_arguments(schema: dict, arguments: dict) -> str | None:
    """None when ``arguments`` validate against ``schema``, else the first error in one line."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    error = next(iter(validator.iter_errors(arguments)), None)
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{where + ': ' if where else ''}{error.message}"[:300]


def _as_call(value, schemas: dict[str, dict]) -> tuple[str, dict] | None:
    """(name, arguments) when ``value`` is a call to one of our tools."""
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("function"), dict):  # OpenAI's {"type": "function", "function": {...}}
        value = value["function"]
    name = next((value[k] for k in _NAME_KEYS if isinstance(value.get(k), str)), None)
    if name is None or name not in schemas:
        return None
    present = [k for k in _ARG_KEYS if k in value]
    if len(present) > 1 or set(value) - {*_NAME_KEYS, *_ARG_KEYS, "type", "id"}:
        return None
    args = value[present[0]] if present else {}
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except json.JSONDecodeError:
            return None
    if args is None:
        args = {}
    return (name, args) if isinstance(args, dict) else None


def _calls_in(value, schemas: dict[str, dict]) -> list[tuple[str, dict]] | None:
    """The calls one JSON value holds (one, a list, or ``{"tool_calls": [...]}``), or None if it is not calls."""
    if isinstance(value, dict) and set(value) == {"tool_calls"}:
        value = value["tool_calls"]
    if isinstance(value, list):
        calls = [_as_call(v, schemas) for v in value]
        return [c for c in calls if c is not None] if value and all(calls) else None
    call = _as_call(value, schemas)
    return [call] if call else None


def _bare_arguments(value, schemas: dict[str, dict]) -> list[tuple[str, dict]] | None:
    """A reply that is only one tool's arguments: exactly one tool takes all its keys, and it has them all right."""
    if not isinstance(value, dict) or not value:
        return None
    takers = [n for n, schema in schemas.items() if set(value) <= set(schema.get("properties") or {})]
    if len(takers) != 1:
        return None
    schema = schemas[takers[0]]
    if not schema.get("required") or check_arguments(schema, value) is not None:
        return None
    return [(takers[0], value)]


def _json_values(text: str) -> list[tuple[int, int, object]]:
    """Top-level JSON objects and arrays in ``text`` with their spans, left to right, not overlapping."""
    decoder = json.JSONDecoder()
    out: list[tuple[int, int, object]] = []
    i, tried = 0, 0
    while tried < MAX_CANDIDATES:
        m = _JSON_START.search(text, i)
        if m is None:
            break
        tried += 1
        try:
            value, end = decoder.raw_decode(text, m.start())
        except (json.JSONDecodeError, RecursionError):
            i = m.start() + 1
            continue
        if isinstance(value, (dict, list)):
            out.append((m.start(), end, value))
        i = end
    return out


def _spans(text: str) -> list[tuple[int, int, str]]:
    """Where calls may be written: (start, end, the inner text to read as JSON)."""
    spans: list[tuple[int, int, str]] = []
    for rx in (_TAGGED, _PYTHON_TAG, _FENCED):
        for m in rx.finditer(text):
            if not any(a <= m.start() < b for a, b, _ in spans):
                spans.append((m.start(), m.end(), m.group(1)))
    return sorted(spans)


def recover(text: str, tools: list[dict]) -> Recovered | None:
    """The tool calls written in ``text``, or None when it holds none (it is then answered as text)."""
    if not text or len(text) > MAX_TEXT_CHARS:
        return None
    schemas = tool_schemas(tools)
    if not schemas:
        return None
    found: list[tuple[int, int, list[tuple[str, dict]]]] = []
    marked = _spans(text)
    for start, end, inner in marked:
        values = _json_values(inner)
        calls = [c for _, _, v in values for c in (_calls_in(v, schemas) or [])]
        if calls:
            found.append((start, end, calls))
    # Bare objects outside the marked spans.
    for start, end, value in _json_values(text):
        if any(a <= start < b for a, b, _ in marked):
            continue
        bare_calls = _calls_in(value, schemas)
        if bare_calls:
            found.append((start, end, bare_calls))
    if not found:
        only = _only_value(text, marked)
        bare = _bare_arguments(only, schemas) if only is not None else None
        if not bare:
            return None
        found = [(0, len(text), bare)]
    found.sort()
    rest, pos = [], 0
    for start, end, _ in found:
        rest.append(text[pos:start])
        pos = max(pos, end)
    rest.append(text[pos:])
    recovered = []
    for _, _, pairs in found:
        for name, args in pairs:
            error = check_arguments(schemas[name], args)
            recovered.append(TextCall(name, args, error is None, error))
    return Recovered(recovered, _tidy("".join(rest)))


def _only_value(text: str, marked: list[tuple[int, int, str]]):
    """The one JSON object the whole reply consists of (fenced or not), else None."""
    body = text.strip()
    if len(marked) == 1:
        start, end, inner = marked[0]
        if not text[:start].strip() and not text[end:].strip():
            body = inner.strip()
    try:
        value = json.loads(body)
    except (json.JSONDecodeError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def is_blank(text: str) -> bool:
    """Nothing said: no text, or only an empty JSON object or list (fenced or not), as a small model replies."""
    body = re.sub(r"```[a-zA-Z_]*", "", text or "").strip()
    return body in ("", "{}", "[]", '""')


def _tidy(text: str) -> str:
    text = re.sub(r"</?tool_call>|<\|python_tag\|>|<\|eom_id\|>|<\|eot_id\|>|```[a-zA-Z_]*", "", text)
    return text.strip() if re.search(r"[A-Za-z0-9]", text) else ""


# --- streaming --------------------------------------------------------------------------------------------

_OPENERS = ("```", "<tool_call>", "<|python_tag|>", "{")


class Holdback:
    """Passes streamed text on until something that may open a tool call, then holds the rest of the reply.

    ``finish(show)`` ends the reply: the held text is passed on when ``show`` (no call was recovered), else
    dropped. A ``[`` is held only while it may open a list of calls (``[{``), so ``[section-id]`` streams.
    """

    def __init__(self, emit: Callable[[str], None] | None):
        self.emit, self.pending, self.holding = emit, "", False

    def feed(self, text: str) -> None:
        self.pending += text
        if self.holding or not self.emit:
            return
        at = _opening(self.pending)
        if at is not None:
            self._out(self.pending[:at])
            self.pending, self.holding = self.pending[at:], True
            return
        keep = _partial_tail(self.pending)
        self._out(self.pending[: len(self.pending) - keep])
        self.pending = self.pending[len(self.pending) - keep :]

    def finish(self, show: bool = True, text: str | None = None) -> None:
        """End of the reply: pass on what is held (or ``text`` instead) when ``show``."""
        held, self.pending, self.holding = self.pending, "", False
        if show:
            self._out(held if text is None else text)

    @property
    def held(self) -> bool:
        return self.holding

    def _out(self, text: str) -> None:
        if text and self.emit:
            self.emit(text)


def _opening(text: str) -> int | None:
    hits = [i for i in (text.find(o) for o in _OPENERS) if i >= 0]
    for m in re.finditer(r"\[\s*\{", text):
        hits.append(m.start())
        break
    return min(hits) if hits else None


def _partial_tail(text: str) -> int:
    """How many characters at the end may be the start of an opener (kept until the next chunk says)."""
    m = re.search(r"\[\s*$", text)
    if m:
        return len(text) - m.start()
    for n in range(min(len(text), max(len(o) for o in _OPENERS) - 1), 0, -1):
        if any(o.startswith(text[-n:]) for o in _OPENERS):
            return n
    return 0
