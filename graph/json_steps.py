"""UWC_TOOL_CALLING=json: each step asks the model for ONE JSON object, a tool call or the answer, constrained by
a JSON schema the server enforces (llama.cpp and vLLM through ``response_format``, Ollama through ``format``,
OpenAI's structured outputs), so a small model cannot write a malformed call.

The tools are described in the system message instead of the provider's ``tools`` field; earlier calls and
their results go back as those objects and as "Result of <tool>: ..." user messages, which every chat template
renders. ``read_step`` turns the object back into an answer or a call (``graph/llm.py`` runs the call through
the same tool boundary as a native one).
"""

from __future__ import annotations

import json
import re

from graph import prompts
from graph.text_tool_calls import tool_schemas


def step_schema(tools: list[dict], answer: bool = True, calls: bool = True) -> dict:
    """One object: ``{"tool": name, "arguments": {...}}`` for one of ``tools`` (``calls``), or ``{"answer": "..."}``
    (``answer``)."""
    options: list[dict] = [
        {
            "type": "object",
            "properties": {"tool": {"const": name}, "arguments": _loose(schema)},
            "required": ["tool", "arguments"],
            "additionalProperties": False,
        }
        for name, schema in (tool_schemas(tools) if calls else {}).items()
    ]
    if answer:
        options.append(
            {
                "type": "object",
                "properties": {"answer": {"type": "string", "minLength": 1}},
                "required": ["answer"],
                "additionalProperties": False,
            }
        )
    return {"anyOf": options}


def _loose(schema: dict) -> dict:
    """The tool's schema without what grammar builders choke on (descriptions, defaults); limits are kept."""
    if isinstance(schema, dict):
        return {
            k: ({name: _loose(p) for name, p in v.items()} if k == "properties" and isinstance(v, dict) else _loose(v))
            for k, v in schema.items()
            if k not in ("description", "default", "title")
        }
    if isinstance(schema, list):
        return [_loose(v) for v in schema]
    return schema


def response_format(tools: list[dict], answer: bool = True, calls: bool = True) -> dict:
    schema = step_schema(tools, answer, calls)
    return {"type": "json_schema", "json_schema": {"name": "step", "schema": schema, "strict": False}}


def describe(tools: list[dict]) -> str:
    lines = []
    for t in tools:
        fn = t.get("function", t)
        params = _loose(fn.get("parameters") or {})
        first = (fn.get("description") or "").strip().split("\n")[0]
        lines.append(f"- {fn['name']}: {first} {json.dumps(params.get('properties') or {}, separators=(',', ':'))}")
    return prompts.JSON_STEPS.format(tools="\n".join(lines))


def to_json_wire(wire: list[dict], tools: list[dict]) -> list[dict]:
    """Our OpenAI-format history for a server that gets no ``tools``: calls as step objects, results as user text,
    the tools described at the end of the (first) system message."""
    out: list[dict] = []
    names: dict[str, str] = {}
    for m in wire:
        if m["role"] == "assistant" and m.get("tool_calls"):
            steps = []
            for c in m["tool_calls"]:
                names[c["id"]] = c["function"]["name"]
                args = json.loads(c["function"]["arguments"] or "{}")
                steps.append(json.dumps({"tool": c["function"]["name"], "arguments": args}, ensure_ascii=False))
            out.append({"role": "assistant", "content": "\n".join(steps)})
        elif m["role"] == "assistant":
            out.append({"role": "assistant", "content": json.dumps({"answer": m["content"]}, ensure_ascii=False)})
        elif m["role"] == "tool":
            name = names.get(m.get("tool_call_id", ""), "the tool")
            out.append({"role": "user", "content": prompts.JSON_RESULT.format(name=name, content=m["content"])})
        else:
            out.append(dict(m))
    for m in out:
        if m["role"] == "system":
            m["content"] = m["content"] + describe(tools)
            break
    else:
        out.insert(0, {"role": "system", "content": describe(tools).strip()})
    return out


def read_step(content: str) -> dict | None:
    """The step object the model sent (``{"answer"}`` or ``{"tool", "arguments"}``), or None if it is not one."""
    try:
        value = json.loads(content)
    except (json.JSONDecodeError, TypeError, RecursionError):
        return _cut_answer(content)
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("answer"), str):
        return {"answer": value["answer"]}
    if isinstance(value.get("tool"), str) and isinstance(value.get("arguments", {}), dict):
        return {"tool": value["tool"], "arguments": value.get("arguments") or {}}
    return None


_CUT_ANSWER = re.compile(r'\s*\{\s*"answer"\s*:\s*"((?:[^"\\]|\\.)*)', re.S)


def _cut_answer(content) -> dict | None:
    """An answer object cut at the length limit (a small model that loops): the words it had written."""
    m = _CUT_ANSWER.match(content) if isinstance(content, str) else None
    if not m:
        return None
    try:
        words = json.loads(f'"{m.group(1)}"')
    except json.JSONDecodeError:
        words = m.group(1)
    words = " ".join(str(words).split())
    return {"answer": words} if words else None
