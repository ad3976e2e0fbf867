"""The offline model's conversation policy: from what the conversation established, the one next step.

Every call of the model re-reads the whole conversation and decides the one next step:

0. a figure no business can have is refused with what is valid; a question about the guidelines, about our last
   answer ("why?"), small talk or an off-topic message gets its short answer; a message naming only products we
   do not write is declined with [products-not-written] and never re-runs the last determination;
1. find the applicant when the underwriter names a company or an applicant id (``find_applicant``);
2. get a 2022 NAICS code: stated, from the applicant record, via ``get_naics`` for an older code; otherwise ask
   what the business does, classify it (``classify_business``) and offer the three closest codes to pick from;
   ask for the code itself only when none fits, and assume the closest (saying so) only when neither is known;
3. ask for the facts the task's tool needs, one question at a time (state, line of business; for a
   recommendation, the line they applied for, which is left out of the answer) — never one already given;
4. call the task's domain tool with every fact known; ask the question a ``need_facts`` result names, unless the
   underwriter already said they do not know it;
5. call ``record_finding`` with the verdict, then answer: determination, reason with figures, [section ids].
   Several questions in one message are answered in turn, each with its own finding, in one reply.

Text parsing lives in ``facts.py`` (with ``numbers.py`` and ``names.py``); reading the history in
``conversation.py``; the wording of questions and answers in ``answers.py``.
Private memory in ``additional_kwargs["uwc"]`` (``asked``, ``task``, ``offered``, ``line``) is a convenience: the question
text itself says what was asked.
"""

from __future__ import annotations

from core.decisive import decisive_call, missing
from core.vocabulary import FACTS, LINE_TASKS, TASKS
from graph.offline.answers import OFFER_TASKS, AnswerWriter, Step
from graph.offline.conversation import Conversation, asked_in, read_conversation  # noqa: F401  (interface)


def asks(task: str) -> tuple[str, ...]:
    """The facts asked for before the task's tool runs (the NAICS code is found its own way, before them)."""
    spec = TASKS[task]
    return tuple(f for f in spec.needs if f != "naics") + (("lob",) if spec.leaves_out_line else ())


def optional(task: str) -> set[str]:
    """Facts asked for that may stay unknown: the line to leave out (none known: recommend across every line)."""
    return {"lob"} if TASKS[task].leaves_out_line else set()


