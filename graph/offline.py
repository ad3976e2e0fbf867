"""``OfflineRulesModel``: a deterministic stand-in for an LLM that answers the six underwriting questions.

It has the model interface the graph calls (``invoke(messages, tools, on_token) -> AIMessage``) and is stateless:
every call re-reads the whole conversation (the underwriter's messages, its own earlier questions and the tool
results) and decides the one next step:

1. find the applicant when a company or applicant id is named (``find_applicant``);
2. get a 2022 NAICS code (stated, from the applicant record, via ``get_naics`` for an older code, or
   ``classify_business`` on what the business does);
3. ask for the facts the task's tool needs, one question at a time (state, line of business);
4. call the task's domain tool with every fact known; ask the question a ``need_facts`` result names, unless the
   underwriter already said they do not know it;
5. call ``record_finding`` with the verdict, then answer: determination, reason with figures, [section ids].

Text parsing lives in ``graph/facts.py``. Private memory in ``additional_kwargs["uwc"]`` (``asked``, ``task``) is a
convenience only: the question text itself is enough to know what was asked.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from graph import prompts
from graph.facts import FACT_WORDS, QUESTIONS, expand_abbreviations, parse
from graph.state import kind, meta
from tools.errors import InvalidArgument

DOMAIN_TOOL = {"appetite": "check_appetite", "product_recommendation": "recommend_lobs", "small_business": "check_small_business",
               "policy_limits": "get_limits", "deductible": "get_deductible"}
REQUIRED = {"appetite": ("state", "lob"), "product_recommendation": ("state",), "small_business": (),
            "policy_limits": ("lob",), "deductible": ("lob",), "classification": ()}
FIGURES = ("annual_revenue", "employees", "annual_payroll", "vehicles", "construction")
RECORD_KEYS = {"naics": "naics_code", "state": "state", "lob": "requested_lob", "annual_revenue": "annual_revenue",
               "employees": "employees", "annual_payroll": "annual_payroll", "vehicles": "vehicles",
               "construction": "construction", "description": "description"}
MAX_MISSES = 2  # a question that went unanswered twice counts as "don't know"
CLOSE_SCORE = 0.0006  # classification candidates this close in score: mention the runner-up
FUZZY_ACCEPT = 0.85  # a "closest name" applicant match is used only when the names are this similar


@dataclass
class Call:
    name: str
    args: dict
    ok: bool
    result: dict


def _usd(n) -> str:
    return f"${int(n):,}"


def _cite(sections) -> str:
    return " ".join(f"[{s}]" for s in sections)


def _squash(name: str) -> str:
    words = re.findall(r"[a-z0-9&]+", (name or "").lower())
    return " ".join(w for w in words if w not in ("llc", "inc", "co", "corp", "ltd", "the", "company"))


def asked_in(message: AIMessage) -> str | None:
    """The fact an answer of ours asked for: our memory if present, else the question's own words."""
    if kind(message) in ("error", "limit"):
        return None
    asked = meta(message).get("asked")
    if asked:
        return asked
    text = message.content if isinstance(message.content, str) else ""
    for fact, question in QUESTIONS.items():
        if question in text:
            return fact
    return None


