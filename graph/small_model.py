"""UWC_PROFILE=small: the harness that lets a small open model (1-3B parameters) run the tool loop.

Measured with Qwen2.5-Coder-1.5B (docs/measuring.md, issue 26): with the full prompt and fifteen tool schemas
(~3,800 tokens) such a model invents the facts it passes (the NAICS code of a description's example, a revenue
nobody gave), answers "please ask the underwriter" instead of asking, and writes answers the reader cannot
grade. The harness keeps the model on what it does well, choosing the tool for the question, and lets code
do what it does badly:

- a short prompt and only the deciding tools, each described in one sentence with no example to copy and
  without the applicant facts among its arguments (``lean_tools``);
- arguments grounded (``Grounding.ground``): every applicant fact a tool takes comes from what the
  conversation establishes (the offline reader, ``graph/offline/conversation.py``), never from the model's
  guess; a fact nobody stated is dropped, so the tool asks for it; a NAICS code is taken from the classifier
  when only a description was given;
- a tool that needs facts gets its question asked by code, with no model call (``question``);
- the determination is written from the tool's typed result when the model's words do not state it or
  contradict it (``checked_answer``), and recorded as the finding by code (``finding_args``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from core.vocabulary import FACTS, TASKS
from graph.offline.conversation import asked_in, read_conversation
from graph.offline.facts import QUESTION_VARIANTS, says_unknown
from graph.online_checks import answer_mismatches, stated_verdict
from graph.state import current_turn, kind, meta
from tools.applicants import established_applicant

# The tools a small model is shown: the six deciding tools, the applicant look-up and the guideline search.
LEAN_TOOLS = (
    "find_applicant",
    "check_appetite",
    "recommend_lobs",
    "check_small_business",
    "get_limits",
    "get_deductible",
    "classify_business",
    "search_guidelines",
)
TOOL_TASK = {spec.tool: task for task, spec in TASKS.items()}
FACT_ARGS = ("naics", "state", "lob", "annual_revenue", "employees", "annual_payroll", "vehicles", "construction")
REQUESTED_LINE = "requested_lob"  # the line applied for, asked in its own words (facts.QUESTION_VARIANTS)
MAX_QUESTIONS = 2  # facts asked in one message (an underwriter answers a couple at a time)


def lean_tools(schemas: list[dict]) -> list[dict]:
    """The deciding tools with one-sentence descriptions, no examples, and no applicant facts among their
    arguments: the harness fills them from the conversation (each generated token costs 0.5-3 s on a shared CPU)."""
    out = []
    by_name = {t["function"]["name"]: t for t in schemas}
    for fn in (by_name[n]["function"] for n in LEAN_TOOLS if n in by_name):
        params = fn.get("parameters") or {}
        props = {}
        for name, p in (params.get("properties") or {}).items():
            if name == "k" or name in FACT_ARGS or name == "exclude_lob":
                continue  # the harness fills every applicant fact; a small model writing them is slow and invents
            words = re.sub(r"\s*\(e\.g\.[^)]*\)", "", str(p.get("description", "")))
            props[name] = {"type": "string", "description": words} if words else {"type": "string"}
        required = [r for r in params.get("required") or [] if r not in FACT_ARGS and r in props]
        words = re.sub(r"\s*\(e\.g\.[^)]*\)", "", " ".join((fn.get("description") or "").split()))
        first = re.split(r"(?<=[.:])\s", words, maxsplit=1)[0].rstrip(":")
        out.append(
            {
                "type": "function",
                "function": {
                    "name": fn["name"],
                    "description": first,
                    "parameters": {"type": "object", "properties": props, "required": required},
                },
            }
        )
    return out


def _result(m: BaseMessage) -> dict:
    try:
        value = json.loads(m.content) if isinstance(m.content, str) else None
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def needs_of(result: dict) -> list[str]:
    """The facts a tool result says it needs (``recommend_lobs`` says it per line)."""
    needs = list(result.get("needs") or [])
    for line in result.get("need_facts") or []:
        needs += [n for n in line.get("needs") or [] if n not in needs]
    return [n for n in needs if n in FACTS or n == REQUESTED_LINE]


def fact_of(need: str) -> str:
    """The fact a need asks for (the line applied for is the line)."""
    return QUESTION_VARIANTS[need][0] if need in QUESTION_VARIANTS else need


def verdict_of(task: str, result: dict) -> dict | None:
    """The verdict fields a deciding tool's result carries, or None when it decided nothing."""
    if task == "appetite":
        return {"appetite": result["appetite"]} if result.get("appetite") in ("yes", "no", "qualified") else None
    if task == "small_business":
        return {"small_business": result["small_business"]} if isinstance(result.get("small_business"), bool) else None
    if task in ("policy_limits", "deductible"):
        fields = TASKS[task].verdict
        return {f: result[f] for f in fields} if all(result.get(f) is not None for f in fields) else None
    if task == "product_recommendation":
        return {"lobs": sorted(r["lob"] for r in result.get("recommended") or [])} if "recommended" in result else None
    if task == "classification":
        cands = result.get("candidates") or []
        return {"naics": cands[0]["naics"]} if cands else None
    return None