class Policy(AnswerWriter):
    """Decides the next step: a tool call, a question (one per turn, never for a fact already given) or an answer."""

    # --- the decision --------------------------------------------------------------------------------
    def decide(self, conv: Conversation) -> Step:
        p = conv.parsed
        if p is None:
            return Step(text=self.help_text())
        if p.invalid:
            return self.refuse_figures(conv, p.invalid)
        if p.supposed and not p.facts:
            if conv.task is None or (conv.task in LINE_TASKS and conv.fact("lob") is None):
                return self.what_if(conv, p.supposed)  # no question in hand to answer with them
            # "what if they had 18 trucks?": the question in hand answered with the figures supposed, said as such
            # and recorded nowhere (``_finish``); the facts stay as given (this call's copy is changed, not kept)
            conv.stated.update(p.supposed)
            conv.supposing = dict(p.supposed)
            return self.decide_task(conv)
        if p.intent and p.task is None:
            if p.intent in ("smalltalk", "why") and conv.task is None and self.described(conv):
                return self.what_to_know(conv)  # "not sure" after a description: the question is still open
            if p.intent == "smalltalk" and self.described(conv):
                return self.what_to_know(conv)  # "thanks, and now?" after an answer: about this business, not the menu
            return self.open_question(conv, p.intent)
        if (
            p.not_written
            and "lob" not in p.facts
            and "product_recommendation" not in (p.task, conv.task)
            and (p.task is None or ("lob" in asks(p.task) and "lob" not in optional(p.task)))
        ):  # (a size test or a code needs no line: a bond limit on a form asks for no bond)
            # only products we do not write: decline with the section; never redo the last determination
            return self._say(
                conv,
                f"The lines we write are: {', '.join(self.catalog.lobs.values())}. Which of them should I check?",
                asked="lob",
            )
        if conv.task is None and self.described(conv):
            return self.what_to_know(conv)  # a business described and no question read: ask, not the help text
        if conv.task is not None and not conv.has_content and self.described(conv):
            return self.what_to_know(conv)  # "ok so what now?" after an answer: about this business, not the menu
        if conv.task is None or not conv.has_content:
            return Step(text=self.help_text())
        # Several questions in one message (or one asked of several lines): each is answered (and recorded) in
        # turn, the answers joined; then every
        # earlier determination that used a fact this message corrected is re-run with it. A message that only
        # corrects redoes the current question only when it has no answer yet or depended on that fact.
        todo = [
            (t, (conv.task_lines.get(t) or conv.fact("lob")) if t in LINE_TASKS else None)
            for t in dict.fromkeys([conv.task, *conv.pending])
        ]
        # the other lines named ("limits and deductibles for property and auto"): each question about a line that
        # named none of its own is asked of each of them
        todo += [
            (t, line)
            for t in dict.fromkeys(t for t, _ in todo if t in LINE_TASKS and t not in conv.task_lines)
            for line in conv.more_lines
        ]
        if conv.reruns and p.task is None and conv.found_before(conv.task) and todo[0] not in conv.reruns:
            todo = []
        todo += [r for r in conv.reruns if r not in todo]
        answers: list[str] = []
        noted: int | None = None  # the answer the correction's note leads: the first that used a corrected fact
        stated = conv.stated.get("lob")
        for task, line in todo:  # (conv is this call's own copy: what is set here is not kept)
            conv.task = task
            if line is not None:
                conv.stated["lob"] = line  # the line that determination was about
            step = self.decide_task(conv)
            if step.tool or not self.recorded(conv, task):
                if step.asked and line is not None and line != stated:
                    step.line = line  # a question about another line: the conversation goes on about that one
                return self._noted(conv, self._joined(answers, step), answers, noted)
            if noted is None and self._used_changed(conv, task):
                noted = len(answers)
            answers.append(step.text if not answers else step.core)
        return self._noted(conv, Step(text=" ".join(answers)), answers, noted)

    @staticmethod
    def _joined(answers: list[str], step: Step) -> Step:
        if step.tool or not answers:
            return step
        return Step(text=" ".join([*answers, step.core or step.text]), asked=step.asked, line=step.line)

    def _noted(self, conv: Conversation, step: Step, answers: list[str], at: int | None) -> Step:
        """The reply with "Noted: …" (what this message corrected) said once, leading the first answer that used the
        corrected fact (the whole reply, when none did: a question, or a determination redone without it)."""
        if step.tool or not conv.changed or not step.text:
            return step
        note, step.noted = self.correction_note(conv.changed), True
        if not at:
            step.text = f"{note} {step.text}"
        else:
            step.text = " ".join([*answers[:at], note, step.text[len(" ".join(answers[:at])) :].lstrip()])
        return step

    @staticmethod
    def _used_changed(conv: Conversation, task: str) -> bool:
        """This turn's finding for the task stands on a fact the message corrected (or found it missing)."""
        for c in conv.calls:
            if c.name == "record_finding" and c.args.get("task_type") == task:
                facts = c.args.get("facts") if isinstance(c.args.get("facts"), dict) else {}
                if set(conv.changed) & (set(facts) | set(facts.get("unknown") or ())):
                    return True
        return False

    def decide_task(self, conv: Conversation) -> Step:
        task = conv.task or "appetite"  # decide() only calls this with a task
        parsed = conv.parsed
        # 1. the applicant, when one is named and we have no code yet
        if conv.ident and conv.stated.get("naics") is None and conv.record is None and conv.ident not in conv.lookups:
            return Step(tool="find_applicant", args={"name_or_id": conv.ident})
        if task == "classification":
            return self._classification(conv)
        # a product we do not write, and none of our lines named: say what we write and ask which line they mean
        if (
            parsed is not None
            and parsed.not_written
            and "lob" in asks(task)
            and "lob" not in optional(task)
            and conv.fact("lob") is None
            and "lob" not in conv.unknown
        ):
            return self._say(
                conv,
                f"The lines we write are: {', '.join(self.catalog.lobs.values())}. {FACTS['lob'].question}",
                asked="lob",
            )
        # 2. the NAICS code: stated, from the record, else asked for once, else classified from a description
        code, call = conv.naics()
        if call:
            return Step(tool=call[0], args=call[1])
        if code is None:
            return self._no_code(conv)
        # 3. the facts the tool cannot do without
        for fact in asks(task):
            if missing(conv.fact(fact)) and fact not in (conv.unknown & optional(task)):
                return self._cannot(conv, fact) if fact in conv.unknown else self._ask(conv, fact)
        # 4. the deciding tool, with every fact known
        spec = TASKS[task]
        known = {k: conv.fact(k) for k in (*spec.needs, *asks(task), *spec.figures)}
        call = decisive_call(task, {**known, "naics": code})
        assert call is not None  # every fact it needs was asked for above
        tool, args = call
        done = conv.turn_result(tool, args)
        if done is None:
            return Step(tool=tool, args=args)
        if not done.ok:
            return self._say(
                conv,
                f"I could not finish the check: {done.result.get('error', 'the tool failed')}. {done.result.get('hint', '')}".strip(),
            )
        result, used = done.result, args
        if task in OFFER_TASKS:  # figures to offer on a line out of appetite: the decline comes first
            check = self._appetite_check(conv, code)
            if check is not None:
                tool, checked = check
                ran = conv.turn_result(tool, checked)
                if ran is None:
                    return Step(tool=tool, args=checked)
                used = {**checked, **args}  # the figures stand on the appetite check's facts too
                if ran.ok and ran.result.get("status") != "need_facts" and ran.result.get("appetite") == "no":
                    result = {**result, "declined": ran.result}
        return getattr(self, f"_{task}")(conv, result, self._facts_used(conv, used))

    def _appetite_check(self, conv: Conversation, code: str) -> tuple[str, dict] | None:
        """The appetite check of the line asked about, when the state is known (the appetite guide is by state,
        and limits and deductibles do not need one)."""
        known = {k: conv.fact(k) for k in (*TASKS["appetite"].needs, *TASKS["appetite"].figures)}
        if missing(known.get("state")):
            return None
        return decisive_call("appetite", {**known, "naics": code})

    def _no_code(self, conv: Conversation) -> Step:
        """No 2022 code yet: ask what the business does (and classify it), then which candidate fits; the NAICS
        code itself only when the underwriter cannot describe the business or pick a candidate."""
        cands = conv.candidates()
        if cands and "naics_choice" not in conv.unknown:
            return self.offer_candidates(conv, cands[:3])
        if cands or "description" in conv.unknown:
            if "naics" not in conv.unknown:
                return self._ask(conv, "naics")
            return self._cannot(conv, "description")
        return self._ask(conv, "description")