@dataclass
class Conversation:
    """What the messages establish: task, facts (stated, from the applicant record, from tools), this turn's calls."""

    catalog: object
    task: str | None = None
    stated: dict = field(default_factory=dict)
    company: str | None = None
    applicant_id: str | None = None
    unknown: set = field(default_factory=set)
    misses: dict = field(default_factory=dict)
    lookups: dict = field(default_factory=dict)  # find_applicant query -> (ok, result)
    classified: dict = field(default_factory=dict)  # description -> classify_business result
    naics_lookups: dict = field(default_factory=dict)  # code -> (ok, get_naics result)
    n_calls: int = 0
    # the current turn
    parsed: object = None
    asked: str | None = None
    calls: list = field(default_factory=list)
    has_content: bool = False

    # --- reading the history ---------------------------------------------------------------------------
    def on_human(self, text: str, asked: str | None) -> None:
        p = parse(text, self.catalog, asked)
        self.parsed, self.asked, self.calls = p, asked, []
        if p.applicant_id and p.applicant_id != self.applicant_id:
            if self.record is not None and self.record["id"] != p.applicant_id:
                self._reset()
            self.applicant_id = p.applicant_id
        elif p.company and not self._same_company(p.company):
            if self.record is not None or self.company:
                self._reset()
            self.company = p.company
        if p.task is None and self.task is None and asked is None and "lob" in p.facts and (p.company or p.applicant_id or "?" in text or "description" in p.facts or "naics" in p.facts):
            p.task = "appetite"  # "Check APP-0017 for GL", "Acme Roofing LLC, general liability"
        answered = asked is not None and asked in p.facts
        switch = p.task is not None and p.task != self.task
        if p.task and (asked is None or "?" in text or not (answered or p.unknown)):
            self.task = p.task
        else:
            switch = False
        for k, v in p.facts.items():
            self.stated[k] = v
            self.unknown.discard(k)
            self.misses.pop(k, None)
        if asked and not answered:
            if p.unknown:
                self.unknown.add(asked)
            elif not switch:
                self.misses[asked] = self.misses.get(asked, 0) + 1
                if self.misses[asked] >= MAX_MISSES:
                    self.unknown.add(asked)
        self.has_content = bool(p.task or p.facts or p.company or p.applicant_id or p.not_written or asked)

    def on_tool(self, name: str, args: dict, ok: bool, result: dict) -> None:
        self.calls.append(Call(name, args, ok, result))
        if name == "find_applicant":
            self.lookups[args.get("name_or_id")] = (ok, result)
        elif name == "classify_business":  # a failure is kept too: never the same call twice
            self.classified[args.get("description")] = result if ok else {"candidates": []}
        elif name == "get_naics":
            self.naics_lookups[args.get("code")] = (ok, result)

    def _reset(self) -> None:
        self.stated, self.unknown, self.misses = {}, set(), {}
        self.company = self.applicant_id = None

    def _same_company(self, name: str) -> bool:
        new = _squash(name)
        known = [_squash(self.company or "")]
        if self.record is not None:
            known.append(_squash(self.record["company_name"]))
        return any(k and (new in k or k in new) for k in known)

    # --- facts -----------------------------------------------------------------------------------------
    @property
    def ident(self) -> str | None:
        return self.applicant_id or self.company

    @property
    def record(self) -> dict | None:
        """The applicant record for the named company or id, when the lookup found exactly that applicant."""
        for q in (self.applicant_id, self.company):
            if q and q in self.lookups:
                ok, result = self.lookups[q]
                app = result.get("applicant") if ok else None
                if app:
                    if "note" not in result or difflib.SequenceMatcher(None, _squash(q), _squash(app["company_name"])).ratio() >= FUZZY_ACCEPT:
                        return app
        return None

    def fact(self, key: str):
        if key in self.stated:
            return self.stated[key]
        rec = self.record
        if rec is not None and key in RECORD_KEYS and rec.get(RECORD_KEYS[key]) is not None:
            if key == "construction":
                return self._record_construction(rec)
            return rec[RECORD_KEYS[key]]
        return None

    def _record_construction(self, rec: dict) -> str | None:
        try:
            self.catalog.construction(rec["construction"])
            return rec["construction"]
        except (InvalidArgument, TypeError):
            return f"Type {rec['construction_type']}" if rec.get("construction_type") else None

    @property
    def who(self) -> str:
        rec = self.record
        if rec is not None:
            return rec["company_name"]
        return self.company or "this business"

    def naics(self) -> tuple[str | None, tuple | None]:
        """The 2022 code, or the tool call that gets it."""
        titles = self.catalog.naics_titles
        code = self.stated.get("naics")
        if code:
            if code in titles:
                return code, None
            if code not in self.naics_lookups:
                return None, ("get_naics", {"code": code})
            ok, res = self.naics_lookups[code]
            maps = (res.get("maps_to_2022") or []) if ok else []
            if len(maps) == 1:
                return maps[0]["code"], None
        rec = self.record
        if rec is not None:
            return rec["naics_code"], None
        desc = self.stated.get("description")
        if desc:
            key = expand_abbreviations(desc)
            if key not in self.classified:
                return None, ("classify_business", {"description": key})
            cands = self.classified[key].get("candidates") or []
            if cands:
                return cands[0]["naics"], None
        return None, None

    def turn_result(self, name: str, args: dict) -> Call | None:
        return next((c for c in self.calls if c.name == name and c.args == args), None)