def written_answer(task: str, result: dict, catalog) -> str:
    """The determination in words, from the tool's typed result: what a small model's unreadable answer is
    replaced with."""
    cite = " ".join(f"[{s}]" for s in result.get("sections") or [])
    if task == "classification":
        top = (result.get("candidates") or [{}])[0]
        others = ", ".join(f"{c['naics']} {c['title']}" for c in (result.get("candidates") or [])[1:3])
        text = f"The closest NAICS code is {top.get('naics')} ({top.get('title')})."
        text += f" Other candidates: {others}." if others else ""
        return f"{text} {cite}".strip()
    if task == "product_recommendation":
        rec = result.get("recommended") or []
        if not rec:
            return f"No other line is in appetite for this applicant. {cite}".strip()
        names = ", ".join(r.get("name") or catalog.lobs.get(r["lob"], r["lob"]) for r in rec)
        secs = sorted({s for r in rec for s in r.get("sections") or []})
        return f"Lines to offer: {names}. " + " ".join(f"[{s}]" for s in secs)
    reason = str(result.get("reason") or "").strip()
    return f"{reason} {cite}".strip()


def depends_answer(task: str, result: dict, unknown: list[str]) -> tuple[str, dict | None]:
    """The answer when the facts a rule needs are not known: what it depends on (appetite: qualified)."""
    words = " and ".join(FACTS[n].words for n in unknown)
    cite = " ".join(f"[{s}]" for s in result.get("sections") or [])
    reason = str(result.get("reason") or "").strip()
    if task == "appetite":
        return f"Qualified: it depends on {words}. {reason} {cite}".strip(), {"appetite": "qualified"}
    return f"It depends on {words}, which is not known. {reason} {cite}".strip(), None


def checked_answer(task: str, verdict: dict, answer: str, result: dict, catalog) -> tuple[str, bool]:
    """The model's answer when it states the tool's verdict, else the answer written from the result.
    Returns (answer, rewritten)."""
    finding = {"task_type": task, **verdict}
    if (
        answer.strip()
        and stated_verdict(task, answer, catalog)
        and not answer_mismatches(task, finding, answer, catalog)
    ):
        return answer, False
    return written_answer(task, result, catalog), True


def finding_args(task: str, verdict: dict, answer: str, result: dict, facts: dict) -> dict:
    sections = list(result.get("sections") or [])
    if task == "product_recommendation":
        sections = sorted({s for r in result.get("recommended") or [] for s in r.get("sections") or []})
    return {
        "task_type": task,
        "summary": answer[:500],
        "citations": sections,
        **verdict,
        "facts": {k: v for k, v in facts.items() if k in FACT_ARGS and v not in (None, "")},
    }


