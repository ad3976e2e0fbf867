"""The context budget: fit a conversation (OpenAI-format messages) into a model's window.

What is kept, in order of importance: the system prompt; the facts and findings of the conversation; the
current turn; the most recent turns. Tool results of older turns are shrunk to their essentials on every call
(a 13 KB guideline search or a 15 KB SQL result is read once, not re-sent all conversation long); when the
request still does not fit, the oldest turns are dropped whole (a tool call never loses its result) and a short
note of the facts and findings they held takes their place. Token counts come from the caller (litellm's
counter in ``graph/llm.py``), so this module stays free of provider code.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from core.vocabulary import FACT_KEYS
from graph import prompts

RECENT_TURNS = 1  # turns whose tool results are sent whole (besides the current one)
DETAILED_TURNS = 8  # turns older than this keep only the underwriter's words and the answer
ESSENTIAL_CHARS = 400
FACT_ARGS = set(FACT_KEYS) | {"company"}


def _turns(messages: list[dict]) -> tuple[list[dict], list[list[dict]]]:
    """(leading system messages, turns), a turn starting at a user message."""
    head: list[dict] = []
    turns: list[list[dict]] = []
    for m in messages:
        if m["role"] == "system" and not turns:
            head.append(m)
        elif m["role"] == "user" or not turns:
            turns.append([m])
        else:
            turns[-1].append(m)
    return head, turns


def essentials(value, depth: int = 0):
    """The small part of a tool result worth re-reading later: scalars, ids, short strings, first few items."""
    if isinstance(value, dict):
        return {k: essentials(v, depth + 1) for k, v in list(value.items())[:12] if not _bulky(v, depth)}
    if isinstance(value, list):
        head = [essentials(v, depth + 1) for v in value[:3]]
        return head + ([f"… {len(value) - 3} more"] if len(value) > 3 else [])
    if isinstance(value, str) and len(value) > 80:
        return value[:77] + "…"
    return value


def _bulky(value, depth: int) -> bool:
    return depth >= 2 and isinstance(value, (dict, list))


def shrink_tool_content(content: str) -> str:
    if len(content) <= ESSENTIAL_CHARS:
        return content
    try:
        small = json.dumps(essentials(json.loads(content)), ensure_ascii=False)
    except (json.JSONDecodeError, TypeError):
        small = content[:ESSENTIAL_CHARS]
    if len(small) > ESSENTIAL_CHARS:
        small = small[: ESSENTIAL_CHARS - 1] + "…"
    return small + prompts.SHRUNK_MARK


def _shrink_turn(turn: list[dict]) -> list[dict]:
    return [{**m, "content": shrink_tool_content(m["content"])} if m["role"] == "tool" else m for m in turn]


def _collapse_turn(turn: list[dict]) -> list[dict]:
    """Only what was said: the underwriter's message and the answers, no tool calls or results."""
    return [m for m in turn if m["role"] == "user" or (m["role"] == "assistant" and not m.get("tool_calls"))]


def memory_note(dropped: list[list[dict]]) -> str | None:
    """Facts and findings of dropped turns, so the model still knows what was established."""
    facts: dict = {}
    findings: list[str] = []
    for turn in dropped:
        for m in turn:
            for call in m.get("tool_calls") or []:
                try:
                    args = json.loads(call["function"]["arguments"] or "{}")
                except (json.JSONDecodeError, TypeError):
                    continue
                if not isinstance(args, dict):
                    continue
                if call["function"]["name"] == "record_finding":
                    verdict = {k: v for k, v in args.items() if k not in ("summary",) and v not in (None, [], "")}
                    findings.append(json.dumps(verdict, ensure_ascii=False)[:300])
                facts.update({k: v for k, v in args.items() if k in FACT_ARGS and isinstance(v, (str, int, float))})
    if not facts and not findings:
        return None
    return prompts.EARLIER_CONTEXT.format(
        facts=", ".join(f"{k}={v}" for k, v in facts.items()) or "none",
        findings="; ".join(findings[-4:]) or "none",
    )


def fit(messages: list[dict], count: Callable[[list[dict]], int], limit: int) -> tuple[list[dict], dict]:
    """``messages`` fitted under ``limit`` tokens as counted by ``count``; returns (messages, report).

    The report says how many tokens are sent and how many turns were shrunk or dropped.
    """
    head, full = _turns(messages)
    n = len(full)
    turns = [
        t if i >= n - RECENT_TURNS - 1 else _shrink_turn(t) if i >= n - DETAILED_TURNS else _collapse_turn(t)
        for i, t in enumerate(full)
    ]
    # Facts and findings of collapsed turns live on in the note (their tool calls are no longer sent).
    folded = [t for i, t in enumerate(full) if i < n - DETAILED_TURNS]
    dropped: list[list[dict]] = []

    def assemble() -> list[dict]:
        note = memory_note(folded + dropped)
        extra = [{"role": "system", "content": note}] if note else []
        return head + extra + [m for t in turns for m in t]

    out = assemble()
    tokens = count(out)
    while tokens > limit and len(turns) > 1:
        dropped.append(turns.pop(0))
        out = assemble()
        tokens = count(out)
    if tokens > limit:  # the current turn alone is too big: shrink its tool results too...
        turns = [_shrink_turn(t) for t in turns]
        out = assemble()
        tokens = count(out)
        while dropped:  # ...and bring back the most recent dropped turns that fit again
            turns.insert(0, _shrink_turn(dropped.pop()))
            candidate = assemble()
            candidate_tokens = count(candidate)
            if candidate_tokens > limit:
                dropped.append(turns.pop(0))
                break
            out, tokens = candidate, candidate_tokens
    return out, {"tokens": tokens, "dropped_turns": len(dropped), "limit": limit}