def read_conversation(messages: list[BaseMessage], catalog) -> Conversation:
    conv = Conversation(catalog)
    pending: dict[str, tuple[str, dict]] = {}
    last_asked = None
    for m in messages:
        if isinstance(m, SystemMessage):
            continue
        if isinstance(m, HumanMessage):
            if kind(m) == "guard_correction":
                continue
            conv.on_human(m.content if isinstance(m.content, str) else str(m.content), last_asked)
            last_asked = None
        elif isinstance(m, AIMessage):
            if m.tool_calls:
                for c in m.tool_calls:
                    pending[c["id"]] = (c["name"], c.get("args") or {})
                    conv.n_calls += 1
            else:
                last_asked = asked_in(m)
        elif isinstance(m, ToolMessage):
            name, args = pending.get(m.tool_call_id, (m.name or "", {}))
            try:
                result = json.loads(m.content) if isinstance(m.content, str) else {}
            except json.JSONDecodeError:
                result = {"error": str(m.content)}
            if not isinstance(result, dict):
                result = {"value": result}
            conv.on_tool(name, args, m.status != "error" and "error" not in result, result)
    return conv


# --- the decision ---------------------------------------------------------------------------------------
@dataclass
class Step:
    """One decision: a tool call, or a final text (with the fact it asks for, if it is a question)."""

    tool: str | None = None
    args: dict | None = None
    text: str = ""
    asked: str | None = None


