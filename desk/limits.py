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
# prose the fact reader reads per submission: ~18 us of CPU a character (256 KB of prose took 4.6 s), so a file's
# 2,000,000 kept characters would cost half a minute; a broker's letter is a few thousand. The rest is kept as text.
MAX_FACT_TEXT_CHARS = 100_000
MAX_NESTING = 5  # e-mails attached to e-mails, read this deep
# Bounds checked on the raw bytes before a parser sees them: the standard library's header parser is quadratic in
# a header's length (30,000 addresses: 18 s; 10,000 encoded words: 706 MB), openpyxl and csv build all in memory.
MAX_HEADER_BLOCK = 64 * 1024  # an e-mail's header section
MAX_HEADER_BYTES = 8 * 1024  # one header, its folded lines together
MAX_CSV_LINE = 64 * 1024  # one line of a CSV list
MAX_COLUMNS = 500  # cells of one row of a list (up to its last non-empty one)
# openpyxl reads a workbook's shared strings whole (~0.8 s a MB) and, when the sheet states no dimension, its whole
# sheet to find one (~0.35 s a MB) before the first row: together at these sizes ~7 s. A 2,000-row list of 30
# columns is ~3 MB of sheet and under 2 MB of shared strings; a longer list (only its first rows are read) is refused.
MAX_SHARED_STRINGS_BYTES = 3 * MB  # xl/sharedStrings.xml unpacked, as the zip's directory states
MAX_SHEET_BYTES = 12 * MB  # one worksheet's XML unpacked
MAX_READ_SECONDS = 6.0  # CPU to extract a PDF's text (checked between drawing operators); pages left are noted
MAX_PDF_STREAM_TOKENS = (
    500_000  # tokens of one PDF content stream (~2.5 s to parse; the red team's 1 MB stream: 200,000+)
)

Status = Literal["new", "triaging", "needs_info", "ready", "referred", "decided", "failed"]
STATUSES: tuple[str, ...] = ("new", "triaging", "needs_info", "ready", "referred", "decided", "failed")
SourceKind = Literal["email", "pdf", "csv", "xlsx", "text"]
