"""Guideline retrieval: hybrid search over the indexed sections, and lookup of one section by id."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field

from guidelines import load_sections
from retrieval.index import GUIDELINES, open_collection, section_document
from retrieval.search import HybridIndex
from tools.context import ToolContext
from tools.errors import InvalidArgument, NotFound
from tools.registry import tool


def guideline_search(ctx: ToolContext) -> tuple[HybridIndex, dict]:
    """The shared hybrid index over the guideline sections (built on first use)."""

    def build():
        sections = load_sections()
        collection = open_collection(ctx.index_dir, GUIDELINES, ctx.embedding)
        index = HybridIndex(
            [s.id for s in sections], [section_document(s.title, s.text) for s in sections], collection, ctx.embedding
        )
        return index, {s.id: s for s in sections}

    return ctx.lazy("guidelines", build)


def sections_by_id(ctx: ToolContext) -> dict:
    """Every guideline section by id, read from the files: no search index or embedding model needed."""
    return ctx.lazy("guideline_sections", lambda: {s.id: s for s in load_sections()})


def _industry_terms(ctx: ToolContext, query: str) -> str:
    """Link a business named in the question to its NAICS code, subsector and industry group, so BM25 can
    find the appetite tables, which are keyed by code ("garbage hauler" -> 562111, 562 Waste Management)."""
    from tools.naics import naics_levels, naics_search

    best = naics_search(ctx).semantic(query, 1)
    if not best or best[0][1] < INDUSTRY_LINK_MIN_SIMILARITY:
        return ""
    code, levels = best[0][0], naics_levels(ctx)
    return " ".join([code, code[:4], code[:3], levels.get(code[:3], ""), levels.get(code[:4], "")])


INDUSTRY_LINK_MIN_SIMILARITY = 0.3
# Shorthand underwriters type that neither embeddings nor BM25 can read. LOB synonyms come from the catalog.
ABBREVIATIONS = {
    "b&b": "bed-and-breakfast inn",
    "bnb": "bed-and-breakfast inn",
    "lob": "line of business",
    "uw": "underwriter",
    "sba": "SBA size standard",
    "d&o": "directors and officers",
    "e&o": "errors and omissions professional liability",
    "epli": "employment practices liability",
    "k&r": "kidnap and ransom",
    "naics": "NAICS code classification",
}


def _expand_abbreviations(ctx: ToolContext, query: str) -> str:
    words = set(re.findall(r"[a-z0-9&']+", query.lower()))
    extra = [full for short, full in ABBREVIATIONS.items() if short in words]
    extra += [ctx.catalog.lobs[code] for syn, code in ctx.catalog.synonyms.items() if " " not in syn and syn in words]
    return " ".join(dict.fromkeys(extra))


@tool
def search_guidelines(
    ctx: ToolContext,
    query: Annotated[str, Field(min_length=2, max_length=500)],
    k: Annotated[int, Field(ge=1, le=8)] = 3,
) -> dict:
    """Search the insurer's underwriting guidelines and return the best sections (id, title, text) to cite.

    Use it for any question about rules, definitions, what we write or do not write, and how to decide.
    Cite the returned section ids in your answer, e.g. [property-hospitality-construction].

    Args:
        query: what you want to know, in plain words
        k: how many sections to return (1-8, default 3)
    """
    if not query.strip():
        raise InvalidArgument("query is empty", "describe what you are looking for")
    index, sections = guideline_search(ctx)
    extra = f"{_industry_terms(ctx, query)} {_expand_abbreviations(ctx, query)}"
    hits = index.search(query, k=k, lexical_weight=1.5, lexical_extra=extra)
    return {
        "sections": [
            {"id": sid, "title": sections[sid].title, "text": sections[sid].text, "score": round(score, 4)}
            for sid, score in hits
        ]
    }


@tool
def get_guideline_section(ctx: ToolContext, section_id: str) -> dict:
    """Return one guideline section's full text by its id (e.g. "auto-qualified").

    Args:
        section_id: a section id as cited in answers or returned by search_guidelines
    """
    sections = sections_by_id(ctx)
    sid = section_id.strip().strip("[]#").lower()
    if sid not in sections:
        raise NotFound(f"no guideline section {section_id!r}", "ids: " + ", ".join(sections))
    s = sections[sid]
    return {"id": s.id, "title": s.title, "text": s.text, "document": s.document}
