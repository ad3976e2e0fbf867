"""What intake accepts, in one place: sizes, counts and the statuses a submission moves through."""

from __future__ import annotations

from typing import Literal

MB = 1024 * 1024
MAX_FILE_BYTES = 20 * MB  # one file as received, or one attachment once decoded
MAX_SUBMISSION_BYTES = 50 * MB  # an e-mail and its decoded attachments together
MAX_ATTACHMENTS = 50  # an e-mail's attachments read; the rest are noted, not read
MAX_MIME_PARTS = 1_000  # an e-mail with more parts is refused before it is parsed (parsing costs ~0.3 ms a part)
MAX_ROWS = 2_000  # rows of an account list read (one submission each); the rest are noted
MAX_PAGES = 200  # pages of a PDF read; the rest are noted
MAX_TEXT_CHARS = 2_000_000  # extracted text kept per submission
MAX_NESTING = 5  # e-mails attached to e-mails, read this deep

Status = Literal["new", "triaging", "needs_info", "ready", "referred", "decided", "failed"]
STATUSES: tuple[str, ...] = ("new", "triaging", "needs_info", "ready", "referred", "decided", "failed")
SourceKind = Literal["email", "pdf", "csv", "xlsx", "text"]
