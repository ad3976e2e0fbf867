"""What a conversation establishes, read from its messages by the offline rules model.

``read_conversation(messages, catalog)`` walks the history (underwriter messages, our questions, tool calls and
results) and returns a ``Conversation``: the task, the facts stated, the company or applicant id named, what the
underwriter does not know, the lookups already made, and this turn's tool calls. ``Conversation.read`` takes one
message more, so a reading can resume where an earlier one stopped (``reading.Reader``: each message read once).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from core.vocabulary import LINE_TASKS, NUMERIC_FACTS, TASK_TYPES, TASKS
from graph.offline.choice import picked, refuses, titled
from graph.offline.facts import (
    QUESTION_VARIANTS,
    QUESTIONS,
    Parsed,
    another_business,
    code_doubted,
    detect_task,
    expand_abbreviations,
)
from graph.offline.intent import MIN_CLAUSE_CONFIDENCE, SURE, asking_part, asks, opens_question
from graph.offline.intent import classify as classify_intent
from graph.offline.intent import clauses as intent_clauses
from graph.offline.names import trade_words
from graph.offline.reading import read
from graph.reader.read import CORRECTION_WORDS, FIGURES, restated_figure
from graph.state import kind, meta
from tools.applicants import established_applicant, name_key
from tools.catalog import Catalog
from tools.errors import InvalidArgument

RECORD_KEYS = {
    "naics": "naics_code",
    "state": "state",
    "lob": "requested_lob",
    "annual_revenue": "annual_revenue",
    "employees": "employees",
    "annual_payroll": "annual_payroll",
    "vehicles": "vehicles",
    "construction": "construction",
    "description": "description",
}
_NAME_SUFFIXES = {"llc", "inc", "co", "corp", "ltd", "lp", "llp", "pc", "pllc", "the", "of", "and", "company", "dba"}
# words of the NAICS texts that name no trade on their own in a company's name
_NAME_GENERIC = {"group", "holdings", "enterprises", "industries", "services", "service", "national", "american",
                 "united", "general", "first", "capital", "capitol", "star", "valley", "river", "mountain", "lake",
                 "north", "south", "east", "west", "central", "heartland", "home", "city", "county", "state", "new",
                 "all", "other", "best", "quality", "premier", "precision", "global", "sun", "green", "blue", "red"}  # fmt: skip
# the tasks whose question names a line: the one to check, or the one they have (to offer the others)
_ABOUT_A_LINE = tuple(t for t in TASK_TYPES if TASKS[t].one_line or TASKS[t].leaves_out_line)
# Facts a follow-up may give beside the line it asks of, still about the same business: the figures a line's rules read
_SAME_BUSINESS_DETAILS = frozenset({"construction", "vehicles", "employees", "annual_payroll", "annual_revenue",
                                    "total_insured_value"})  # fmt: skip
MAX_MISSES = 2  # a question that went unanswered twice counts as "don't know"
MAX_MISSES_BY_FACT = {"naics": 1}  # "Do you know the NAICS code?" is asked once
OPEN_INTENTS = ("guidelines", "why", "recap", "off_topic")  # questions that are not a determination about the applicant
# A message that brings in another business than the one being discussed ("I've got a", "next one:", "new account")
_NEW_BUSINESS = re.compile(
    r"^\W*(?:(?:i|we)(?:'ve| have)? got|(?:i|we) have|got|here'?s|there'?s|next(?: one| up)?|new one|another one"
    r"|(?:a )?(?:new|different) (?:one|account|business|submission|risk))\b",
    re.I,
)


@dataclass
class Call:
    name: str
    args: dict
    ok: bool
    result: dict


squash = name_key  # a company name as compared (tools/applicants.py)


def _says_correction(text: str) -> bool:
    """A word saying the message corrects what was said ("actually", "sorry", "correction")."""
    return bool({w.lower() for w in re.findall(r"[A-Za-z]+", text)} & CORRECTION_WORDS)


# A renewing client (authority-levels: a junior may not decline one): "renewal - trucking co ...", "renewing
# account", "existing client up for renewal"; not "non-renewal", "not a renewal", "new business".
_RENEWAL = re.compile(r"(?<![\w-])(?:renewal|renewing|renews)\b", re.I)
_NOT_RENEWAL = re.compile(
    r"\bnon-?\s?renew\w*|\bnot\s+(?:a\s+|up\s+for\s+)?renew\w*|\bno\s+renew\w*|\bnew\s+(?:business|account|applicant|client)\b",
    re.I,
)


# A question about referring the case in hand: "when do I refer this?", "does this one need a senior?", "should it
# be escalated"; a question about the rules in general names no case ("when do I refer to a senior?").
_REFERRING = re.compile(r"\b(?:refer\w*|escalat\w*|senior|sign[- ]?off|authority|approv\w*)\b", re.I)
_THE_CASE = re.compile(
    r"\b(?:this|it|them|this\s+one|that\s+one|(?:the|my|our)\s+(?:case|risk|account|submission|applicant|referral))\b",
    re.I,
)


# A question about what is done in general, of no applicant: "our standard GL limit", "what do we usually use"
_IN_GENERAL = re.compile(
    r"\b(?:standard|usual(?:ly)?|typical(?:ly)?|default|normal(?:ly)?|in general|generally)\b", re.I
)


def asks_about_referring_it(text: str) -> bool:
    """The message asks whether the case in hand goes to a senior."""
    return bool(_REFERRING.search(text)) and bool(_THE_CASE.search(text))


def says_renewal(text: str) -> bool:
    """The message says the applicant is a renewing client."""
    return bool(_RENEWAL.search(text)) and not _NOT_RENEWAL.search(text)


def _clause_spans(text: str, parts: list[str]) -> list[tuple[int, int] | None]:
    """Where each clause of ``intent_clauses(text)`` stands in the text, in order (None: not the text's own words)."""
    out: list[tuple[int, int] | None] = []
    at, low = 0, text.lower()
    for clause in parts:
        start = low.find(clause.lower(), at)
        if start < 0:
            out.append(None)
            continue
        at = start + len(clause)
        out.append((start, at))
    return out


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
    for fact, question in QUESTION_VARIANTS.values():
        if question in text:
            return fact
    return None


def last_question(text: object) -> str | None:
    """The last sentence of an answer of ours when it is a question ("... Which state is the business in?")."""
    sentences = _SENTENCES.split(text.strip()) if isinstance(text, str) else []
    return sentences[-1] if sentences and sentences[-1].endswith("?") else None


_SENTENCES = re.compile(r"(?<=[.!?\]])\s+(?=[A-Z])")  # (an answer's sentence may end with its "[section-id]")
_CONTAINERS = (dict, set, list)  # what a fork copies (a shallow copy each)


@dataclass
class Conversation:
    """What the messages establish: task, facts (stated, from the applicant record, from tools), this turn's calls."""

    catalog: Catalog
    task: str | None = None
    stated: dict = field(default_factory=dict)
    company: str | None = None
    applicant_id: str | None = None
    unknown: set = field(default_factory=set)
    misses: dict = field(default_factory=dict)
    asked_before: set = field(default_factory=set)  # every fact we have asked for in this conversation
    lookups: dict = field(default_factory=dict)  # find_applicant query -> (ok, result)
    classified: dict = field(default_factory=dict)  # description -> classify_business result
    naics_lookups: dict = field(default_factory=dict)  # code -> (ok, get_naics result)
    findings: list = field(default_factory=list)  # record_finding arguments, oldest first
    subject_from: int = 0  # findings[subject_from:] are about the applicant discussed now
    turn_from: int = 0  # findings[turn_from:] were recorded in answer to the underwriter's latest message
    offered: list = field(default_factory=list)  # the NAICS codes our last question offered to choose from
    assumed: str | None = None  # a code we had to assume (the closest candidate), said in the answer
    pending: list = field(default_factory=list)  # the other questions of a message that asked several
    answered_since: set = field(default_factory=set)  # task types recorded since the underwriter's last message
    redescribed: bool = False  # the offered codes were answered with words about the business
    renewal: bool = False  # the underwriter said the applicant is renewing (a decline of it goes to a senior)
    supposing: dict = field(default_factory=dict)  # a what-if's figures, set only on the copy a call decides with
    n_read: int = 0  # messages of the history read so far
    # the history's index of each message that began talk of another applicant (the facts panel, stale findings)
    subject_starts: list = field(default_factory=list)
    referred: list = field(default_factory=list)  # (findings so far, text) of each referral line the conversation got
    doubted: bool = False  # the code stated was asked about ("is that 713940?"), not stated as the application's
    n_calls: int = 0
    # the current turn
    parsed: Parsed | None = None
    asked: str | None = None
    calls: list = field(default_factory=list)
    has_content: bool = False
    changed: dict = field(default_factory=dict)  # fact -> (earlier value, new value): corrections in this message
    reruns: list = field(default_factory=list)  # (task, line) of earlier findings that used a fact corrected now
    more_lines: list = field(default_factory=list)  # the other lines one question about a line names ("GL, property?")
    task_lines: dict = field(default_factory=dict)  # task -> line, when each question of a message names its own
    requested: list = field(default_factory=list)  # every line asked of for this applicant: none is "another line"
    # where the reading stands
    called: dict = field(default_factory=dict)  # tool call id -> (name, args), for the results that follow
    last_asked: str | None = None  # the fact our last answer asked for, until the underwriter's next message
    question: str | None = None  # our last answer's question, in its words (asked again after a recap)

    def read(self, m: BaseMessage) -> None:
        """Take one more message of the history."""
        self.n_read += 1
        if isinstance(m, SystemMessage):
            return
        if isinstance(m, HumanMessage):
            if kind(m) == "guard_correction":
                return
            self.on_human(m.content if isinstance(m.content, str) else str(m.content), self.last_asked)
            self.last_asked = None
        elif isinstance(m, AIMessage):
            if kind(m) in ("referral", "referral_decision"):
                # posted after our answer, outside the model: no question of ours, so the one asked still stands
                self.referred.append((len(self.findings), m.content if isinstance(m.content, str) else ""))
                return
            if m.tool_calls:
                for c in m.tool_calls:
                    self.called[c["id"] or ""] = (c["name"], c.get("args") or {})
                    self.n_calls += 1
            else:
                self.last_asked = asked_in(m)
                self.question = last_question(m.content) if self.last_asked else None
                self.offered = meta(m).get("offered", self.offered)
                if meta(m).get("line"):  # our question was about another line than the one stated last
                    self.stated["lob"] = meta(m)["line"]
                if self.last_asked:
                    self.asked_before.add(self.last_asked)
        elif isinstance(m, ToolMessage):
            name, args = self.called.get(m.tool_call_id, (m.name or "", {}))
            try:
                result = json.loads(m.content) if isinstance(m.content, str) else {}
            except json.JSONDecodeError:
                result = {"error": str(m.content)}
            if not isinstance(result, dict):
                result = {"value": result}
            self.on_tool(name, args, m.status != "error" and "error" not in result, result)

    def fork(self) -> Conversation:
        """A copy to read on or decide with, leaving this one as it is. Containers are copied, their values shared:
        reading only adds or replaces values (tool results, findings), never changes one in place. The current
        message's reading (``parsed``) is shared too: ``on_human`` changes only the fresh one it reads, before it
        is kept, and nothing changes it after (a fork a turn used to deep-copy it: 41 copies a 5-finding turn)."""
        twin = object.__new__(type(self))  # (copy.copy and setattr by name: half a fork's time)
        twin.__dict__.update({k: v.copy() if isinstance(v, _CONTAINERS) else v for k, v in self.__dict__.items()})
        return twin

    # --- reading the history ---------------------------------------------------------------------------
    def on_human(self, text: str, asked: str | None) -> None:
        if asked is not None and another_business(text):
            asked = None  # "another one: a notary office ..." while a code pick is open: a new opening, no reply
        p = read(text, self.catalog, asked)
        self._rules_question(p, text, asked)
        last_lines = [self.fact("lob"), *self.more_lines, *self.task_lines.values()]  # what the last question named
        self.pending = [t for t in self.pending if t not in self.answered_since]  # answered in an earlier turn
        self.answered_since = set()
        self.parsed, self.asked, self.calls = p, asked, []
        self.turn_from = len(self.findings)
        if p.applicant_id and p.applicant_id != self.applicant_id:
            if self.record is not None and self.record["id"] != p.applicant_id:
                self._reset()
            self.applicant_id = p.applicant_id
        elif p.company and not self._same_company(p.company):
            if self.record is not None or self.company:
                self._reset()
            self.company = p.company
        elif self._new_business(p, text, asked):
            self._reset()  # "I've got a roofer in Tampa ...": another business, none of the last one's facts
        self.renewal = self.renewal or says_renewal(text)
        if p.task is None and not p.facts and self.findings[self.subject_from :] and asks_about_referring_it(text):
            p.intent = "guidelines"  # "does this one need a senior?": where the case stands, then the rules
        if (
            p.task in ("policy_limits", "deductible")
            and asked is None
            and not set(p.facts) - {"lob"}
            and not (p.company or p.applicant_id or self.stated or self.record is not None)
            and _IN_GENERAL.search(text)
        ):
            p.intent, p.task, p.tasks = "guidelines", None, []  # "what's our standard GL limit?": the rule itself
        about_applicant = p.company or p.applicant_id or set(p.facts) - {"lob"} or p.unknown_facts
        if (
            p.task is None
            and (self.task is None or about_applicant)
            and asked is None
            and "lob" in p.facts
            and (
                p.company
                or p.applicant_id
                or "?" in text
                or "description" in p.facts
                or "naics" in p.facts
                # the first message: a line and the applicant's figures ("property on an office bldg, rents 2.4M")
                or self.task is None
                and not self.findings
                and set(p.facts) & set(NUMERIC_FACTS)
            )
            and (about_applicant or self.task is None and not classify_intent(text).name)
            # unless it surely asks another question about a line ("<business> on a bop, what else to offer?"); a
            # code or a size question names no line (a line beside a code is the line to check)
            and not self._sure_of_other_task(text, "appetite", among=_ABOUT_A_LINE)
        ):
            p.task, p.tasks = "appetite", ["appetite"]  # "Check APP-0017 for GL", "Acme Roofing LLC, GL?"
        if p.task is None and p.intent is None and asked is None and about_applicant and not p.not_written:
            if (again := self._same_question_of_line(p, text)) is not None:
                p.task, p.tasks = again, [again]  # "and auto, 19 units": the last question, of that line
        if (
            p.task is None
            and p.intent is None  # (the rules read a question about the rules themselves: no classifier needed)
            and not p.not_written
            and (asked is None or "?" in text)
            and not (self.task and about_applicant)
        ):
            self._classify_intent(p, text)  # (new facts alone, mid-conversation, redo the current question)
        elif p.task is not None and asked is None and not (p.company or p.applicant_id):
            self._second_opinion(p, text)
        if asked == "naics_choice":
            self._read_choice(p, text)
        answered = asked is not None and (asked in p.facts or (asked == "naics_choice" and "naics" in p.facts))
        switch = p.task is not None and p.task != self.task
        if p.task and (asked is None or "?" in text or not (answered or p.unknown)):
            self.task = p.task
        else:
            switch = False
        if p.task and (asked is None or "?" in text):
            self.pending = list(p.tasks[1:])  # a new question replaces what was left of the last one
            self.task_lines = dict(p.task_lines)
        for k in p.invalid:  # refused: never used, whatever the bare-answer reading made of it
            p.facts.pop(k, None)
        if not set(p.facts) & set(FIGURES.values()) and not p.unknown_facts:
            earlier = {k: v for k, v in self.stated.items() if k in FIGURES.values()}
            if earlier and (restated := restated_figure(text, earlier)) is not None:
                p.facts[restated[0]] = restated[1]  # "sorry, 15": the earlier figure it is of the size of, said again
        self.changed = {k: (self._before(k), v) for k, v in p.facts.items() if self._before(k) not in (None, v)}
        if "lob" in self.changed and self._asks_of_another_line(p, text):
            del self.changed["lob"]  # "and property?" asks of another line: nothing was wrong, nothing to note
        self.reruns = self._depending(set(self.changed) - {"lob"})  # another line is another question, not a fix
        more = self._more_lines(p)
        if p.each_line and "lob" not in p.facts and set(p.tasks) & set(LINE_TASKS):
            more = [str(ln) for ln in dict.fromkeys(last_lines) if ln]  # "deductibles for both?": those lines again
        if more or (p.task and (asked is None or "?" in text)):
            self.more_lines = more  # a reply to the copilot's question ("2", "joisted masonry") keeps the lines asked
        self.more_lines = [
            ln for ln in self.more_lines if ln != self.fact("lob") and ln not in self.task_lines.values()
        ]
        if "naics" in p.facts:
            self.doubted = code_doubted(text, str(p.facts["naics"]))
        for k, v in p.facts.items():
            self.stated[k] = v
            self.unknown.discard(k)
            self.misses.pop(k, None)
        for k in p.unknown_facts:  # said not to be known: never a number, never asked again
            self.stated.pop(k, None)
            self.unknown.add(k)
        if "lob" in self.changed:  # a corrected line was never requested
            self.requested = [line for line in self.requested if line != self.changed["lob"][0]]
        for line in (self.fact("lob"), *self.more_lines):
            if line and str(line) not in self.requested:
                self.requested.append(str(line))
        if asked and not answered:
            if asked in p.unknown_facts or p.unknown and not p.unknown_facts:
                self.unknown.add(asked)  # (not the question asked when the reply names what else nobody knows)
            elif not switch and not (asked == "naics_choice" and set(p.facts) - {"description"}):
                # (another fact given while the codes are on offer answers something: they stay on offer)
                self.misses[asked] = self.misses.get(asked, 0) + 1
                if self.misses[asked] >= MAX_MISSES_BY_FACT.get(asked, MAX_MISSES):
                    self.unknown.add(asked)
        self.has_content = bool(
            p.task or p.facts or p.company or p.applicant_id or p.not_written or asked or p.unknown_facts
        )

    def _rules_question(self, p, text: str, asked: str | None) -> None:
        """A question about the rules or our last answer that names no figure, place or line, read by the fact reader
        as a name or a description ("When do I refer to a senior underwriter?" -> company "When"): when the
        classifier is sure, it is that question, and names nothing about the applicant."""
        if p.task is not None or p.applicant_id or set(p.facts) - {"description"}:
            return
        if asked is not None and not (text.rstrip().endswith("?") or opens_question(text)):
            return  # an answer to our question; a question of their own ("when do I refer ...?") is read below
        if not (p.company or p.facts):
            return  # nothing misread: the usual reading decides
        found = classify_intent(text)
        if found.name in ("guidelines", "why", "recap") and found.confidence >= SURE:
            p.intent, p.company = found.name, None
            p.facts.pop("description", None)

    def _read_choice(self, p, text: str) -> None:
        """An answer to "Which NAICS code fits best: A; B; C?": a code, a position, a word of one title, a new
        description, or none of them. A pick is the choice, never a new description ("it's the retail one")."""
        code = p.facts.get("naics")
        if code and self.offered and code not in self.offered and code == self.stated.get("naics"):
            p.facts.pop("naics")  # the code they gave before, again: none of the offered ones is picked
        elif code:
            return
        code = picked(text, self.offered, self.catalog.naics_titles)
        if code is not None:
            p.facts["naics"] = code
            p.facts.pop("description", None)
            return
        if p.intent is not None:
            return  # a question of their own asked instead (the rules, our last answer): the choice stays open
        new = p.facts.get("description")
        if new:
            self.redescribed = True  # never asked what the business does again: they just said it
        if new and squash(str(new)) != squash(str(self.stated.get("description") or "")):
            return  # they said more about the business: the new description is classified and its codes offered
        if set(p.unknown_facts) - {"naics"}:
            return  # "no idea on the revenue": another fact nobody knows, no answer to the choice; it stays open
        if (p.task or set(p.facts) - {"description"}) and not refuses(text):
            return  # another fact or question ("about 900k in sales"): the choice stays open, offered again
        if not refuses(text) and classify_intent(text).name == "smalltalk":
            return  # "thanks", "one sec": no answer to the choice; it stays open, offered again
        self.unknown.add("naics_choice")  # none of them, or cannot tell: the NAICS code is asked next

    def _classify_intent(self, p, text: str) -> None:
        """No unambiguous cue: ask the trained classifier what the message is about (each task, when it asks two)."""
        if (again := self._same_question_of_line(p, text)) is not None:
            p.task, p.tasks = again, [again]
            return
        found = self._asked_part(text, classify_intent(text))
        if found.name == "not_written" and "lob" in p.facts:
            return  # it names a line we write and no product we do not: "what about GL?" asks the same again
        if found.name in TASK_TYPES:
            p.task, p.tasks = found.name, [t for t in found.names if t in TASK_TYPES]
        elif found.name and not (p.company or p.applicant_id):
            # Facts in the message make it about the applicant, unless the classifier is sure it is not
            # ("what is a type iii building" names a construction class but asks what the rules say).
            if not (set(p.facts) - {"lob"}) or found.confidence >= SURE:
                p.intent = found.name

    @staticmethod
    def _asked_part(text: str, whole):
        """The facts around a short question may drown it ("<business>, 14 staff, ...; they want GL, anything else
        we'd write?"): the sentence that asks, or a last clause that opens as a question, when the classifier is
        surer of it than of the whole and it asks a task."""
        part = asking_part(text)
        if not part or part.strip() == text.strip():
            return whole
        found = classify_intent(part)
        better = found.name in TASK_TYPES and found.confidence >= SURE and found.confidence > whole.confidence
        return found if better else whole

    def _same_question_of_line(self, p, text: str) -> str | None:
        """A follow-up question that names a line and nothing else ("and for property?", "what about their comp?")
        asks of that line what was asked last: whether we write it, when the last question was about no line
        (other lines to offer, size, the code). Beside the line, only figures of the same business may be said ("and
        auto, 12 trucks", "and property - brick bldg"). Not when the classifier is sure it asks another task."""
        if self.task is None or p.company or p.applicant_id or "lob" not in p.facts or p.unknown_facts:
            return None
        if not set(p.facts) - {"lob"} <= _SAME_BUSINESS_DETAILS:
            return None
        if not ("?" in text or opens_question(text) or any(opens_question(c) for c in intent_clauses(text))):
            return None
        if self._sure_of_other_task(text, "appetite"):
            return None
        return self.task if self.task in LINE_TASKS else "appetite"

    @staticmethod
    def _sure_of_other_task(text: str, task: str, among: tuple[str, ...] = TASK_TYPES) -> bool:
        """The classifier is sure the message asks a task (of ``among``) other than ``task``."""
        for said in dict.fromkeys([text, asking_part(text) or text]):  # the facts around may drown the question
            found = classify_intent(said)
            if found.name in among and found.name != task and found.confidence >= SURE:
                return True
        return False

    def _second_opinion(self, p, text: str) -> None:
        """A task cue matched a new question. The classifier, when sure, knows better that it asks about the rules or
        our last answer ("what does aggregate mean", "why that deductible"); and a clause without a cue may ask a
        second task ("ok to write prop; and the ded" -> appetite, then deductible)."""
        found = classify_intent(text)
        if found.name in OPEN_INTENTS and found.confidence >= SURE:
            p.intent, p.task, p.tasks = found.name, None, []
            return
        if p.tasks == ["appetite"] and "lob" not in p.facts and self._sure_of_other_task(text, "appetite"):
            # the appetite cue is the loosest ("ok?", "fit for"): with no line named, a sure classifier knows
            # better what a short question asks ("size ok?")
            p.task, p.tasks = found.name, [found.name]
            return
        tasks: list[str] = []
        parts = intent_clauses(text)
        only_line = self._line_only_clauses(p, parts) if len(parts) > 1 else {}
        alone = self._asking_alone(text, parts) if len(parts) > 1 else []
        for n, clause in enumerate(parts if len(parts) > 1 else []):
            cue = detect_task(clause)
            if cue is None and only_line.get(n) is False:
                continue  # a line and no question of its own ("for property, and the ded?"): the line asked about
            read = classify_intent(clause) if cue is None and asks(clause) else None
            # a clause read by the classifier alone asks when it is a question of its own; beside a question
            # mark elsewhere, a clause without one states ("<business> on GL, what else?"); with none in the
            # message, only when the classifier is sure ("does weddings" describes the business)
            if alone[n]:
                least = MIN_CLAUSE_CONFIDENCE
            elif "?" in text or any(alone):  # another clause asks ("..., what else could we sell them"): this states
                least = float("inf")
            else:
                least = max(SURE, MIN_CLAUSE_CONFIDENCE)
            if (
                read is not None
                and read.name in TASK_TYPES
                and read.confidence >= least
                # an appetite question names a line; a clause without one or a cue describes ("does weddings")
                and (read.name != "appetite" or "lob" in p.facts)
            ):
                cue = read.name
            if cue is None and only_line.get(n):
                # a question naming a line and nothing else ("and property for them?") asks of that line what
                # was asked last (whether we write it, when the last question was about no line)
                # (asked earlier in this message: "limits and deductibles for property, and auto?")
                last = next((t for t in reversed(tasks) if t in LINE_TASKS), self.task)
                cue = last if last in LINE_TASKS else "appetite"
            if cue and cue not in tasks:
                tasks.append(cue)
        if len(tasks) > len(p.tasks) and set(p.tasks) <= set(tasks):
            p.task, p.tasks = tasks[0], tasks

    @staticmethod
    def _asks_of_another_line(p, text: str) -> bool:
        """A message that names another line in a question ("and property?", "how about auto, and the deductible"),
        with no word saying it corrects one ("correction: line of business is Property", "actually property")."""
        if (p.reading is not None and p.reading.corrections) or _says_correction(text):
            return False
        return "?" in text or any(opens_question(c) for c in intent_clauses(text))

    @staticmethod
    def _asking_alone(text: str, parts: list[str]) -> list[bool]:
        """For each clause of a message, whether it is a question of its own: a question mark after it, or a
        question's opening ("and the ded", "what about ...")."""
        return [
            opens_question(clause) or (span is not None and text[span[1] :].lstrip().startswith("?"))
            for clause, span in zip(parts, _clause_spans(text, parts), strict=True)
        ]

    def _line_only_clauses(self, p, parts: list[str]) -> dict[int, bool]:
        """The clauses of a message, after an earlier question, that name a line of business and no other fact,
        each with whether it asks something of its own (a question mark after it, or a question's opening)."""
        reading = p.reading
        if self.task is None or reading is None or not reading.lines:
            return {}
        other = [f.span for k, f in reading.facts.items() if k != "lob"]
        other += [r.span for r in (reading.company, reading.city) if r is not None]
        spans = [s for s in _clause_spans(reading.text, parts) if s is not None]
        if len(spans) < len(parts):
            return {}  # the clauses are not the text's own words: read nothing into them
        out = {}
        for n, (clause, (start, end)) in enumerate(zip(parts, spans, strict=True)):
            inside = [s for s in (line.span for line in reading.lines) if start <= s.start and s.end <= end]
            if inside and not any(s.start < end and start < s.end for s in other):
                out[n] = reading.text[end:].lstrip().startswith("?") or opens_question(clause)
        return out

    def on_tool(self, name: str, args: dict, ok: bool, result: dict) -> None:
        self.calls.append(Call(name, args, ok, result))
        if name == "record_finding" and ok:
            self.findings.append(args)
            self.answered_since.add(args.get("task_type"))
        if name == "find_applicant":
            self.lookups[args.get("name_or_id")] = (ok, result)
        elif name == "classify_business":  # a failure is kept too: never the same call twice
            self.classified[args.get("description")] = result if ok else {"candidates": []}
        elif name == "get_naics":
            self.naics_lookups[args.get("code")] = (ok, result)

    @staticmethod
    def _more_lines(p) -> list[str]:
        """A question about a line that names several ("in appetite for GL, property?") asks it of each."""
        reading = p.reading
        asked = p.tasks or [p.task]
        if not set(asked) & set(LINE_TASKS) or reading is None or reading.corrections or "lob" not in p.facts:
            return []
        lines = reading.lines
        if "?" in p.text:  # the lines of the question, not of the e-mail above it ("GL is placed elsewhere")
            asking = [m.span() for m in re.finditer(r"[^.!?\n]*\?", p.text)]
            lines = [r for r in lines if any(a <= r.span.start < b for a, b in asking)]
        named = dict.fromkeys(str(r.value) for r in lines)
        return [line for line in named if line != p.facts["lob"]]

    def _before(self, key: str):
        """What a fact stood at before this message: stated, or a figure or the state on the applicant's record."""
        if key in self.stated:
            return self.stated[key]
        return self.fact(key) if key in (*NUMERIC_FACTS, "state") else None

    def _depending(self, corrected: set) -> list[tuple[str, str | None]]:
        """The earlier determinations about this applicant that used a corrected fact (or found it missing), each
        (task, line) once, oldest first: they no longer hold and are re-run with the correction."""
        out: dict[tuple[str, str | None], None] = {}
        for f in self.findings[self.subject_from :]:
            facts = f.get("facts") if isinstance(f.get("facts"), dict) else {}
            if corrected & (set(facts) | set(facts.get("unknown") or ())):
                key = (f.get("task_type"), facts.get("lob") if f.get("task_type") in LINE_TASKS else None)
                out.pop(key, None)
                out[key] = None
        return list(out)

    def found_before(self, task: str | None) -> bool:
        """A finding of this task about this applicant was recorded before this message."""
        return any(f.get("task_type") == task for f in self.findings[self.subject_from : self.turn_from])

    def _new_business(self, p, text: str, asked: str | None) -> bool:
        """A message that brings in another, unnamed business ("I've got a florist in Reno, 6 staff ...", "switching
        accounts: a roofer ...") after one we know by name, a description or facts: its facts start afresh. So does a
        new description that comes with two or more other facts unlike the last ones and no word of correction: a
        correction changes a fact, a message that changes what the business does and its figures describes another."""
        if asked is not None or p.company or p.applicant_id:
            return False
        if self._asks_of_another_trade(p, text):
            return True
        if "description" not in p.facts:
            return False
        known = self.record is not None or bool(self.company) or bool(self.stated)
        if another_business(text):
            return known  # said in so many words
        before = self.stated.get("description")
        differs = bool(before and squash(str(before)) != squash(str(p.facts["description"])))
        if _NEW_BUSINESS.search(text):
            return self.record is not None or bool(self.company) or differs
        unlike = [k for k, v in p.facts.items() if k not in ("description", "lob") and self._before(k) not in (None, v)]
        return differs and len(unlike) >= 2 and not _says_correction(text)

    def _asks_of_another_trade(self, p, text: str) -> bool:
        """A new question that brings its own code, in another subsector than the code in hand, with no word of
        correction ("What limits for cyber for NAICS 518210?" after a restaurant): a question about another
        business. Its facts start afresh; the last business's findings are not redone with the new code, and its
        revenue or fleet never carries over. A code in the same subsector may be a fix of the last one (722511 for
        722513) and is read as one; so is any code said with "actually", "sorry" and the like."""
        code, before = p.facts.get("naics"), self.stated.get("naics")
        if not (p.task and code and before) or _says_correction(text):
            return False
        return str(code)[:3] != str(before)[:3]

    def _reset(self) -> None:
        self.subject_from = len(self.findings)
        self.subject_starts.append(max(self.n_read - 1, 0))
        self.stated, self.unknown, self.misses, self.asked_before = {}, set(), {}, set()
        self.redescribed = self.renewal = self.doubted = False
        self.requested = []
        self.company = self.applicant_id = None

    def _same_company(self, name: str) -> bool:
        new = squash(name)
        known = [squash(self.company or "")]
        if self.record is not None:
            known.append(squash(self.record["company_name"]))
        return any(k and (new in k or k in new) for k in known)

    # --- facts -----------------------------------------------------------------------------------------
    @property
    def subject_at(self) -> int:
        """The history's index of the message that began talk of this applicant."""
        return self.subject_starts[-1] if self.subject_starts else 0

    @property
    def ident(self) -> str | None:
        return self.applicant_id or self.company

    @property
    def record(self) -> dict | None:
        """The applicant record for the named company or id, when the lookup found exactly that applicant."""
        for q in (self.applicant_id, self.company):
            if q and q in self.lookups:
                ok, result = self.lookups[q]
                app = established_applicant({"name_or_id": q}, result) if ok else None
                if app:  # not: not in our submissions, several candidates, or a closest name of another business
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

    def candidates(self) -> list[dict]:
        """The classifier's candidates for the business as described (or as its name says, until the underwriter
        turns those down), when it was classified."""
        desc = self.stated.get("description") or ("naics_choice" not in self.unknown and self.trade_in_name())
        if not desc:
            return []
        return self.classified.get(expand_abbreviations(desc), {}).get("candidates") or []

    def trade_in_name(self) -> str | None:
        """The company's name when it says what the business does ("Pine Ridge Creamery", "Lakeshore Ferry Lines")
        and nothing else does: its codes are offered to pick from, never assumed. Not for a name on file."""
        if not self.company or self.record is not None or self.applicant_id:
            return None
        words = [w for w in re.findall(r"[A-Za-z]+", self.company) if w.lower() not in _NAME_SUFFIXES]
        trade = [w for w in words if w.lower() in trade_words() and w.lower() not in _NAME_GENERIC]
        return " ".join(words) if trade else None

    def naics(self) -> tuple[str | None, tuple | None]:
        """The 2022 code, or the tool call that gets it. A classified description gives no code by itself: the
        underwriter picks among the candidates (``naics_choice``), unless they cannot, then the closest is assumed."""
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
        if desc and (answered := self._classified_as(desc)):
            return answered, None  # our own finding gave the code for this description: never offered again
        if desc:
            key = expand_abbreviations(desc)
            if key not in self.classified:
                return None, ("classify_business", {"description": key})
            cands = self.classified[key].get("candidates") or []
            if (titled := self._titled(desc, cands)) is not None:
                return titled, None  # "roofing contractor": the description is a candidate's own title, no choice
            if cands and {"naics_choice", "naics"} <= self.unknown:
                self.assumed = cands[0]["naics"]
                return cands[0]["naics"], None
        elif (name := self.trade_in_name()) and not {"naics_choice", "description"} & self.unknown:
            key = expand_abbreviations(name)
            if key not in self.classified:
                return None, ("classify_business", {"description": key})
        return None, None

    def _titled(self, desc: str, cands: list[dict]) -> str | None:
        """The candidate whose NAICS title the description is (``choice.titled``), unless the underwriter turned the
        candidates down."""
        if "naics_choice" in self.unknown or self.redescribed:
            return None
        return titled(desc, [c["naics"] for c in cands], self.catalog.naics_titles)

    def _classified_as(self, desc: str) -> str | None:
        """The code a classification finding about this applicant gave for this description, the latest."""
        for f in reversed(self.findings[self.subject_from :]):
            if f.get("task_type") == "classification" and (f.get("facts") or {}).get("description") == desc[:300]:
                return f.get("naics")
        return None

    def turn_result(self, name: str, args: dict) -> Call | None:
        return next((c for c in self.calls if c.name == name and c.args == args), None)


def read_conversation(messages: list[BaseMessage], catalog) -> Conversation:
    conv = Conversation(catalog)
    for m in messages:
        conv.read(m)
    return conv
