"""Guideline retrieval: hybrid search over the indexed sections, and lookup of one section by id."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from guidelines import load_sections
from tools.context import ToolContext
from tools.errors import InvalidArgument, NotFound
from tools.index import GUIDELINES, open_collection, section_document
from tools.registry import tool
from tools.search import HybridIndex


def guideline_search(ctx: ToolContext) -> tuple[HybridIndex, dict]:
    """The shared hybrid index over the guideline sections (built on first use)."""

    def build():
        sections = load_sections()
        collection = open_collection(ctx.index_dir, GUIDELINES, ctx.embedding)
        index = HybridIndex([s.id for s in sections], [section_document(s) for s in sections], collection, ctx.embedding)
        return index, {s.id: s for s in sections}

    return ctx.lazy("guidelines", build)


@tool
def search_guidelines(ctx: ToolContext, query: Annotated[str, Field(min_length=2, max_length=500)], k: Annotated[int, Field(ge=1, le=8)] = 3) -> dict:
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
    hits = index.search(query, k=k)
    return {"sections": [{"id": sid, "title": sections[sid].title, "text": sections[sid].text, "score": round(score, 4)} for sid, score in hits]}


@tool
def get_guideline_section(ctx: ToolContext, section_id: str) -> dict:
    """Return one guideline section's full text by its id (e.g. "auto-qualified").

    Args:
        section_id: a section id as cited in answers or returned by search_guidelines
    """
    _, sections = guideline_search(ctx)
    sid = section_id.strip().strip("[]#").lower()
    if sid not in sections:
        raise NotFound(f"no guideline section {section_id!r}", "ids: " + ", ".join(sections))
    s = sections[sid]
    return {"id": s.id, "title": s.title, "text": s.text, "document": s.document}
