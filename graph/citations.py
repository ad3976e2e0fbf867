"""Citations checked: every ``[section-id]`` in an answer is looked up in the guidelines; an id that is not a
section is removed and noted. An invented citation is a hallucination, counted like an invented product
(``evals/runner.py`` reads the ``citation`` events).
"""

from __future__ import annotations

import re
from functools import lru_cache

from guidelines import load_sections

# What reads as a citation: a bracketed lower-case id with a hyphen or underscore (section ids are kebab-case;
# models also write snake_case ones), not a Markdown link. A bare word in brackets is left alone.
CITATION = re.compile(r"\[([a-z][a-z0-9]*(?:[-_][a-z0-9]+)+)\](?!\()")


@lru_cache(maxsize=1)
def section_ids() -> frozenset[str]:
    return frozenset(s.id for s in load_sections())


def cited(text: str) -> list[str]:
    return [m.group(1) for m in CITATION.finditer(text or "")]


def remove_unknown(text: str, known: frozenset[str] | None = None) -> tuple[str, list[str]]:
    """(``text`` without the citations of sections that do not exist, those ids in order, once each)."""
    known = section_ids() if known is None else known
    unknown: list[str] = []

    def drop(m: re.Match) -> str:
        if m.group(1) in known:
            return m.group(0)
        if m.group(1) not in unknown:
            unknown.append(m.group(1))
        return ""

    cleaned = CITATION.sub(drop, text or "")
    if not unknown:
        return text, []
    cleaned = re.sub(r"[ \t]+([.,;:!?)])", r"\1", cleaned)  # the space a removed id leaves before punctuation
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned)
    return cleaned.strip(), unknown
