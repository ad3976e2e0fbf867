"""How the offline rules model says things: questions, notes on this turn's lookups, and the answer per task.

``AnswerWriter`` is the half of ``OfflineRulesModel`` (graph/offline.py) that turns a tool result into words: the
determination, the reason with its figures and the guideline section ids in brackets, after ``record_finding``.
It also writes the one question a turn asks, in the words of ``facts.QUESTIONS``.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from core.vocabulary import (
    FACT_WORDS,
    FACTS,
    LINE_TASKS,
    MONEY_FACTS,
    READ_ORDER,
    TASK_LABELS,
    TOOL_FACTS,
    shown,
    usd,
)
from graph import prompts
from graph.offline.choice import named_by_title
from graph.offline.conversation import Conversation, asks_about_referring_it
from graph.offline.facts import QUESTION_VARIANTS, QUESTIONS, expand_abbreviations
from graph.offline.names import content_words
from graph.reader.read import facts_named
from tools.catalog import Catalog
from tools.guard import scan_products, unwritten_request
from tools.underwriting import deciding

FRAGMENT_WORDS = 3  # a description this short ("barber shop") is a fragment: offer the candidates
# Classification candidates this close in score (a sum of two cosines and a scaled BM25, tools/naics.py): mention
# the runner-up. 0.02 flags about 4% of right answers on the labelled sets.
CLOSE_SCORE = 0.02
OFFER_TASKS = ("policy_limits", "deductible")  # figures to offer: said after a decline when out of appetite
RULES_CHARS = 900  # a guideline section said as its rules is cut here


def quoted(text: str, limit: int) -> str:
    """The underwriter's words quoted back, cut at a whole word with an ellipsis ("... and liquor" read alone
    names a product)."""
    return textwrap.shorten(text, limit, placeholder="…")


def _usd(n) -> str:
    return usd(int(n))


def _plain(text: str) -> str:
    flat = re.sub(r"\s+", " ", re.sub(r"[#|>]", " ", re.sub(r"[*`]", "", text or ""))).strip()
    return re.sub(r"\s+([,.;:])", r"\1", flat)


def _gist(text: str, limit: int = 280) -> str:
    """The first sentences of a guideline section, up to ``limit`` characters."""
    flat = _plain(text)
    out = ""
    for sentence in re.split(r"(?<=[.!?])\s+", flat):
        if out and len(out) + len(sentence) > limit:
            break
        out = f"{out} {sentence}".strip()
    return out[: limit + 40]


SHORT_LABEL = 4  # a table whose first column averages this many words or fewer labels its rows ("Junior underwriter")


def rules_of(text: str, limit: int = RULES_CHARS) -> str:
    """A guideline section said as its rules: its opening, then each list or table of its own (before any
    sub-heading) as its lead-in and one "- item" line per item or row, read from the Markdown's structure (list
    items, table rows), with asides in parentheses left out; cut at a whole line. The opening sentences alone,
    when the section lists nothing."""
    body = re.split(r"^#{3,} ", text or "", maxsplit=1, flags=re.M)[0]
    blocks: list[tuple[str, list[str]]] = []  # (the line before a list or table, its items)
    lead = ""
    items: list[str] = []
    table: list[str] = []
    paragraphs: list[str] = []

    def close() -> None:
        nonlocal items, table
        rows = [r for r in table[1:] if not re.fullmatch(r"[\s|:-]+", r)]  # not the header, nor its rule
        cells = [[_plain(c) for c in r.strip().strip("|").split("|")] for r in rows]
        if cells and all(len(c) >= 2 for c in cells):
            # each row as "label: value" when its first column labels it ("Junior underwriter") or its second is a
            # short verdict ("Type V wood frame | Decline (No)", "Umbrella | Not written."): without the verdict the
            # row reads as the opposite (and a product we do not write as offered)
            short = any(
                sum(len(re.split(r"[.;]", c[n])[0].split()) for c in cells) / len(cells) <= SHORT_LABEL for n in (0, 1)
            )
            items += [f"{c[0]}: {c[1]}" if short else c[0] for c in cells]
        if items:
            blocks.append((lead, items))
        items, table = [], []

    for raw in body.splitlines():
        line = raw.strip()
        if line.startswith("|"):
            table.append(line)
        elif re.match(r"(?:[-*+]|\d+\.)\s", line):
            items.append(_plain(re.sub(r"^(?:[-*+]|\d+\.)\s+", "", line)))
        else:
            if items or table:
                close()
            if line:
                lead = _plain(line) if line.endswith(":") else ""  # "refers when any of these holds:"
                if not blocks:
                    paragraphs.append(_plain(line))
    close()
    if not blocks:
        return _gist(text)
    opening = _gist(" ".join(p for p in paragraphs if p not in {b[0] for b in blocks}))
    said = [opening] if opening else []
    for lead_in, found in blocks:  # each list stays a list, one item a line, as the guideline sets it out
        firsts = [re.split(r"(?<=\.)\s+(?=[A-Z])", re.sub(r"\s*\([^()]*\)", "", i))[0] for i in found]
        if lead_in:
            said.append(lead_in if lead_in.endswith(":") else f"{lead_in}:")
        said += [f"- {f.rstrip('.; ')}" for f in firsts]
    out: list[str] = []
    for line in said:  # cut at a whole line, never inside an item
        if out and sum(len(x) + 1 for x in out) + len(line) > limit:
            out.append("- …" if line.startswith("- ") else "…")
            break
        out.append(line)
    # a line after a list starts a new paragraph (else Markdown reads it as part of the last item)
    return "".join(
        ("\n\n" if out[i - 1].startswith("- ") and not x.startswith("- ") else "\n") + x if i else x
        for i, x in enumerate(out)
    )


def _cite(sections) -> str:
    return " ".join(f"[{s}]" for s in sections)


@dataclass
class Step:
    """One decision: a tool call, or a final text (with the fact it asks for, if it is a question)."""

    tool: str | None = None
    args: dict | None = None
    text: str = ""
    asked: str | None = None
    core: str = ""  # the text without this turn's notes and declines (to join several answers)
    offered: list | None = None  # NAICS codes offered to choose from (kept in the message's memory)
    line: str | None = None  # the line a question is about, when not the one stated last (kept in the memory)
    noted: bool = False  # the note of what the message corrected is in the text
    took_nothing: bool = False  # a question about the rules, our answer or the facts given: no fact was read from it


class AnswerWriter:
    """Questions, notes and answers; ``self.catalog`` is the live catalog."""

    catalog: Catalog

    def correction_note(self, changed: dict) -> str:
        """'Noted: vehicles 41 (not 14).' for the facts this message corrected, so the underwriter sees it was taken."""

        def shown(fact: str, value: object) -> str:
            if fact == "lob":
                return self.lob_name(str(value))  # "General Liability", not its key
            return usd(value) if fact in MONEY_FACTS else str(value)

        said = [f"{FACT_WORDS.get(k, k)} is {shown(k, new)} (not {shown(k, old)})" for k, (old, new) in changed.items()]
        return f"Noted: {'; '.join(said)}."

    def help_text(self) -> str:
        return prompts.OFFLINE_HELP.format(insurer=self.catalog.insurer, lobs=", ".join(self.catalog.lobs.values()))

    @staticmethod
    def described(conv: Conversation) -> bool:
        """The conversation says something about a business (a name, a description, a figure, a place, a line)."""
        return bool(conv.company or conv.applicant_id or conv.stated)

    def what_to_know(self, conv: Conversation) -> Step:
        """What the underwriter wants to know about the business they described, when no question was read."""
        desc = conv.stated.get("description")
        who = conv.who if conv.ident or not desc else f"this business ({quoted(str(desc), 60)})"
        return Step(
            text=f"What would you like to know about {who}? I can check whether we write a line for it, suggest the "
            "lines to offer, test small-business size, give limits and deductibles, or find its NAICS code."
        )

    def refuse_figures(self, conv: Conversation, invalid: dict) -> Step:
        """A figure no business can have is refused with what is valid, and asked for again."""
        fact, typed = next(iter(invalid.items()))
        valid = {
            "employees": "a whole number of employees, 0 or more",
            "vehicles": "a whole number of vehicles, 0 or more",
        }.get(fact, "a dollar amount of $0 or more, e.g. $4.5M")
        return Step(
            text=f"{typed} is not a possible figure for {FACT_WORDS[fact]}: give {valid}. {QUESTIONS[fact]}",
            asked=fact,
        )

    def what_if(self, conv: Conversation, supposed: dict) -> Step:
        """A what-if ("what if it had 1,300 employees?") changes no fact and records no determination: the facts
        stay as given, and a real change is one correction away."""
        fact, value = next(iter(supposed.items()))
        now = conv.fact(fact)
        kept = f"({shown(fact, now)})" if now is not None else f"({FACT_WORDS.get(fact, fact)} not given yet)"
        noun = FACTS[fact].label.lower() if fact in FACTS else fact
        typed = usd(value) if fact in MONEY_FACTS else value
        return Step(
            text=(
                f"A what-if is not recorded as a determination: the facts stay as given {kept}. If "
                f'{shown(fact, value)} is the real figure, say so ("correction: {noun} is {typed}") and I will '
                "redo the check with it."
            )
        )

    def open_question(self, conv: Conversation, intent: str) -> Step:
        """A question about the rules, about our last answer, small talk or something off-topic; nothing in it is a
        fact about the applicant (the read-back says none)."""
        step = self._open_question(conv, intent)
        step.took_nothing = step.tool is None and intent != "smalltalk"
        return step

    def _open_question(self, conv: Conversation, intent: str) -> Step:
        if intent == "guidelines":
            query = (conv.parsed.text if conv.parsed else "").strip()[:500]
            done = next((c for c in conv.calls if c.name == "search_guidelines"), None)
            if done is None:
                return Step(tool="search_guidelines", args={"query": query, "k": 2})
            sections = (done.result.get("sections") or []) if done.ok else []
            if not sections:
                return Step(text="I found nothing in the guidelines on that. " + self.help_text())
            # the title on its own line (a "]" before ":" would be escaped on the page: no link)
            said = [f"{sec['title']} [{sec['id']}]\n\n{rules_of(sec['text'])}" for sec in sections]
            # (a question of ours still open is asked again after it, so the next reply still answers it)
            return self._again(
                conv, self._case_referral(conv) + "From the guidelines:\n\n" + "\n\n".join(said) + "\n\n"
            )
        if intent == "why":
            if not conv.findings:
                if conv.asked and conv.question:
                    return self._again(conv, "I have not given a determination in this conversation yet.")
                return Step(
                    text="I have not given a determination in this conversation yet. Ask me about an applicant "
                    "(appetite for a line, other lines to offer, small-business size, limits, deductibles or its NAICS "
                    "code) and I will say what each answer rests on."
                )
            last = conv.findings[-1]
            label = TASK_LABELS.get(last.get("task_type"), "answer")
            return Step(text=f"My last answer ({label.lower()}) rests on: {last.get('summary', '')}")
        if intent == "recap":
            return self.recap(conv)
        if intent == "off_topic":
            return Step(
                text="That is outside what I can help with. I answer underwriting questions for "
                f"{self.catalog.insurer}: appetite, other lines to offer, small-business size, limits, deductibles "
                "and NAICS classification, and what the guidelines say."
            )
        return Step(text=self.help_text())

    @staticmethod
    def _case_referral(conv: Conversation) -> str:
        """Before the rules, where the case in hand stands, when the question asks whether it goes to a senior
        ("when do I refer this?"): its referral lines, or that none of its determinations was beyond authority
        (the copilot checks each against the authority rules when it is made and refers it then)."""
        if conv.parsed is None or not asks_about_referring_it(conv.parsed.text):
            return ""
        found = conv.findings[conv.subject_from :]
        if not found:
            return ""
        lines = [text for at, text in conv.referred if at > conv.subject_from and text]
        if lines:
            return "In this case: " + " ".join(lines) + "\n\n"
        return (
            "In this case: nothing has been referred. Every determination so far was checked against the authority "
            "rules when it was made, and none is beyond your authority (a correction that changes one is checked "
            "again).\n\n"
        )

    def recap(self, conv: Conversation) -> Step:
        """What the underwriter has told us about the applicant so far, as the read-back line says each fact, and
        what they said nobody knows ("what revenue did I give you?"); then the question still open, asked again so
        the next reply answers it."""
        named = facts_named(conv.parsed.text) if conv.parsed else []  # "what revenue did I give you?": that one
        known = []
        for k in [k for k in READ_ORDER if k in named] or READ_ORDER:
            values = [conv.fact(k)] if k != "lob" else [conv.fact(k), *conv.requested]  # every line asked of
            known += [quoted(shown(k, v, self.catalog.lobs), 80) for v in dict.fromkeys(values) if v is not None]
        unknown = [FACTS[k].words for k in named or FACTS if k in conv.unknown and conv.fact(k) is None]
        if not known and not unknown:
            if named:
                said = f"You have not told me {' or '.join(FACTS[k].words for k in named)}."
                return self._again(conv, said)
            return Step(text="You have not told me anything about the business yet. " + self.help_text())
        joined = " · ".join(known)
        said = f"So far I have: {joined}{'' if joined.endswith(('.', '…')) else '.'}" if known else ""
        if unknown:
            said += f" Not known: {', '.join(unknown)}."
        return self._again(conv, said.strip() + " Correct any of them by saying the right value.")

    @staticmethod
    def _again(conv: Conversation, said: str) -> Step:
        """``said``, then the question still open asked again, so the next reply answers it."""
        if conv.asked and conv.question:
            offered = conv.offered if conv.asked == "naics_choice" else None
            return Step(text=f"{said} {conv.question}", asked=conv.asked, offered=offered)
        return Step(text=said)

    def lob_name(self, code: str | None) -> str:
        return self.catalog.lobs.get(code or "", code or "")

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
                    notes.append(
                        f"I found {rec['company_name']} ({rec['id']}): NAICS {rec['naics_code']} {self.title(rec['naics_code'])}, "
                        f"{self.catalog.states.get(rec['state'], rec['state'])}, asking for {self.lob_name(rec['requested_lob'])}."
                    )
                elif c.ok and c.result.get("candidates"):
                    seen = dict.fromkeys(f"{x['company_name']} ({x['id']})" for x in c.result["candidates"][:5])
                    names = "; ".join(seen)
                    notes.append(f"I did not find one applicant named '{q}' (closest: {names}).")
                else:
                    notes.append(f"I did not find an applicant named '{q}' in our submissions.")
            elif c.name == "get_naics" and not c.ok:
                notes.append(f"{c.args.get('code')} is not a NAICS code I can find (2012, 2017 or 2022 editions).")
            elif c.name == "get_naics" and conv.task != "classification":
                maps = c.result.get("maps_to_2022") or []
                if len(maps) == 1:
                    notes.append(
                        f"{c.args.get('code')} is a {c.result.get('edition')} NAICS code; the 2022 code is {maps[0]['code']} {maps[0]['title']}."
                    )
        if conv.assumed and any(c.name == "classify_business" or c.name.startswith("check") for c in conv.calls):
            title = self.title(conv.assumed)
            notes.append(f"Assuming NAICS {conv.assumed} {title}, the closest match to what the business does.")
        return notes

    def _decline(self, conv: Conversation) -> str:
        names = conv.parsed.not_written if conv.parsed is not None else []
        if not names:
            return ""
        return f"We do not write {' or '.join(names)}: it is not one of our lines [products-not-written]."

    def _say(self, conv: Conversation, core: str, asked: str | None = None) -> Step:
        parts = [self._decline(conv), *self._notes(conv), core]
        return Step(text=" ".join(p for p in parts if p), asked=asked, core=core)

    @staticmethod
    def recorded(conv: Conversation, task: str | None) -> bool:
        """A finding for this task (and, for a question about one line, this line) was recorded this turn."""
        line = conv.fact("lob") if task in LINE_TASKS else None
        return any(
            c.name == "record_finding"
            and c.args.get("task_type") == task
            and (line is None or (c.args.get("facts") or {}).get("lob") == line)
            for c in conv.calls
        )

    def offer_candidates(self, conv: Conversation, cands: list[dict]) -> Step:
        """One question: which of the classifier's closest codes fits the business."""
        listed = "; ".join(self._candidate(c) for c in cands)
        desc = quoted(conv.stated.get("description") or conv.trade_in_name() or "", 80)
        # a question asked instead of picking waits for the code: said, so the same choice is not a wall
        waits = conv.asked == "naics_choice" and conv.parsed is not None and conv.parsed.task is not None
        lead = prompts.CODE_FIRST if waits else ""
        step = self._say(conv, f'{lead}Which NAICS code fits "{desc}" best: {listed}?', asked="naics_choice")
        step.offered = [c["naics"] for c in cands]
        return step

    def _candidate(self, c: dict) -> str:
        """A code and its title, quoted (a title, not an offer); a title naming a product we do not write (e.g.
        "Direct Life Insurance Carriers") is left out, so the answer never names one."""
        if scan_products(c["title"], self.catalog, mentions_only=True):
            return c["naics"]
        return f'{c["naics"]} "{c["title"]}"'

    def _ask(self, conv: Conversation, fact: str) -> Step:
        again = (
            "Sorry, I did not catch that. "
            if conv.asked == fact and conv.misses.get(fact) and not (conv.parsed and conv.parsed.facts)
            else ""
        )
        question = QUESTIONS[fact]
        if fact == "lob" and conv.task == "product_recommendation":
            question = QUESTION_VARIANTS["requested_lob"][1]  # the line they applied for is the one we leave out
        return self._say(conv, again + question, asked=fact)

    def _cannot(self, conv: Conversation, fact: str) -> Step:
        what = {
            "appetite": "check appetite",
            "product_recommendation": "recommend lines",
            "small_business": "run the small-business test",
            "policy_limits": "give the limits",
            "deductible": "give the deductible",
            "classification": "classify the business",
        }[conv.task or ""]
        missing = (
            "knowing what the business does (or its NAICS code)"
            if fact == "description"
            else FACT_WORDS.get(fact, fact)
        )
        # asked=fact: a bare answer on the next turn ("$20M") is read as this fact
        return self._say(
            conv,
            f"I cannot {what} without {missing}. Tell me when you have it and I will finish the check.",
            asked=fact,
        )

    def _finish(
        self,
        conv: Conversation,
        task: str,
        core: str,
        verdict: dict,
        sections: list[str],
        facts: dict,
        waiting: str | None = None,
    ) -> Step:
        """record_finding first (once per turn), then the answer. ``waiting``: the missing fact a later bare answer gives."""
        if conv.supposing:  # a what-if's answer: said as one, never recorded
            supposed = ", ".join(shown(k, v, self.catalog.lobs) for k, v in conv.supposing.items())
            return Step(
                text=f"What if ({supposed}): {core} This is a what-if: nothing is recorded, and the facts stay as "
                f'given. If it is the real figure, say so ("correction: ...") and I will redo the check with it.'
            )
        if self.recorded(conv, task):
            return self._say(conv, core, asked=waiting)
        if task in LINE_TASKS and conv.parsed is not None and unwritten_request(conv.parsed.text, self.catalog):
            return self._say(conv, core, asked=waiting)  # asked only about a product we do not write: no finding
        args = {"task_type": task, "summary": core, "citations": list(sections), **verdict, "facts": facts}
        return Step(tool="record_finding", args=args)

    def _facts_used(self, conv: Conversation, args: dict) -> dict:
        out = {k: v for k, v in args.items() if v is not None}
        out |= {k: v for k, v in conv.stated.items() if k in FACTS and k not in TOOL_FACTS}  # stated, no rule yet
        if conv.record is not None:
            out["company"], out["applicant_id"] = conv.record["company_name"], conv.record["id"]
        elif conv.company:
            out["company"] = conv.company
        if unknown := sorted(f for f in conv.unknown if f in FACTS):  # facts only ("naics_choice" is our question)
            out["unknown"] = unknown
        if conv.renewal and conv.task in ("appetite", "product_recommendation"):
            out["renewal"] = True  # a flag the authority rules read of a determination (seed_db/authority.py)
        return out

    # --- answers per task ----------------------------------------------------------------------------
    def _subject(self, conv: Conversation, res: dict) -> str:
        state = f", {res['state']}" if res.get("state") else ""
        return f"{conv.who} (NAICS {res['naics']} {res.get('title', self.title(res['naics']))}{state})"

    @staticmethod
    def _rule_reason(res: dict) -> str:
        """The reason of an appetite check from its typed rule steps: the deciding ones, or every one for a yes."""
        applied = res.get("rules_applied", [])
        decisive = [st for st in applied if deciding(st)]
        shown = [st for st in applied if st["outcome"] != "not_needed"] if res["appetite"] == "yes" else decisive
        shown = shown or [st for st in applied if st["outcome"] != "not_needed"] or applied
        return "; ".join(st["detail"].rstrip(".") for st in shown) + "." if applied else ""

    def _appetite(self, conv: Conversation, res: dict, facts: dict) -> Step:
        lob, sections, who, waiting = self.lob_name(res["lob"]), res.get("sections", []), self._subject(conv, res), None
        reason = self._rule_reason(res)
        if res["status"] == "need_facts":
            need = (res.get("needs") or [None])[0]
            if need and need not in conv.unknown:
                return self._ask(conv, need)
            core = f"Qualified — it depends on {FACT_WORDS.get(need, need)}, which we do not have: {lob} for {who}: {reason} {_cite(sections)}"
            verdict, waiting = "qualified", need
        elif res["status"] == "refer":
            core = f"Qualified — refer to a senior underwriter: {lob} for {who}: {reason} {_cite(sections)}"
            verdict = "qualified"
        elif res["appetite"] == "yes":
            core = f"Yes — {who} is in appetite for {lob}: {reason} {_cite(sections)}"
            verdict = "yes"
        else:
            core = f"No — {who} is not in appetite for {lob}: {reason} {_cite(sections)}"
            verdict = "no"
        return self._finish(conv, "appetite", core, {"appetite": verdict}, sections, facts, waiting)

    def _product_recommendation(self, conv: Conversation, res: dict, facts: dict) -> Step:
        sections = res.get("sections", [])
        # The tool leaves out one line; every line asked of in this conversation (a submission's three) is left out.
        left_out = list(dict.fromkeys([*([res["excluded"]] if res.get("excluded") else []), *conv.requested]))
        recommended, pending, declined = (
            [r for r in res.get(k) or [] if r.get("lob") not in left_out]
            for k in ("recommended", "need_facts", "declined")
        )
        needs = {n for p in pending for n in p.get("needs", [])}
        if res.get("status") == "need_facts":
            for need in res.get("needs", []):
                if need not in conv.unknown and need in needs:
                    return self._ask(conv, need)
        besides = (
            " and ".join(filter(None, [", ".join(map(self.lob_name, left_out[:-1])), self.lob_name(left_out[-1])]))
            if left_out
            else ""
        )
        opening = f"Besides {besides}, we can offer" if left_out else "We can offer"
        where = f"{res['naics']} {res.get('title', '')} in {res['state']}"
        if pending and not recommended and all(p.get("status") == "refer" for p in pending):
            return self._say(
                conv,
                f"Refer — I cannot recommend lines for {conv.who} ({where}) until a senior underwriter reviews it: "
                f"{pending[0]['reason']} {_cite(sections)}",
            )
        if pending and not recommended:
            wanted = sorted(needs)
            what = " and ".join(FACT_WORDS.get(n, n) for n in wanted) or "a referral"
            return self._say(
                conv,
                f"It cannot be determined yet which lines we can offer for {conv.who} ({where}): it depends on {what}. "
                f"{pending[0]['reason']} {_cite(sections)}",
                asked=wanted[0] if wanted else None,
            )
        if not recommended:
            why = res.get("reason") or "; ".join(f"{d['name']}: {d['reason']}" for d in declined)
            core = f"None: we cannot offer {conv.who} ({where}) any {'other ' if left_out else ''}line — {why} {_cite(sections)}"
        else:
            names = ", ".join(r["name"] for r in recommended)
            core = f"{opening}: {names} — each passes the small-business test and the appetite guide for {where}."
            if pending:
                core += (
                    " Qualified, depending on facts we do not have: "
                    + "; ".join(
                        f"{p['name']} ({' and '.join(FACT_WORDS.get(n, n) for n in p.get('needs', [])) or 'referral'})"
                        for p in pending
                    )
                    + "."
                )
            if declined:
                core += (
                    " Not offered: "
                    + "; ".join(f"{d['name']} ({(d.get('decisive') or d['reason']).rstrip('.')})" for d in declined)
                    + "."
                )
            core += f" {_cite(sections)}"
        return self._finish(
            conv, "product_recommendation", core, {"lobs": [r["lob"] for r in recommended]}, sections, facts
        )

    def _small_business(self, conv: Conversation, res: dict, facts: dict) -> Step:
        sections, reason = res.get("sections", []), res.get("reason", "")
        who = self._subject(conv, res)
        if res["status"] == "need_facts":
            need = (res.get("needs") or [None])[0]
            if need and need not in conv.unknown:
                return self._ask(conv, need)
            return self._say(
                conv,
                f"It cannot be determined whether {who} is a small business without {FACT_WORDS.get(need, need)}: {reason} {_cite(sections)}",
                asked=need,
            )
        if res["status"] != "decided":
            return self._say(
                conv, f"Refer — the small-business test cannot be applied to {who}: {reason} {_cite(sections)}"
            )
        small = bool(res["small_business"])
        core = f"{'Small business' if small else 'Not a small business'} — {who}: {reason} {_cite(sections)}"
        return self._finish(conv, "small_business", core, {"small_business": small}, sections, facts)

    def _policy_limits(self, conv: Conversation, res: dict, facts: dict) -> Step:
        sections = res.get("sections", [])
        rule = res.get("scope", "")
        core = (
            f"{_usd(res['per_occurrence'])} per occurrence / {_usd(res['aggregate'])} aggregate for {self.lob_name(res['lob'])} "
            f"on {self._subject(conv, res)}: {rule} {_cite(sections)}"
        )
        verdict = {"per_occurrence": res["per_occurrence"], "aggregate": res["aggregate"]}
        core, verdict, sections = self._declined_first(conv, res, core, verdict, sections)
        return self._finish(conv, "policy_limits", core, verdict, sections, facts)

    def _declined_first(
        self, conv: Conversation, res: dict, core: str, verdict: dict, sections: list[str]
    ) -> tuple[str, dict, list[str]]:
        """Figures for a line out of appetite: the decline first, with its reason, then the figures as information;
        the finding says so too (``appetite: no`` beside its figures)."""
        declined = res.get("declined")
        if not declined:
            return core, verdict, sections
        cited = list(dict.fromkeys([*declined.get("sections", []), *sections]))
        lead = (
            f"Declined — {self._subject(conv, declined)} is not in appetite for {self.lob_name(declined['lob'])}: "
            f"{self._rule_reason(declined)} {_cite(declined.get('sections', []))}"
        )
        return f"{lead} For information only: {core}", {**verdict, "appetite": "no"}, cited

    def _deductible(self, conv: Conversation, res: dict, facts: dict) -> Step:
        sections = res.get("sections", [])
        rule = res.get("scope", "")
        core = f"{_usd(res['deductible'])} deductible for {self.lob_name(res['lob'])} on {self._subject(conv, res)}: {rule} {_cite(sections)}"
        core, verdict, sections = self._declined_first(conv, res, core, {"deductible": res["deductible"]}, sections)
        return self._finish(conv, "deductible", core, verdict, sections, facts)

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
        if code and code in titles and "naics_choice" in conv.asked_before:  # picked from the candidates
            core = f"NAICS {code} {titles[code]} {_cite(sections)}"
            return self._finish(conv, "classification", core, {"naics": code}, sections, self._facts_used(conv, {}))
        desc = conv.stated.get("description")
        if desc:
            key = expand_abbreviations(desc)
            if key not in conv.classified:
                return Step(tool="classify_business", args={"description": key})
            cands = conv.classified[key].get("candidates") or []
            allowed = {m["code"] for m in maps}
            if allowed and any(
                c["naics"] in allowed for c in cands
            ):  # an old code that split: stay within its 2022 codes
                cands = [c for c in cands if c["naics"] in allowed]
            if not cands:
                return self._ask(conv, "description")
            if code and code in titles and conv.doubted and cands[0]["naics"] != code:
                pass  # "is that 713940?": asked, not stated; the closest code answers, the one asked about named
            elif code and code in titles and code in [c["naics"] for c in cands[:3]]:
                # the code on the application is among the closest to what they do: it stands, nothing to pick
                core = f'NAICS {code} {titles[code]} — the code given fits "{quoted(desc, 120)}" {_cite(sections)}'
                used = self._facts_used(conv, {"description": desc[:300]})
                return self._finish(conv, "classification", core, {"naics": code}, sections, used)
            offered, named = [c["naics"] for c in cands[:3]], None
            if len(content_words(desc, self.catalog)) <= FRAGMENT_WORDS and "naics_choice" not in conv.unknown:
                # a fragment: the underwriter picks, unless it says one title in full ("nail salon": Nail Salons);
                # a longer description names its customers' and suppliers' trades too ("buys from breweries")
                named = named_by_title(desc, offered, titles)
                if named is None:
                    return self.offer_candidates(conv, cands[:3])
            top = cands[offered.index(named)] if named else cands[0]
            core = f"NAICS {top['naics']} {top['title']}"
            if "naics_choice" in conv.unknown and not conv.redescribed:
                # none picked and nothing more said: the closest, said to be assumed, never the description asked
                # again (it was given); a better description from the underwriter is classified anew
                core = f"Assuming {core}, the closest match (none of the offered codes was picked)"
            if not named and len(cands) > 1 and top["score"] - cands[1]["score"] <= CLOSE_SCORE:
                core += f" (a close runner-up is {cands[1]['naics']} {cands[1]['title']}: choose by the activity that brings most revenue)"
            core += f' — the best match for "{quoted(desc, 120)}"'
            if code and code in titles and code != top["naics"] and conv.doubted:
                core += f" (not {code} {titles[code]}, the code asked about)"
            elif code and code in titles and code != top["naics"]:
                core += f" (the code given, {code} {titles[code]}, is not among the closest to what they do)"
            core += f" {_cite(sections)}"
            return self._finish(
                conv,
                "classification",
                core,
                {"naics": top["naics"]},
                sections,
                self._facts_used(conv, {"description": desc[:300]}),
            )
        if maps:
            shown = "; ".join(f"{m['code']} {m['title']}" for m in maps[:5]) + (
                f"; and {len(maps) - 5} more" if len(maps) > 5 else ""
            )
            return self._say(
                conv,
                f"{code} is an older NAICS code that splits into several 2022 codes ({shown}) [naics-editions]. "
                + QUESTIONS["description"],
                asked="description",
            )
        rec = conv.record
        if rec is not None:
            core = f"NAICS {rec['naics_code']} {self.title(rec['naics_code'])} — the code on {rec['company_name']}'s submission ({rec['id']}) {_cite(sections)}"
            return self._finish(
                conv, "classification", core, {"naics": rec["naics_code"]}, sections, self._facts_used(conv, {})
            )
        if code:
            core = f"NAICS {code} {titles[code]} — already a 2022 code {_cite(sections)}"
            return self._finish(conv, "classification", core, {"naics": code}, sections, self._facts_used(conv, {}))
        if "description" in conv.unknown:
            return self._cannot(conv, "description")
        return self._ask(conv, "description")