@dataclass
class Grounded:
    args: dict  # (a non-object the model sent goes on as sent: the boundary says what is wrong)
    dropped: dict  # argument -> the model's value nobody stated
    ask: list[str]  # facts to ask for instead of calling (the tool cannot run without them)


class Grounding:
    """Tool arguments from what the conversation establishes."""

    def __init__(self, toolkit):
        self.toolkit = toolkit
        self.catalog = toolkit.ctx.catalog
        self._records: dict[str, dict] = {}  # name or id -> the applicant record's facts ({} when none matches)

    def facts(self, messages: Sequence[BaseMessage]) -> tuple[dict, set, str | None]:
        """(facts known, facts the underwriter does not know, the task the conversation is about)."""
        conv = read_conversation(list(messages), self.catalog)
        known = {}
        asked = {c["id"]: c["args"] for m in messages if isinstance(m, AIMessage) for c in m.tool_calls}
        for m in messages:  # an applicant record found by find_applicant
            if isinstance(m, ToolMessage) and m.name == "find_applicant":
                app = established_applicant(asked.get(m.tool_call_id) or {}, _result(m))
                if isinstance(app, dict):
                    known.update(_record_facts(app))
        if not known and (named := conv.applicant_id or conv.company):
            known.update(self._record(named))  # named, but the model did not look it up
        known.update({k: v for k, v in conv.stated.items() if v not in (None, "")})
        unknown = set(conv.unknown)
        if "description" in unknown and "description" not in known and (said := _described(messages)):
            known["description"] = said  # the reader took a long description for "don't know"
            unknown.discard("description")
        return known, unknown, conv.task

    def ground(self, name: str, args: object, messages: Sequence[BaseMessage]) -> Grounded:
        if name not in TOOL_TASK or not isinstance(args, dict):
            return Grounded(args if isinstance(args, dict) else {}, {}, [])
        known, unknown, _ = self.facts(messages)
        spec = TASKS[TOOL_TASK[name]]
        takes = set(spec.needs) | set(spec.figures) | ({"exclude_lob"} if spec.leaves_out_line else set())
        out: dict = {}
        dropped: dict = {}
        for key, value in args.items():
            if key in FACT_ARGS or key == "exclude_lob":
                continue
            out[key] = value  # not an applicant fact (a description to classify)
        for key in sorted(takes):
            fact = "lob" if key == "exclude_lob" else key
            if fact in known:
                out[key] = known[fact]
            elif args.get(key) not in (None, "") and _seen(args[key], key, messages):
                out[key] = args[key]  # a code or figure from a tool result or the underwriter's words
            elif args.get(key) not in (None, ""):
                dropped[key] = args[key]
        if name == "classify_business":  # what the business does, in the underwriter's words, never the model's
            said = out.pop("description", None)
            if known.get("description"):
                out["description"] = known["description"]
            elif said not in (None, "") and _seen(said, "description", messages):
                out["description"] = said
            elif said not in (None, ""):
                dropped["description"] = said
        if "naics" in spec.needs and "naics" not in out and known.get("description"):
            code = self._classified(known["description"])
            if code:
                out["naics"] = code
        ask = [f for f in spec.needs if f not in out and f not in unknown]
        if "naics" in ask or ("description" in ask):
            ask = ["description"] + [f for f in ask if f not in ("naics", "description")]
        if spec.leaves_out_line and "exclude_lob" not in out and "lob" not in unknown:
            ask.append(REQUESTED_LINE)  # the line applied for is left out of the answer
        return Grounded(out, dropped, ask[:MAX_QUESTIONS])

    def _record(self, name: str) -> dict:
        if name not in self._records:
            event = self.toolkit.call("find_applicant", {"name_or_id": name})
            app = established_applicant({"name_or_id": name}, event.result) if event.ok else None
            self._records[name] = _record_facts(app) if isinstance(app, dict) else {}
        return self._records[name]

    def _classified(self, description: str) -> str | None:
        event = self.toolkit.call("classify_business", {"description": description[:2000]})
        cands = event.result.get("candidates") if event.ok and isinstance(event.result, dict) else None
        return cands[0]["naics"] if cands else None


