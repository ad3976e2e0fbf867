"""Checks on a file's raw bytes before a parser sees them: what the parsers would spend unbounded time or memory
on (an e-mail's parts and headers, a CSV's lines) is counted here, cheaply, and refused with one readable reason."""

from __future__ import annotations

import re

from desk.limits import MAX_CSV_LINE, MAX_HEADER_BLOCK, MAX_HEADER_BYTES, MAX_MIME_PARTS
from desk.sniff import Refused

# What the standard library's parser takes for a header line (email.feedparser.headerRE): an mbox "From " line, a
# field name and a colon, or a folded line's continuation.
_HEADER_LINE = re.compile(rb"From |[!-9;-~]*:|[\t ]")


def check_mime_parts(data: bytes) -> None:
    """Every line that starts with "--" is counted (a boundary of any length, and a few signatures): the parser
    ends a line at CR, LF or CRLF, and reads a boundary of any length (RFC 2046 allows 70)."""
    parts = data.startswith(b"--") + data.count(b"\n--") + data.count(b"\r--")
    if parts > MAX_MIME_PARTS:
        raise Refused(f"the e-mail has about {parts:,} parts (over {MAX_MIME_PARTS:,}): an e-mail bomb, not read")


def check_header_block(data: bytes) -> None:
    """The header section (up to the first blank line, or the first line that is not a header) is at most
    MAX_HEADER_BLOCK bytes and each header, its folded lines together, at most MAX_HEADER_BYTES."""
    name, size, total = b"", 0, 0
    for line in data[: MAX_HEADER_BLOCK + 1].splitlines(keepends=True):
        if not line.strip(b"\r\n") or not _HEADER_LINE.match(line):
            return  # a blank line, or the first line that is not a header (the parser reads on from it as body)
        if line[:1] in (b" ", b"\t"):
            size += len(line)
        else:
            name, size = b"From" if line.startswith(b"From ") else line.split(b":", 1)[0], len(line)
        total += len(line)
        if size > MAX_HEADER_BYTES:
            raise Refused(f"the e-mail's {header_name(name)} header is over {MAX_HEADER_BYTES // 1024} KB: not read")
    if total > MAX_HEADER_BLOCK:
        raise Refused(f"the e-mail's headers are over {MAX_HEADER_BLOCK // 1024} KB: not read")


def check_part_headers(msg) -> None:
    """Each part's headers, as the parser kept them (raw, not yet parsed), within MAX_HEADER_BYTES."""
    for part in msg.walk():
        for key, value in part.raw_items():
            if len(key) + len(str(value)) > MAX_HEADER_BYTES:
                raise Refused(
                    f"an attachment's {header_name(key.encode('utf-8', 'replace'))} header is over "
                    f"{MAX_HEADER_BYTES // 1024} KB: the e-mail is not read"
                )


def header_name(raw: bytes) -> str:
    """A header's name as it may be shown: printable ASCII, short."""
    return re.sub(r"[^A-Za-z0-9-]", "?", raw[:40].decode("ascii", "replace")) or "?"


# A line start (the string's, or just after \r or \n) followed by more than MAX_CSV_LINE bytes without a line end:
# anchored so each line is scanned once (splitting 20 MB of short lines instead would cost ~300 MB).
_LONG_LINE = re.compile(rb"(?<![^\r\n])[^\r\n]{%d}" % (MAX_CSV_LINE + 1))


def check_csv_lines(data: bytes) -> None:
    found = _LONG_LINE.search(data) if len(data) > MAX_CSV_LINE else None
    if found:
        ends = [i for i in (data.find(b"\n", found.end()), data.find(b"\r", found.end())) if i >= 0]
        length = min(ends, default=len(data)) - found.start()
        raise Refused(
            f"a line of the list is {_size(length)} long (over {MAX_CSV_LINE // 1024} KB): not a list of accounts"
        )


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"
