"""The insurer's underwriting guidelines: Markdown files with stable section ids.

A section is an H2 line ``## Title {#section-id}`` and the text up to the next H2. Answers cite the ids,
so an id never changes once published. ``load_sections()`` is the only parser of these files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

GUIDELINES_DIR = Path(__file__).parent
HEADING = re.compile(r"^## (?P<title>.+?) \{#(?P<id>[a-z0-9-]+)\}\s*$")


class GuidelineError(ValueError):
    """A guideline file breaks the format; the message names the file and line."""


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    text: str
    file: str
    document: str  # the file's H1 title

    @property
    def citation(self) -> str:
        return f"[{self.id}]"


def load_sections(directory: Path = GUIDELINES_DIR) -> list[Section]:
    """Parse every ``NN-*.md`` file in file order; raise ``GuidelineError`` on a broken heading or a duplicate id."""
    sections: list[Section] = []
    seen: dict[str, str] = {}
    files = sorted(p for p in directory.glob("*.md") if p.name.lower() != "readme.md")
    if not files:
        raise GuidelineError(f"{directory}: no guideline files (*.md)")

    def close(current: dict | None, body: list[str], path: Path, document: str) -> None:
        if current is not None:
            text = "\n".join(body).strip()
            if not text:
                raise GuidelineError(f"{path.name}: section {current['id']!r} is empty")
            sections.append(Section(current["id"], current["title"], text, path.name, document))

    for path in files:
        document = path.stem
        current: dict | None = None
        body: list[str] = []
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.startswith("# "):
                document = line[2:].strip()
                continue
            if line.startswith("## "):
                match = HEADING.match(line)
                if not match:
                    raise GuidelineError(
                        f"{path.name}, line {line_no}: a section heading must read '## Title {{#section-id}}'"
                    )
                close(current, body, path, document)
                sid = match["id"]
                if sid in seen:
                    raise GuidelineError(
                        f"{path.name}, line {line_no}: duplicate section id {sid!r} (also in {seen[sid]})"
                    )
                seen[sid] = path.name
                current, body = {"id": sid, "title": match["title"]}, []
            elif current is not None:
                body.append(line)
        close(current, body, path, document)
    return sections


SEARCH_TERMS = GUIDELINES_DIR / "search_terms.yaml"


def load_search_terms(path: Path = SEARCH_TERMS, sections: list[Section] | None = None) -> dict[str, list[str]]:
    """Section id -> the words underwriters use for what it decides (``search_terms.yaml``), for the lexical side of
    the search only. Raise ``GuidelineError`` for an id no section has or a list that is not of words."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    data = data or {}
    ids = {s.id for s in (sections if sections is not None else load_sections())}
    if not isinstance(data, dict):
        raise GuidelineError(f"{path.name}: expected section id: [terms]")
    for sid, terms in data.items():
        if sid not in ids:
            raise GuidelineError(f"{path.name}: no section {sid!r}")
        if not isinstance(terms, list) or not all(isinstance(t, str) and t.strip() for t in terms):
            raise GuidelineError(f"{path.name}: {sid}: expected a list of terms")
    return {sid: list(terms) for sid, terms in data.items()}


QUERY_WORDS = GUIDELINES_DIR / "query_words.yaml"


def load_query_words(path: Path = QUERY_WORDS, sections: list[Section] | None = None) -> dict[str, list[str]]:
    """A word the guidelines use -> the words people put in its place (``query_words.yaml``), for the lexical side of
    the search only. Raise ``GuidelineError`` for a key no section uses or a list that is not of words."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    data = data or {}
    if not isinstance(data, dict):
        raise GuidelineError(f"{path.name}: expected word: [words]")
    text = " ".join(f"{s.title} {s.text}" for s in (sections if sections is not None else load_sections())).lower()
    for word, others in data.items():
        if not isinstance(word, str) or not re.search(rf"\b{re.escape(word.lower())}", text):
            raise GuidelineError(f"{path.name}: no section uses {word!r}")
        if not isinstance(others, list) or not all(isinstance(t, str) and t.strip() for t in others):
            raise GuidelineError(f"{path.name}: {word}: expected a list of words")
    return {word: list(others) for word, others in data.items()}
