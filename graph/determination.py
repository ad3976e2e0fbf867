"""The body of a "determination" decision record (``graph/records.py``): what was decided, on which facts from
where, by which tool calls and rules, with which model, prompt and insurer data.

Built from the turn's typed events and the conversation's user messages only; the one piece of model prose it
keeps, the finding's summary, is scanned by the product guard first (an offer of a product we do not write is
removed, as in an answer), so a memo built from the record never shows unscanned model output.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from core.per_message import Folded, Histories
from core.vocabulary import FACT_KEYS, FACT_LABELS, FACTS, TASKS, VERDICT_FIELDS
from graph import prompts
from tools.applicants import applicant_of

SNIPPET = 160  # characters of the user message a fact was stated in
BARE_ANSWER = 60  # a message this short may be a bare answer ("4.5M", "Texas") to the question for a fact
RESULT_CHARS = 1200  # a tool result longer than this (as JSON) is kept shortened
TOOL_ARGUMENT = "tool argument"
RECORD_NAMES = {"company": "company_name", "applicant_id": "id"}  # what a finding names beyond the facts


def applied_rules(tool: str, result: object) -> list[dict]:
    """The rules a tool's result says it applied (``check_appetite``'s chain), each naming the tool."""
    found = result.get("rules_applied") if isinstance(result, dict) else None
    return [{"tool": tool, **r} if isinstance(r, dict) else {"tool": tool, "rule": r} for r in found or []]


def reason_rule(tool: str, result: object) -> list[dict]:
    """A lookup without a chain (limits, a deductible) as its one rule: its reason, with the sections it rests on."""
    if not isinstance(result, dict) or not result.get("reason"):
        return []
    return [
        {"tool": tool, "rule": tool, "detail": result["reason"], "section": ", ".join(result.get("sections") or [])}
    ]


def line_rules(tool: str, result: object) -> list[dict]:
    """``recommend_lobs`` as a chain: each line it weighed, with its verdict, its reason and its last section (the
    most specific rule the line's appetite chain applied)."""
    if not isinstance(result, dict):
        return []
    weighed = [("yes", result.get("recommended")), ("refer", result.get("need_facts")), ("no", result.get("declined"))]
    return [
        {
            "tool": tool,
            "rule": f"line_{e.get('lob')}",
            "outcome": "unknown" if e.get("status") == "need_facts" else outcome,  # a fact is missing
            "detail": str(e.get("reason") or e.get("decisive") or ""),
            "section": (e.get("sections") or [""])[-1],
        }
        for outcome, entries in weighed
        for e in entries or []
        if isinstance(e, dict)
    ]


def rule_chain(tool: str, result: object) -> list[dict]:
    """The rules one deciding tool call applied, as a memo or a finding card lists them."""
    return applied_rules(tool, result) or line_rules(tool, result) or reason_rule(tool, result)


def prompt_sha256() -> str:
    """sha256 of the system prompt template (``graph/prompts.py`` SYSTEM) in force."""
    return hashlib.sha256(prompts.SYSTEM.encode("utf-8")).hexdigest()


def model_settings(model, settings) -> dict:
    """The model's name and the settings the model layer sends with each call."""
    return {
        "name": getattr(model, "name", None) or settings.model,
        "llm": bool(getattr(model, "is_llm", False)),
        "temperature": settings.temperature,
        "reasoning_effort": settings.reasoning_effort,
        "max_output_tokens": settings.max_output_tokens,
    }


def shortened(result, limit: int = RESULT_CHARS):
    """A tool result as recorded: whole when short, else its JSON cut at ``limit`` characters (marked)."""
    text = json.dumps(result, default=str, ensure_ascii=False, sort_keys=True)
    if len(text) <= limit:
        return json.loads(text)
    return {"shortened": True, "chars": len(text), "json": text[:limit]}


def _snippet(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "…"


def _same(key: str, a, b, catalog) -> bool:
    """Whether two values of fact ``key`` are the same fact ("TX" and "Texas", 4500000 and "$4.5M")."""
    if a is None or b is None:
        return False
    kind = FACTS[key].kind if key in FACTS else "text"
    try:
        if kind == "money":
            from tools.catalog import money

            return money(a, key) == money(b, key)
        if kind == "count":
            return int(float(a)) == int(float(b))
        if kind == "place" and catalog is not None:
            return catalog.state(str(a)) == catalog.state(str(b))
        if kind == "line" and catalog is not None:
            return catalog.find_lob(str(a)) == catalog.find_lob(str(b)) is not None
    except Exception:  # an unreadable value is simply not the same fact
        return False
    return " ".join(str(a).split()).casefold() == " ".join(str(b).split()).casefold()


# Where each fact was first stated, by conversation: a record searches every user message of the conversation for
# each of its facts, and the first message that states a value stays the first as the conversation grows.
_searches = Histories(key=lambda user_messages: tuple(m[0] for m in user_messages[:2]))  # by message id


def _searched(user_messages: list[tuple[str, str]], catalog) -> dict:
    """The searches made over the conversation's user messages (or over fewer of them), for ``_first``."""
    n, whole, kept = _searches.find(tuple(user_messages)) if user_messages else (0, False, None)
    found = dict(kept[1]) if whole and kept is not None and kept[0] is catalog else {}
    if user_messages:
        _searches.keep(tuple(user_messages), (catalog, found))
    return found


def _first(found: dict, what: tuple, count: int, test) -> int | None:
    """The first message index below ``count`` that passes ``test``, resuming where a search over fewer messages
    ended (``test`` must depend on nothing but the message and ``what``)."""
    checked, hit = found.get(what, (0, None))
    if hit is None:
        hit = next((i for i in range(checked, count) if test(i)), None)
    found[what] = (count, hit)
    return hit


def fact_sources(facts: dict, applicant: dict | None, user_messages: list[tuple[str, str]], catalog) -> dict[str, dict]:
    """Each fact's value and where it came from: the applicant record, else the first user message the offline
    fact reader (``graph/offline/facts.py``) reads that value from, else a tool argument (the model's own)."""
    from graph.offline.conversation import RECORD_KEYS
    from graph.offline.reading import read as parse  # each message read once per process

    parsed: dict[tuple[int, str | None], dict] = {}

    def read(i: int, asked: str | None) -> dict:
        if (i, asked) not in parsed:
            try:
                parsed[i, asked] = parse(user_messages[i][1], catalog, asked, copy=False).facts  # (only read here)
            except Exception:  # the reader is a heuristic: a message it cannot read states nothing
                parsed[i, asked] = {}
        return parsed[i, asked]

    found = _searched(user_messages, catalog)
    out: dict[str, dict] = {}
    for key, value in facts.items():
        field = RECORD_KEYS.get(key) or RECORD_NAMES.get(key)
        if applicant and field and _same(key, applicant.get(field), value, catalog):
            out[key] = {"value": value, "source": f"applicant record {applicant.get('id')}"}
            continue
        what, n = (key, type(value).__name__, repr(value)), len(user_messages)
        # First as sentences that state it, then as a bare answer to the question for it ("4.5M", "Texas").
        hit = _first(found, ("stated", *what), n, lambda i, k=key, v=value: _same(k, read(i, None).get(k), v, catalog))
        if hit is None:  # bare answers are short: longer messages were read in the first pass
            hit = _first(
                found,
                ("answered", *what),
                n,
                lambda i, k=key, v=value: (
                    len(user_messages[i][1]) <= BARE_ANSWER and _same(k, read(i, k).get(k), v, catalog)
                ),
            )
        if hit is None and isinstance(value, str) and len(value) >= 3:
            hit = _first(found, ("named", *what), n, lambda i, v=value: v.casefold() in user_messages[i][1].casefold())
        if hit is not None:
            message_id, text = user_messages[hit]
            out[key] = {
                "value": value,
                "source": f"user message {message_id}",
                "message_id": message_id,
                "snippet": _snippet(text),
            }
        else:
            out[key] = {"value": value, "source": TOOL_ARGUMENT}
    return out


@dataclass
class _Before:
    """What a record needs of the successful tool calls before its finding: the names in their results (the first
    ``MAX_NAMES`` distinct ones, as one ``data_names`` walk over them all gives), the latest applicant record and
    the latest call of each tool."""

    names: list[str] = field(default_factory=list)
    applicant: dict | None = None
    last: dict[str | None, dict] = field(default_factory=dict)

    def copy(self) -> _Before:
        return _Before(list(self.names), self.applicant, dict(self.last))


def _add_event(state: _Before, e: dict) -> None:
    from tools.guard import data_names

    if e.get("type") != "tool" or not e.get("ok"):
        return
    data_names(e.get("result"), state.names)
    if app := applicant_of(e):
        state.applicant = app  # (a closest name of another business is not the applicant the record is about)
    state.last[e.get("tool")] = e


# A record reads every earlier event of the conversation: what it needs of them is kept after the events it read last.
_events_before = Folded(_Before, _add_event, _Before.copy)


def _before(finding_event: dict, history: list[dict]) -> _Before:
    """``_Before`` the finding's event (found in the history by identity, else by its call's id, else after all)."""
    at = next((i for i in range(len(history) - 1, -1, -1) if history[i] is finding_event), None)
    if at is None:
        call_id = finding_event.get("tool_call_id")
        at = next(
            (
                i
                for i, e in enumerate(history)
                if call_id and e.get("type") == "tool" and e.get("tool_call_id") == call_id
            ),
            len(history),
        )
    return _events_before(history[:at])


def _guarded_summary(summary: str, catalog, names: list[str]) -> tuple[str, list[str]]:
    from graph.build import remove_offending
    from tools.guard import find_mentions

    mentions = [m for m in find_mentions(summary, catalog, names) if m.offered]
    if not mentions:
        return summary, []
    return remove_offending(summary, mentions), sorted({m.product for m in mentions})


def turn_calls(turn_events: list[dict]) -> list[dict]:
    """The turn's tool calls as a determination records them (the same in each record of the turn)."""
    return [
        {
            "tool": e.get("tool"),
            "tool_call_id": e.get("tool_call_id"),
            "arguments": e.get("arguments"),
            "ok": bool(e.get("ok")),
            "result": shortened(e.get("result")),
        }
        for e in turn_events
        if e.get("type") == "tool"
    ]


def determination_body(
    finding_event: dict,
    *,
    turn_events: list[dict],
    history: list[dict],
    user_messages: list[tuple[str, str]],
    catalog,
    model: dict,
    seed_inputs_sha256: str | None,
    check: dict | None,
    message_id: str | None = None,
    prompt_hash: str | None = None,
    calls: list[dict] | None = None,
) -> dict:
    """The body of one determination record for one successful ``record_finding`` event of a turn.

    ``turn_events``: the turn's events; ``history``: every event of the conversation (earlier turns established
    facts); ``user_messages``: (message id, text) of the conversation's underwriter messages, in order; ``model``:
    ``model_settings``; ``check``: the online check of this finding (``graph/online_checks.py``); ``calls``:
    ``turn_calls(turn_events)``, when the caller writes several records of one turn (each records every call)."""
    finding = finding_event.get("result") or {}
    task = finding.get("task_type")
    before = _before(finding_event, history)
    applicant = before.applicant
    facts: dict = {}
    deciding = TASKS[task].tool if task in TASKS else None
    decisive = before.last.get(deciding)
    if decisive is not None:
        facts.update({k: v for k, v in (decisive.get("arguments") or {}).items() if k in FACT_KEYS and v is not None})
    facts.update({k: v for k, v in (finding.get("facts") or {}).items() if k in FACT_LABELS and v is not None})
    names = before.names
    summary, removed = _guarded_summary(str(finding.get("summary") or ""), catalog, names)
    turn_tools = [e for e in turn_events if e.get("type") == "tool"]
    rules = [r for e in turn_tools if e.get("ok") for r in applied_rules(e["tool"], e.get("result"))]
    if not rules:  # a limits or deductible lookup has one rule: its reason, with the sections it rests on
        rules = [
            r
            for e in turn_tools
            if e.get("ok") and e.get("tool") == deciding
            for r in reason_rule(e["tool"], e.get("result"))
        ]
    return {
        "task_type": task,
        "verdict": {k: finding[k] for k in VERDICT_FIELDS if k in finding},
        "summary": summary,
        "summary_guard": removed,  # products we do not write that were removed from the summary
        "citations": list(finding.get("citations") or []),
        "facts": fact_sources(facts, applicant, user_messages, catalog),
        "applicant_id": applicant.get("id") if applicant else None,
        "tool_calls": turn_calls(turn_events) if calls is None else calls,
        "rules_applied": rules,
        "model": model,
        "prompt_sha256": prompt_hash or prompt_sha256(),
        "seed_inputs_sha256": seed_inputs_sha256,
        "online_check": check,
        "message_id": message_id,
    }
