"""How an answer reads on the page: a short determination headline, the reasons as bullets, then the cited sections
as links to the Guidelines page. Pure text functions (no Streamlit), tested on their own.

The copilot's text is not changed, only laid out: an answer that already has its own lines or lists (an LLM's
Markdown) keeps them and only gets its ``[section-id]`` citations turned into links.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from app.ui.escape import code, model_markdown
from graph.headline import headline

GUIDELINES_PAGE = "guidelines"  # the Guidelines page's url_path (relative: works under any base URL)
SECTION_ID = r"[a-z0-9]+(?:-[a-z0-9]+)+"
CITATION = re.compile(rf"\[({SECTION_ID})\](?!\()")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z$\"“(])")

# The question a follow-up chip sends for each task, and the tasks worth asking next after each.
FOLLOW_UP_QUESTIONS = {
    "appetite": "Is it in appetite?",
    "product_recommendation": "What other lines can we offer?",
    "small_business": "Is it a small business?",
    "policy_limits": "What limits should we offer?",
    "deductible": "What deductible should we offer?",
    "classification": "Which NAICS code fits?",
}
NEXT_TASKS = {
    "appetite": ("product_recommendation", "policy_limits", "deductible"),
    "product_recommendation": ("policy_limits", "deductible"),
    "small_business": ("product_recommendation", "policy_limits"),
    "policy_limits": ("deductible", "product_recommendation"),
    "deductible": ("policy_limits", "product_recommendation"),
    "classification": ("small_business", "product_recommendation"),
}


def section_url(section_id: str) -> str:
    return f"{GUIDELINES_PAGE}?section={section_id}"


def section_link(section_id: str, bracketed: bool = False) -> str:
    """A link to the section; anything that is not a section id is shown as code, never as a link. ``bracketed``
    keeps the brackets in the link's text, for a citation inside a sentence ("not one of our lines
    [products-not-written]." would otherwise read "not one of our lines products-not-written.")."""
    if not re.fullmatch(SECTION_ID, str(section_id)):
        return code(section_id)
    text = f"\\[{section_id}\\]" if bracketed else section_id
    return f"[{text}]({section_url(section_id)})"


def link_citations(text: str, known: Collection[str] | None = None) -> str:
    """Every ``[section-id]`` (a known one, when ``known`` is given) becomes a link to that section."""

    def repl(m: re.Match) -> str:
        return section_link(m[1], bracketed=True) if known is None or m[1] in known else m[0]

    return CITATION.sub(repl, text or "")


def citations_in(text: str, known: Collection[str] | None = None) -> list[str]:
    return list(dict.fromkeys(c for c in CITATION.findall(text or "") if known is None or c in known))