def _record_facts(app: dict) -> dict:
    keys = {"naics_code": "naics", "state": "state", "requested_lob": "lob", "description": "description"}
    keys |= {k: k for k in ("annual_revenue", "employees", "annual_payroll", "vehicles", "construction")}
    return {fact: app[k] for k, fact in keys.items() if app.get(k) not in (None, "")}


def _seen(value, key: str, messages: Sequence[BaseMessage]) -> bool:
    """A value the model passed appears in the conversation (a code a tool returned, a figure as typed)."""
    if key in ("lob", "exclude_lob"):
        return True  # the line is named in the question; the tool normalises and refuses an unknown one
    text = str(value).strip().lower()
    if not text:
        return False
    digits = re.sub(r"\D", "", text)
    for m in messages:
        body = m.content if isinstance(m.content, str) else ""
        if isinstance(m, AIMessage):
            continue  # the model's own words ground nothing
        low = body.lower()
        if text in low or (key == "naics" and len(digits) == 6 and digits in low):
            return True
    return False


def without_harness_findings(messages: list[BaseMessage]) -> list[BaseMessage]:
    """The history without the findings the harness recorded (a call the model was never offered)."""
    ids = {c["id"] for m in messages if isinstance(m, AIMessage) and kind(m) == "finding_by_code" for c in m.tool_calls}
    return [
        m
        for m in messages
        if not (isinstance(m, AIMessage) and kind(m) == "finding_by_code")
        and not (isinstance(m, ToolMessage) and m.tool_call_id in ids)
    ]


def _described(messages: Sequence[BaseMessage]) -> str | None:
    """The underwriter's last answer to our description question, when it says nothing of not knowing."""
    for i in range(len(messages) - 1, 0, -1):
        m, before = messages[i], messages[i - 1]
        if isinstance(m, HumanMessage) and isinstance(before, AIMessage) and asked_in(before) == "description":
            text = m.content if isinstance(m.content, str) else ""
            return text if len(text.split()) >= 4 and not says_unknown(text) else None
    return None


def required_step(messages: Sequence[BaseMessage]) -> str | None:
    """What the model's next step must be: a tool call at a turn's start, the answer once a deciding tool decided."""
    turn = current_turn(messages)
    if not any(isinstance(m, AIMessage) and m.tool_calls for m in turn):
        return "tool"
    last = [m for m in turn if isinstance(m, ToolMessage)][-1:]
    for m in last:
        if m.name in TOOL_TASK and m.status != "error":
            result = _result(m)
            if verdict_of(TOOL_TASK[str(m.name)], result) is not None and result.get("status") != "need_facts":
                return "answer"
    return None


def resumed_call(messages: Sequence[BaseMessage]) -> AIMessage | None:
    """The call to make again, without the model, when the underwriter answers the question a tool asked (a reply
    with no question of its own): its facts are filled from the conversation."""
    if not messages or not isinstance(messages[-1], HumanMessage):
        return None
    text = messages[-1].content if isinstance(messages[-1].content, str) else ""
    before = next((m for m in reversed(messages[:-1]) if isinstance(m, AIMessage)), None)
    tool = meta(before).get("tool") if before is not None and kind(before) == "asked" else None
    if not tool or "?" in text:
        return None
    digest = hashlib.blake2b(f"{len(messages)}:{text}".encode(), digest_size=6).hexdigest()
    call = {"id": f"resumed-{digest}", "name": tool, "args": {}, "type": "tool_call"}
    return AIMessage("", tool_calls=[call], additional_kwargs={"uwc": {"kind": "resumed"}})


def question(facts: list[str]) -> str:
    return " ".join(QUESTION_VARIANTS[f][1] if f in QUESTION_VARIANTS else FACTS[f].question for f in facts)
