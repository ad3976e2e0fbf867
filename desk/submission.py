"""The typed results of intake: a submission, its files, its text and the facts read from it, each with a source."""

from __future__ import annotations

from dataclasses import dataclass, field

from desk.limits import SourceKind, Status


@dataclass(frozen=True)
class Source:
    """Where a piece of text or a fact came from: the file (by content hash; its name is data, never a path), and the
    page, row or form field inside it."""

    file_sha256: str
    file_name: str
    page: int | None = None  # 1-based
    row: int | None = None  # 1-based data row (the header is row 0)
    field: str | None = None  # a form field or a column, as labelled in the file

    def where(self) -> str:
        parts = [self.file_name or self.file_sha256[:12]]
        if self.page is not None:
            parts.append(f"page {self.page}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(f"field {self.field!r}")
        return ", ".join(parts)


@dataclass(frozen=True)
class TextPart:
    text: str
    source: Source


@dataclass(frozen=True)
class ReadFact:
    """One fact (a key of ``core.vocabulary.FACTS``, or ``company``) read from the submission."""

    key: str
    value: str | int
    source: Source
    snippet: str  # the words it was read from, as written
    how: str = "text"  # "field": a labelled form field or column; "text": the fact reader on free text


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    name: str  # as received (data only)
    size: int
    content_type: str = ""


@dataclass(frozen=True)
class Submission:
    id: str
    received_at: str  # ISO 8601, UTC; the first time this content arrived
    kind: SourceKind
    files: tuple[StoredFile, ...]
    text: tuple[TextPart, ...]
    facts: tuple[ReadFact, ...]
    lines_requested: tuple[str, ...] = ()
    description: str | None = None
    company: str | None = None
    status: Status = "new"
    needs_person: str | None = None  # why a person must read it (e.g. a scan with no text layer)
    notes: tuple[str, ...] = ()  # what was left out and why (rows, pages, attachments over a cap)

    def fact(self, key: str) -> ReadFact | None:
        return next((f for f in self.facts if f.key == key), None)

    def values(self) -> dict[str, str | int]:
        return {f.key: f.value for f in self.facts}


@dataclass(frozen=True)
class FileOutcome:
    """What became of one file handed to intake: its submissions (one, or one per row), or one refusal reason."""

    name: str
    submissions: tuple[Submission, ...] = ()
    refused: str | None = None  # one readable reason
    duplicate: bool = False  # every submission was already in the store

    @property
    def ok(self) -> bool:
        return self.refused is None


@dataclass(frozen=True)
class IntakeResult:
    outcomes: tuple[FileOutcome, ...] = field(default_factory=tuple)

    @property
    def submissions(self) -> tuple[Submission, ...]:
        return tuple(s for o in self.outcomes for s in o.submissions)

    @property
    def refused(self) -> tuple[FileOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)
