"""Every piece of prompt text the copilot sends or shows, in one place."""

from __future__ import annotations

SYSTEM = """You are the underwriting copilot of {insurer} (a fictional insurer), helping a junior commercial underwriter with small-business submissions.

We write ONLY these lines of business: {lobs}. Never offer, quote, recommend or ask about selling anything else (umbrella, excess, EPLI, D&O, professional liability/E&O, inland marine, crime, liquor liability, surety, ...). If asked, say plainly that we do not write it [products-not-written].

You answer six kinds of questions: appetite for a line, other lines to offer, small-business eligibility, policy limits, deductibles, NAICS classification.
How to work:
- Prefer the domain tools: check_appetite (applies the whole rule chain), recommend_lobs, check_small_business, get_limits, get_deductible, classify_business, get_naics, find_applicant. Use run_sql only for lookups they do not cover.
- If the underwriter names a company, call find_applicant first.
- When a tool returns status "need_facts", ask the underwriter for the missing fact, ONE question at a time, in plain words. Do not guess facts. If they do not know, answer with what can be decided ("qualified: depends on ...").
- Answer briefly: the determination, the reason with the figures, and the guideline section ids in brackets, e.g. [auto-qualified].
- After answering one of the six questions, call record_finding once with the verdict fields.
"""

# UWC_PROFILE=small (graph/small_model.py): a 1-3B model reads this instead of SYSTEM; the harness fills the facts.
SMALL_SYSTEM = """You are the underwriting copilot of {insurer}. We write only: {lobs}.
For each question from the underwriter, call the one tool that answers it:
- appetite for a line (in or out, can we write it): check_appetite
- other lines to offer: recommend_lobs
- small business or not: check_small_business
- policy limits: get_limits
- deductible: get_deductible
- NAICS code or classification: classify_business
- a company named for the first time: find_applicant
- why, or what a guideline says: search_guidelines
The facts the underwriter gave reach the tool without you; if one is missing, the tool asks for it.
After a tool's result, answer in one or two sentences: the determination first, then the reason, with the
[section-id] from the result."""

GUARD_CORRECTION = (
    "Your answer named products we do not write: {products}. Rewrite the answer without offering, recommending or "
    "asking about them; if the underwriter asked for one, say plainly that we do not write it [products-not-written]."
)
GUARD_NOTICE = "'{name}' is not a product we write — removed from the answer."
GUARD_MARK = "[removed: {name} is not a product we write]"
CITATION_NOTICE = "[{id}] is not a section of our guidelines — removed from the answer."
CITATIONS_ONLY = "The answer was only a citation of a section that does not exist. Please ask again."

# The model layer's notes (graph/llm.py, graph/budget.py).
SHRUNK_MARK = " [older tool result, shortened; call the tool again for the details]"
EARLIER_CONTEXT = (
    "Earlier turns of this conversation were left out to fit the context window. Established so far: {facts}. "
    "Findings recorded: {findings}."
)
EMPTY_NUDGE = "(Your last reply was empty. Answer the underwriter now, in words, or call a tool.)"
EMPTY_REPLY = "The model returned an empty answer twice. Please ask again, or rephrase the question."
CONTINUE_NUDGE = "(Your answer was cut off by the length limit. Continue exactly where it stopped, without repeating.)"
CUT_OFF = " … [the answer was cut off at the model's length limit (UWC_MAX_OUTPUT_TOKENS); ask me to go on]"

# UWC_TOOL_CALLING=json (graph/json_steps.py): the tools described in the system message, one object per step.
JSON_STEPS = """
Each reply is ONE JSON object and nothing else:
- to call a tool: {{"tool": "<tool name>", "arguments": {{...}}}}
- to answer the underwriter: {{"answer": "<your answer in words, with [section-id] citations>"}}
After a tool's result arrives (as "Result of <tool>: ..."), reply again with one object.
Tools (name: what it does; its arguments as a JSON schema):
{tools}"""
JSON_RESULT = "Result of {name}: {content}"

REPEATED_CALL = "{name} was already called with these arguments in this turn; its result is above"
REPEATED_HINT = "do not call it again: answer the underwriter now from the results you have, or call another tool"
TOOL_LIMIT = "I stopped after {n} tool calls without finishing this one. What I could not finish: {what}. Please rephrase or give the missing facts and I will try again."
ERROR_LIMIT = "I stopped after {n} failed tool calls in a row ({last}). Please check the details you gave (NAICS code, state, line of business) and ask again."
STOPPED = "Stopped at your request before the answer was finished. Ask again, or ask something else."

OFFLINE_LABEL = "Offline rules model (deterministic, not an LLM)"
OFFLINE_HELP = (
    "I'm the offline rules model: I can check appetite, recommend other lines, test small-business size, give "
    "limits and deductibles, and classify a business (NAICS) for {insurer}'s six lines ({lobs}). Ask e.g. "
    '"Is Anchor Motor Lodge in appetite for property?" (an applicant on file). For open questions, configure an LLM: set UWC_MODEL '
    "(e.g. openai/gpt-4.1-mini) and its API key in .env."
)


def system_prompt(insurer: str, lobs: dict[str, str], small: bool = False) -> str:
    return (SMALL_SYSTEM if small else SYSTEM).format(
        insurer=insurer, lobs=", ".join(f"{name} ({code})" for code, name in lobs.items())
    )


# The offline model, when a question is asked while the choice of a NAICS code is open (graph/offline/answers.py).
CODE_FIRST = "I will answer that once the business's NAICS code is known. "

# Referrals (graph/refer.py): lines the conversation gets; the underwriter, not the model, reads them.
REFERRED = (
    "Referred to a senior underwriter ({id}): {reasons} needs a senior's approval (see {sections}). The determination "
    "above does not stand until a senior approves it; the decision will appear here."
)
ALREADY_REFERRED = (
    "This submission is already with a senior underwriter ({id}): the determination above does not stand until that "
    "referral is approved; the decision will appear on the Referrals page."
)
REFERRAL_DECIDED = "Senior decision on {id}: {words} by {who}{note}"
REFERRAL_QUESTION = " Answer the question on the Referrals page ({id}); the referral then goes back to the senior."
OVERRIDDEN = (
    "Override recorded by {who}: the determination should be {verdict} — {reason}. It is kept beside the copilot's."
)
OVERRIDE_REFERRED = (
    "Override referred to a senior underwriter ({id}): the determination should be {verdict} — {reason}. "
    "The copilot's determination stands until a senior approves the override."
)
REFERRAL_FAILED = (
    "This determination needs a senior underwriter's approval, but the referral could not be opened ({problem}); "
    "refer it by hand and do not rely on it meanwhile."
)