def _split_top(text: str, sep: str) -> list[str]:
    """Split at ``sep`` outside parentheses ("Hotels (except Casino Hotels): small" splits at the colon only)."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        ch = text[i]
        depth += ch == "("
        depth -= ch == ")" and depth > 0
        if depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = i = i + len(sep)
            continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _sentence(text: str) -> str:
    text = text.strip().rstrip(";")
    return text[:1].upper() + text[1:] if text else text


# A full stop after these ends a word, not a sentence ("Sorensen Trucking Inc. (APP-0163)", "St. Louis").
ABBREVIATIONS = frozenset(
    "inc co corp ltd llc llp lp plc st no dr mr mrs ms jr sr bros vs etc e.g i.e u.s dept ave mt ft approx".split()
)


def sentences(text: str) -> list[str]:
    """The sentences of a paragraph, never cut after an abbreviation or an initial."""
    out, start = [], 0
    for m in SENTENCE_END.finditer(text):
        word = re.search(r"([A-Za-z.]+)[.]$", text[start : m.start()])
        if word and (word[1].rstrip(".").lower() in ABBREVIATIONS or re.fullmatch(r"[A-Z]\.?", word[1])):
            continue
        out.append(text[start : m.start()].strip())
        start = m.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


def _clean(text: str) -> str:
    """Text without its citations, spaces evened out (an answer and a finding's summary compare alike)."""
    body = CITATION.sub("", text or "").strip()
    return re.sub(r"\s+([.,;:])", r"\1", re.sub(r"\s+", " ", body)).strip()


def _top_index(text: str, sep: str) -> int:
    """Where ``sep`` first occurs outside parentheses, or -1."""
    depth = 0
    for i, ch in enumerate(text):
        if depth == 0 and text.startswith(sep, i):
            return i
        depth += ch == "("
        depth -= ch == ")" and depth > 0
    return -1


def reasons_of(summary: str) -> list[str]:
    """The reasons a determination gives: what follows its verdict (the first colon or dash outside parentheses),
    the first sentence's clauses apart, then each further sentence."""
    at = next((i + len(sep) for sep in (": ", " — ") if (i := _top_index(summary, sep)) >= 0), -1)
    said = sentences(summary[at:]) if at >= 0 else []
    if not said:
        return []
    return [_sentence(r) for r in [*_split_top(said[0].rstrip("."), "; "), *said[1:]] if r.strip(" .")]


@dataclass(frozen=True)
class Part:
    """One determination of an answer: its typed headline, the notes that lead it ("Noted: employees is 84 (not 48).",
    "I found …") and the reasons the answer gives for it."""

    headline: str
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said before its reasons: what was found or corrected for it


@dataclass(frozen=True)
class Layout:
    """An answer laid out: the notes said before the first determination, each determination, the sections cited;
    ``text``: the answer as written, when it is not made of the findings' summaries (an LLM's own words)."""

    parts: list[Part]
    notes: list[str] = field(default_factory=list)
    cited: list[str] = field(default_factory=list)
    text: str = ""


def layout(
    text: str,
    findings: list[dict] | None = None,
    lobs: Mapping[str, str] | None = None,
    titles: Mapping[str, str] | None = None,
    name: str | None = None,
) -> Layout:
    """The answer as headlines (one per finding, typed: ``graph.headline``; ``name``: the applicant's, when the
    conversation knows it) with their reasons. With no finding there is no headline: nothing is cut out of the text
    to stand for a determination."""
    found = [f for f in findings or [] if isinstance(f, dict)]
    cited = list(dict.fromkeys([*citations_in(text), *(str(c) for f in found for c in f.get("citations") or [])]))
    heads = [headline(f, lobs, titles, name) for f in found]
    body = _clean(text)
    spans, at = [], 0
    for f in found:  # the offline model's answer is its findings' summaries, in order, after its notes
        summary = _clean(str(f.get("summary") or ""))
        i = body.find(summary, at) if summary else -1
        if i < 0:
            spans = []
            break
        spans.append((i, summary))
        at = i + len(summary)
    if not found or not spans or body[at:].strip():
        return Layout([Part(h) for h in heads], cited=cited, text=text or "")
    # the words before a summary (after the one before it) are the notes that lead that determination
    ends = [0, *(i + len(summary) for i, summary in spans)]
    led = [[_sentence(s) for s in sentences(body[end:i])] for end, (i, _) in zip(ends, spans, strict=False)]
    parts = [Part(h, reasons_of(summary), notes) for h, (_, summary), notes in zip(heads, spans, led, strict=True)]
    return Layout(parts, led[0], cited)


def format_answer(
    text: str,
    known: Collection[str] | None = None,
    findings: list[dict] | None = None,
    lobs: Mapping[str, str] | None = None,
    titles: Mapping[str, str] | None = None,
    name: str | None = None,
) -> str:
    """The answer as Markdown: a **headline** per finding with its reasons as bullets, then "Sources:" links.
    An answer without a finding, or in the model's own words, keeps its layout (under the findings' headlines)."""
    laid = layout(text or "", findings, lobs, titles, name)
    out = []
    if laid.text or not laid.parts:
        out += [f"**{model_markdown(p.headline)}**" for p in laid.parts]
        out.append(link_citations(model_markdown(text or ""), known))
        return "\n\n".join(o for o in out if o)
    for part in laid.parts:
        out.append(f"**{model_markdown(part.headline)}**")
        if part.notes:  # a line of its own before the reasons: what was found or corrected is no reason
            out.append("  \n".join(model_markdown(n) for n in part.notes))
        if part.reasons:
            out.append("\n".join(f"- {model_markdown(r)}" for r in part.reasons))
    links = [section_link(c) for c in laid.cited if known is None or c in known]
    unknown = [f"`{c}`" for c in laid.cited if known is not None and c not in known]
    if links or unknown:
        out.append("Sources: " + " · ".join(links + unknown))
    return "\n\n".join(out)


def plain_text(text: str) -> str:
    """What the copy button copies: the answer as written, citations as ``[id]``."""
    return (text or "").strip()


def follow_ups(findings: list[dict] | dict | None, limit: int = 3) -> list[str]:
    """Two or three natural next questions after an answer's findings, never one this answer just gave."""
    found = [findings] if isinstance(findings, dict) else [f for f in findings or [] if isinstance(f, dict)]
    answered = {str(f.get("task_type")) for f in found}
    nxt = [t for f in found for t in NEXT_TASKS.get(str(f.get("task_type")), ()) if t not in answered]
    return [FOLLOW_UP_QUESTIONS[t] for t in dict.fromkeys(nxt)][:limit]


def rerun_question(finding: dict, lobs: Mapping[str, str] | None = None) -> str:
    """The question that runs a finding again, for its own line ("What limits should we offer for Cyber?")."""
    question = FOLLOW_UP_QUESTIONS.get(str(finding.get("task_type")), "Please check that again.")
    facts = finding.get("facts") if isinstance(finding.get("facts"), dict) else {}
    line = facts.get("lob") if finding.get("task_type") in ("appetite", "policy_limits", "deductible") else None
    if not line:
        return question
    return f"{question.rstrip('?')} for {(lobs or {}).get(str(line)) or str(line).replace('_', ' ')}?"


def stale_text(changed: Mapping, finding: dict) -> str:
    """ "Since this finding: employees 84 (it used 48)." for the facts a later message corrected."""
    from app.ui.labels import field_label, value_text

    facts = finding.get("facts") if isinstance(finding.get("facts"), dict) else {}
    said = "; ".join(
        f"{field_label(k).lower()} {value_text(k, v)} (it used {value_text(k, facts.get(k))})"
        for k, v in changed.items()
    )
    return f"Since this finding: {said}. It may no longer hold."
