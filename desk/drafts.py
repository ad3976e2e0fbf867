"""What a reader makes of a file: drafts (the text and labelled fields of each future submission, each with its
source) and the bytes to keep. Shared by the readers and by what reads facts from a draft."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from desk.submission import Source, StoredFile, TextPart


@dataclass
class Draft:
    """What one submission will be made of, before its facts are read."""

    key: str  # content hash the submission's id derives from (a file's, or a file's plus its row)
    text: list[TextPart] = field(default_factory=list)
    fields: list[tuple[str, str, Source]] = field(default_factory=list)  # label, value, where
    files: list[StoredFile] = field(default_factory=list)
    needs_person: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Reading:
    kind: str
    drafts: list[Draft]
    blobs: dict[str, bytes]  # sha256 -> bytes of every file to keep (the file, its attachments)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_file(name: str, data: bytes, content_type: str) -> StoredFile:
    return StoredFile(sha256=sha256(data), name=name, size=len(data), content_type=content_type)
