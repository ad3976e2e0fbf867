"""Guideline search on the Guidelines page: which sections match a query, and the passage where each matches.

Plain text matching (every word of the query must appear), so the underwriter sees exactly why a section is listed;
the copilot's own retrieval (``search_guidelines``) ranks by meaning and is a tool, not this page's filter.
"""

from __future__ import annotations

import re

from guidelines import Section


def words(query: str) -> list[str]:
    return [w for w in re.findall(r"[\w$.,%-]+", (query or "").lower()) if len(w) > 1 or w.isdigit()]


def matches(sections: list[Section], query: str) -> list[Section]:
    """Sections whose id, title or text contains every word of the query: the whole phrase first, then title hits."""
    ws = words(query)
    if not ws:
        return []
    phrase = " ".join(ws)
    hits = [s for s in sections if all(w in f"{s.id} {s.title} {s.text}".lower() for w in ws)]
    return sorted(
        hits,
        key=lambda s: (phrase not in _plain(s.text).lower(), not all(w in f"{s.id} {s.title}".lower() for w in ws)),
    )


def _plain(text: str) -> str:
    text = re.sub(r"^#+\s*", "", text, flags=re.M)
    text = re.sub(r"[*`|]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def passage(section: Section, query: str, width: int = 220) -> str:
    """The stretch of the section around the first match, the query's words in bold (Markdown)."""
    text = _plain(section.text)
    ws = words(query)
    low = text.lower()
    phrase = " ".join(ws)
    at = low.find(phrase) if phrase in low else min((low.find(w) for w in ws if w in low), default=-1)
    if at < 0:
        snippet = text[:width]
        return snippet + ("…" if len(text) > width else "")
    start = max(0, at - width // 3)
    start = text.rfind(" ", 0, start) + 1 if start else 0
    snippet = text[start : start + width]
    out = ("…" if start else "") + snippet + ("…" if start + width < len(text) else "")
    out = out.replace("$", r"\$")
    for w in sorted(set(ws), key=len, reverse=True):
        out = re.sub(rf"(?i)(?<!\*)({re.escape(w.replace('$', chr(92) + '$'))})", r"**\1**", out, count=3)
    return out