class OfflineRulesModel:
    name = "offline"
    is_llm = False

    def __init__(self, catalog):
        self.catalog = catalog

    # The graph's model interface.
    def invoke(self, messages: list[BaseMessage], tools: list[dict] | None = None, on_token=None) -> AIMessage:
        conv = read_conversation(messages, self.catalog)
        step = self.decide(conv)
        memory = {"task": conv.task} if conv.task else {}
        if step.tool:
            call = {"id": f"call_{conv.n_calls + 1}", "name": step.tool, "args": step.args or {}, "type": "tool_call"}
            return AIMessage("", tool_calls=[call], additional_kwargs={"uwc": memory})
        if step.asked:
            memory["asked"] = step.asked
        if on_token:
            on_token(step.text)
        return AIMessage(step.text, additional_kwargs={"uwc": memory})

    # --- helpers -------------------------------------------------------------------------------------
    def help_text(self) -> str:
        return prompts.OFFLINE_HELP.format(insurer=self.catalog.insurer, lobs=", ".join(self.catalog.lobs.values()))

    def lob_name(self, code: str | None) -> str:
        return self.catalog.lobs.get(code, code or "")

    def title(self, code: str) -> str:
        return self.catalog.naics_titles.get(code, "")

    def _notes(self, conv: Conversation) -> list[str]:
        """What this turn's lookups found, said once in the turn's answer or question."""
        notes = []
        for c in conv.calls:
            if c.name == "find_applicant":
                q = c.args.get("name_or_id")
                rec = conv.record
                if c.ok and rec is not None and q in (conv.applicant_id, conv.company):
                    notes.append(f"I found {rec['company_name']} ({rec['id']}): NAICS {rec['naics_code']} {self.title(rec['naics_code'])}, "
                                 f"{self.catalog.states.get(rec['state'], rec['state'])}, asking for {self.lob_name(rec['requested_lob'])}.")
                elif c.ok and c.result.get("candidates"):
                    seen = dict.fromkeys(f"{x['company_name']} ({x['id']})" for x in c.result["candidates"][:5])
                    names = "; ".join(seen)
                    notes.append(f"I did not find one applicant named '{q}' (closest: {names}).")
                else:
                    notes.append(f"I did not find an applicant named '{q}' in our submissions.")
            elif c.name == "classify_business" and c.ok and conv.task != "classification":
                cands = c.result.get("candidates") or []
                if cands:
                    notes.append(f"I classified the business as NAICS {cands[0]['naics']} {cands[0]['title']}.")
            elif c.name == "get_naics" and c.ok and conv.task != "classification":
                maps = c.result.get("maps_to_2022") or []
                if len(maps) == 1:
                    notes.append(f"{c.args.get('code')} is a {c.result.get('edition')} NAICS code; the 2022 code is {maps[0]['code']} {maps[0]['title']}.")
        return notes

    def _decline(self, conv: Conversation) -> str:
        names = conv.parsed.not_written if conv.parsed is not None else []
        if not names:
            return ""
        return f"We do not write {' or '.join(names)}: it is not one of our lines [products-not-written]."

    def _say(self, conv: Conversation, core: str, asked: str | None = None) -> Step:
        parts = [self._decline(conv), *self._notes(conv), core]
        return Step(text=" ".join(p for p in parts if p), asked=asked)

    def _ask(self, conv: Conversation, fact: str) -> Step:
        again = "Sorry, I did not catch that. " if conv.asked == fact and conv.misses.get(fact) and not conv.parsed.facts else ""
        return self._say(conv, again + QUESTIONS[fact], asked=fact)

    def _cannot(self, conv: Conversation, fact: str) -> Step:
        what = {"appetite": "check appetite", "product_recommendation": "recommend lines", "small_business": "run the small-business test",
                "policy_limits": "give the limits", "deductible": "give the deductible", "classification": "classify the business"}[conv.task]
        missing = "knowing what the business does (or its NAICS code)" if fact == "description" else FACT_WORDS.get(fact, fact)
        return self._say(conv, f"I cannot {what} without {missing}. Tell me when you have it and I will finish the check.")

    def _finish(self, conv: Conversation, task: str, core: str, verdict: dict, sections: list[str], facts: dict) -> Step:
        """record_finding first (once per turn), then the answer."""
        if any(c.name == "record_finding" for c in conv.calls):
            return self._say(conv, core)
        args = {"task_type": task, "summary": core, "citations": list(sections), **verdict, "facts": facts}
        return Step(tool="record_finding", args=args)

    def _facts_used(self, conv: Conversation, args: dict) -> dict:
        out = {k: v for k, v in args.items() if v is not None}
        if conv.record is not None:
            out["company"], out["applicant_id"] = conv.record["company_name"], conv.record["id"]
        elif conv.company:
            out["company"] = conv.company
        if conv.unknown:
            out["unknown"] = sorted(conv.unknown)
        return out

    # --- the decision --------------------------------------------------------------------------------
    def decide(self, conv: Conversation) -> Step:
        if conv.parsed is None:
            return Step(text=self.help_text())
        if conv.task is None or not conv.has_content:
            if conv.parsed.not_written:
                return self._say(conv, f"The lines we write are: {', '.join(self.catalog.lobs.values())}.")
            return Step(text=self.help_text())
        task = conv.task
        # 1. the applicant, when one is named and we have no code yet
        if conv.ident and conv.stated.get("naics") is None and conv.record is None and conv.ident not in conv.lookups:
            return Step(tool="find_applicant", args={"name_or_id": conv.ident})
        if task == "classification":
            return self._classification(conv)
        # 2. the NAICS code
        code, call = conv.naics()
        if call:
            return Step(tool=call[0], args=call[1])
        if code is None:
            if "description" in conv.unknown:
                return self._cannot(conv, "description")
            return self._ask(conv, "description")
        # 3. the facts the tool cannot do without
        for fact in REQUIRED[task]:
            if conv.fact(fact) is None:
                return self._cannot(conv, fact) if fact in conv.unknown else self._ask(conv, fact)
        # 4. the domain tool, with every fact known
        tool, args = DOMAIN_TOOL[task], self._tool_args(conv, task, code)
        done = conv.turn_result(tool, args)
        if done is None:
            return Step(tool=tool, args=args)
        if not done.ok:
            return self._say(conv, f"I could not finish the check: {done.result.get('error', 'the tool failed')}. {done.result.get('hint', '')}".strip())
        return getattr(self, f"_{task}")(conv, done.result, self._facts_used(conv, args))

    def _tool_args(self, conv: Conversation, task: str, code: str) -> dict:
        args: dict = {"naics": code}
        if task in ("appetite", "product_recommendation"):
            args["state"] = conv.fact("state")
        if task in ("appetite", "policy_limits", "deductible"):
            args["lob"] = conv.fact("lob")
        if task == "product_recommendation" and conv.fact("lob"):
            args["exclude_lob"] = conv.fact("lob")
        figures = {"appetite": FIGURES, "product_recommendation": FIGURES, "small_business": ("annual_revenue", "employees")}.get(task, ())
        for key in figures:
            value = conv.fact(key)
            if value is not None:
                args[key] = value
        return args

    # --- answers per task ----------------------------------------------------------------------------
    def _subject(self, conv: Conversation, res: dict) -> str:
        state = f", {res['state']}" if res.get("state") else ""
        return f"{conv.who} (NAICS {res['naics']} {res.get('title', self.title(res['naics']))}{state})"

    def _appetite(self, conv: Conversation, res: dict, facts: dict) -> Step:
        lob, sections, reason = self.lob_name(res["lob"]), res.get("sections", []), res.get("reason", "")
        who = self._subject(conv, res)
        if res["status"] == "need_facts":
            need = (res.get("needs") or [None])[0]
            if need and need not in conv.unknown:
                return self._ask(conv, need)
            core = f"Qualified — it depends on {FACT_WORDS.get(need, need)}, which we do not have: {lob} for {who}: {reason} {_cite(sections)}"
            verdict = "qualified"
        elif res["status"] == "refer":
            core = f"Qualified — refer to a senior underwriter: {lob} for {who}: {reason} {_cite(sections)}"
            verdict = "qualified"
        elif res["appetite"] == "yes":
            reason = re.sub(r"^In appetite for [^:]+:\s*", "", reason).replace(".;", ";")
            core = f"Yes — {who} is in appetite for {lob}: {reason} {_cite(sections)}"
            verdict = "yes"
        else:
            core = f"No — {who} is not in appetite for {lob}: {reason} {_cite(sections)}"
            verdict = "no"
        return self._finish(conv, "appetite", core, {"appetite": verdict}, sections, facts)

    def _product_recommendation(self, conv: Conversation, res: dict, facts: dict) -> Step:
        sections = res.get("sections", [])
        recommended, pending, declined = res.get("recommended", []), res.get("need_facts", []), res.get("declined", [])
        if res.get("status") == "need_facts":
            for need in res.get("needs", []):
                if need not in conv.unknown:
                    return self._ask(conv, need)
        opening = f"Besides {self.lob_name(res['excluded'])}, we can offer" if res.get("excluded") else "We can offer"
        where = f"{res['naics']} {res.get('title', '')} in {res['state']}"
        if pending and not recommended and all(p.get("status") == "refer" for p in pending):
            return self._say(conv, f"Refer — I cannot recommend lines for {conv.who} ({where}) until a senior underwriter reviews it: "
                                   f"{pending[0]['reason']} {_cite(sections)}")
        if pending and not recommended:
            needs = sorted({n for p in pending for n in p.get("needs", [])})
            what = " and ".join(FACT_WORDS.get(n, n) for n in needs) or "a referral"
            return self._say(conv, f"It cannot be determined yet which lines we can offer for {conv.who} ({where}): it depends on {what}. "
                                   f"{pending[0]['reason']} {_cite(sections)}")
        if not recommended:
            why = res.get("reason") or "; ".join(f"{d['name']}: {d['reason']}" for d in declined)
            core = f"None: we cannot offer {conv.who} ({where}) any {'other ' if res.get('excluded') else ''}line — {why} {_cite(sections)}"
        else:
            names = ", ".join(r["name"] for r in recommended)
            core = f"{opening}: {names} — each passes the small-business test and the appetite guide for {where}."
            if pending:
                core += " Qualified, depending on facts we do not have: " + "; ".join(
                    f"{p['name']} ({' and '.join(FACT_WORDS.get(n, n) for n in p.get('needs', [])) or 'referral'})" for p in pending) + "."
            if declined:
                core += " Not offered: " + "; ".join(f"{d['name']} ({d['reason'].split('; ')[-1]})" for d in declined) + "."
            core += f" {_cite(sections)}"
        return self._finish(conv, "product_recommendation", core, {"lobs": [r["lob"] for r in recommended]}, sections, facts)

    def _small_business(self, conv: Conversation, res: dict, facts: dict) -> Step:
        sections, reason = res.get("sections", []), res.get("reason", "")
        who = self._subject(conv, res)
        if res["status"] == "need_facts":
            need = (res.get("needs") or [None])[0]
            if need and need not in conv.unknown:
                return self._ask(conv, need)
            return self._say(conv, f"It cannot be determined whether {who} is a small business without {FACT_WORDS.get(need, need)}: {reason} {_cite(sections)}")
        if res["status"] != "decided":
            return self._say(conv, f"Refer — the small-business test cannot be applied to {who}: {reason} {_cite(sections)}")
        small = bool(res["small_business"])
        core = f"{'Small business' if small else 'Not a small business'} — {who}: {reason} {_cite(sections)}"
        return self._finish(conv, "small_business", core, {"small_business": small}, sections, facts)

    def _policy_limits(self, conv: Conversation, res: dict, facts: dict) -> Step:
        sections = res.get("sections", [])
        rule = res.get("reason", "").split(": ", 1)[-1]
        core = (f"{_usd(res['per_occurrence'])} per occurrence / {_usd(res['aggregate'])} aggregate for {self.lob_name(res['lob'])} "
                f"on {self._subject(conv, res)}: {rule} {_cite(sections)}")
        return self._finish(conv, "policy_limits", core, {"per_occurrence": res["per_occurrence"], "aggregate": res["aggregate"]}, sections, facts)

    def _deductible(self, conv: Conversation, res: dict, facts: dict) -> Step:
        sections = res.get("sections", [])
        rule = res.get("reason", "").split(": ", 1)[-1]
        core = f"{_usd(res['deductible'])} deductible for {self.lob_name(res['lob'])} on {self._subject(conv, res)}: {rule} {_cite(sections)}"
        return self._finish(conv, "deductible", core, {"deductible": res["deductible"]}, sections, facts)

    def _classification(self, conv: Conversation) -> Step:
        titles = self.catalog.naics_titles
        code = conv.stated.get("naics")
        sections = ["classification-naics"]
        maps: list = []
        if code and code not in titles:  # an older edition's code
            if code not in conv.naics_lookups:
                return Step(tool="get_naics", args={"code": code})
            ok, res = conv.naics_lookups[code]
            maps = (res.get("maps_to_2022") or []) if ok else []
            if len(maps) == 1:
                new = maps[0]["code"]
                cites = res.get("sections", ["naics-editions"])
                core = f"NAICS {new} {titles.get(new, maps[0]['title'])}: {code} is a {res.get('edition')} code that maps to it {_cite(cites)}"
                return self._finish(conv, "classification", core, {"naics": new}, cites, {"code_given": code})
        desc = conv.stated.get("description")
        if desc:
            key = expand_abbreviations(desc)
            if key not in conv.classified:
                return Step(tool="classify_business", args={"description": key})
            cands = conv.classified[key].get("candidates") or []
            allowed = {m["code"] for m in maps}
            if allowed and any(c["naics"] in allowed for c in cands):  # an old code that split: stay within its 2022 codes
                cands = [c for c in cands if c["naics"] in allowed]
            if not cands:
                return self._ask(conv, "description")
            top = cands[0]
            core = f"NAICS {top['naics']} {top['title']}"
            if len(cands) > 1 and top["score"] - cands[1]["score"] <= CLOSE_SCORE:
                core += f" (a close runner-up is {cands[1]['naics']} {cands[1]['title']}: choose by the activity that brings most revenue)"
            core += f" — the best match for \"{desc[:120]}\" {_cite(sections)}"
            return self._finish(conv, "classification", core, {"naics": top["naics"]}, sections,
                                self._facts_used(conv, {"description": desc[:300]}))
        if maps:
            shown = "; ".join(f"{m['code']} {m['title']}" for m in maps[:5]) + (f"; and {len(maps) - 5} more" if len(maps) > 5 else "")
            return self._say(conv, f"{code} is an older NAICS code that splits into several 2022 codes ({shown}) [naics-editions]. "
                                   + QUESTIONS["description"], asked="description")
        rec = conv.record
        if rec is not None:
            core = f"NAICS {rec['naics_code']} {self.title(rec['naics_code'])} — the code on {rec['company_name']}'s submission ({rec['id']}) {_cite(sections)}"
            return self._finish(conv, "classification", core, {"naics": rec["naics_code"]}, sections, self._facts_used(conv, {}))
        if code:
            core = f"NAICS {code} {titles[code]} — already a 2022 code {_cite(sections)}"
            return self._finish(conv, "classification", core, {"naics": code}, sections, self._facts_used(conv, {}))
        if "description" in conv.unknown:
            return self._cannot(conv, "description")
        return self._ask(conv, "description")
