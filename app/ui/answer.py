"""How an answer reads on the page: a short determination headline, the reasons as bullets, then the cited sections
as links to the Guidelines page. Pure text functions (no Streamlit), tested on their own.

The copilot's text is not changed, only laid out: an answer that already has its own lines or lists (an LLM's
Markdown) keeps them and only gets its ``[section-id]`` citations turned into links.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from app.ui.escape import code, model_markdown

GUIDELINES_PAGE = "guidelines"  # the Guidelines page's url_path (relative: works under any base URL)
SECTION_ID = r"[a-z0-9]+(?:-[a-z0-9]+)+"
CITATION = re.compile(rf"\[({SECTION_ID})\](?!\()")
VERDICT = re.compile(
    r"^(Yes|No|Qualified|Not in appetite|In appetite|Small business|Not a small business|\$\d|NAICS \d{6}\b)"
)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z$\"“(])")

FOLLOW_UPS = {
    "appetite": ("What other lines can we offer?", "What limits should we offer?", "What deductible should we offer?"),
    "product_recommendation": ("What limits should we offer?", "What deductible should we offer?"),
    "small_business": ("What other lines can we offer?", "What limits should we offer?"),
    "policy_limits": ("What deductible should we offer?", "What other lines can we offer?"),
    "deductible": ("What limits should we offer?", "What other lines can we offer?"),
    "classification": ("Is it a small business?", "What other lines can we offer?"),
}


def section_url(section_id: str) -> str:
    return f"{GUIDELINES_PAGE}?section={section_id}"


def section_link(section_id: str) -> str:
    """A link to the section; anything that is not a section id is shown as code, never as a link."""
    if not re.fullmatch(SECTION_ID, str(section_id)):
        return code(section_id)
    return f"[{section_id}]({section_url(section_id)})"


def link_citations(text: str, known: Collection[str] | None = None) -> str:
    """Every ``[section-id]`` (a known one, when ``known`` is given) becomes a link to that section."""

    def repl(m: re.Match) -> str:
        return section_link(m[1]) if known is None or m[1] in known else m[0]

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


def head_rest(sentence: str, head: str) -> str:
    """What follows the headline's first colon."""
    return sentence[len(head) :].lstrip().removeprefix(":").strip()


def layout(text: str) -> tuple[str, list[str], list[str]]:
    """(headline, reasons, cited section ids) of a one-paragraph answer; ("", [], ids) when it is not one.

    The headline is the sentence that gives the verdict (else the first); what follows its first colon, and the
    other sentences, are the reasons.
    """
    cited = citations_in(text)
    body = CITATION.sub("", text or "").strip()
    body = re.sub(r"\s+([.,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", body))
    if not body or "\n" in body.strip() or body.endswith("?"):
        return "", [], cited
    sentences = [s.strip() for s in SENTENCE_END.split(body) if s.strip()]
    at = next((i for i, s in enumerate(sentences) if VERDICT.match(s)), 0)
    head, reasons = sentences[at], []
    pieces = _split_top(head, ": ")
    if len(pieces) > 1 and VERDICT.match(head):  # "Verdict: reason; reason"
        head = pieces[0]
        reasons += _split_top(head_rest(sentences[at], head), "; ")
    reasons = [*sentences[:at], *reasons, *sentences[at + 1 :]]
    head = head.rstrip(".:;") + "."
    return head, [_sentence(r) for r in reasons], cited


def format_answer(text: str, known: Collection[str] | None = None) -> str:
    """The answer as Markdown: **headline**, bullet reasons, "Sources:" links; other answers keep their layout."""
    text = text or ""
    head, reasons, cited = layout(text)
    if not head or not reasons and not cited:
        return link_citations(model_markdown(text), known)
    out = [f"**{model_markdown(head)}**"]
    if reasons:
        out.append("\n".join(f"- {model_markdown(r)}" for r in reasons))
    links = [section_link(c) for c in cited if known is None or c in known]
    unknown = [f"`{c}`" for c in cited if known is not None and c not in known]
    if links or unknown:
        out.append("Sources: " + " · ".join(links + unknown))
    return "\n\n".join(out)


def plain_text(text: str) -> str:
    """What the copy button copies: the answer as written, citations as ``[id]``."""
    return (text or "").strip()


def follow_ups(finding: dict | None, limit: int = 3) -> list[str]:
    """Two or three natural next questions after an answer of this task type."""
    if not isinstance(finding, dict):
        return []
    return list(FOLLOW_UPS.get(str(finding.get("task_type")), ()))[:limit]
