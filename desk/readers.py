"""One reader per kind of file: bytes in, drafts out (the text and the labelled fields of each future submission,
each with its source). A reader refuses a file with ``Refused`` and one readable reason; anything else a library
raises on a hostile file is turned into such a reason by ``read``, so one bad file never stops a batch.

Nothing read here is executed or evaluated: spreadsheet formulas are read as their saved values, text is data.
"""

from __future__ import annotations

import csv
import email
import email.policy
import html
import io
import re
import zipfile

from desk.bounds import check_csv_lines, check_header_block, check_mime_parts, check_part_headers
from desk.drafts import Draft, Reading, sha256, stored_file
from desk.limits import (
    MAX_ATTACHMENTS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_NESTING,
    MAX_ROWS,
    MAX_SUBMISSION_BYTES,
    MB,
)
from desk.pdf_reader import one_budget, read_pdf
from desk.sniff import Refused, decode_text, sniff
from desk.submission import Source, StoredFile, TextPart


def read(name: str, data: bytes, depth: int = 0) -> Reading:
    """Read one file. Raises ``Refused`` with one readable reason; never another exception."""
    if len(data) > MAX_FILE_BYTES:
        raise Refused(f"the file is over {MAX_FILE_BYTES // MB} MB ({len(data) / MB:.1f} MB)")
    kind = sniff(name, data)
    try:
        with one_budget():
            return _READERS[kind](name, data, depth)
    except Refused:
        raise
    except RecursionError:
        raise Refused(f"the {_WHAT[kind]} nests too deeply to read") from None
    except MemoryError:
        raise Refused(f"the {_WHAT[kind]} is too large to read") from None
    except Exception as exc:  # a library's error on a corrupt file: named, never a traceback
        raise Refused(f"the {_WHAT[kind]} cannot be read (corrupt or truncated: {type(exc).__name__})") from None


_WHAT = {"pdf": "PDF", "xlsx": "workbook", "csv": "CSV list", "email": "e-mail", "text": "text file"}


# --- plain text -------------------------------------------------------------------------------------------------
def read_text(name: str, data: bytes, depth: int = 0) -> Reading:
    f = stored_file(name, data, "text/plain")
    text = decode_text(data)
    if not text.strip():
        raise Refused("the file has no text (only blank characters)")
    draft = Draft(key=f.sha256, files=[f], text=[TextPart(text, Source(f.sha256, name))])
    return Reading("text", [draft], {f.sha256: data})


# --- spreadsheets: one submission per row -----------------------------------------------------------------------
def read_csv(name: str, data: bytes, depth: int = 0) -> Reading:
    f = stored_file(name, data, "text/csv")
    check_csv_lines(data)
    text = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        return _rows_reading("csv", name, f, data, rows)
    except csv.Error as exc:  # its messages are readable ("field larger than field limit (131072)")
        raise Refused(f"the CSV list cannot be read: {' '.join(str(exc).split())[:120]}") from None


def read_xlsx(name: str, data: bytes, depth: int = 0) -> Reading:
    import openpyxl

    f = stored_file(name, data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    # data_only: a formula cell is read as the value the spreadsheet saved, never evaluated here
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise Refused("the workbook has no sheets")
        stated = sheet.max_row  # the sheet's own <dimension>: shown in a note, never used to read
        sheet_path = getattr(sheet, "_worksheet_path", None)  # openpyxl 3.1's read-only sheet: its part's path
        _unpadded(sheet)
        values = ([_cell(v) for v in row] for row in sheet.iter_rows(values_only=True))
        reading = _rows_reading("xlsx", name, f, data, values, stated_rows=stated)
    finally:
        book.close()
    formulas = _formula_count(data, sheet_path)
    if formulas:
        note = (
            f"{name}: {formulas} formula cells were read as their saved values (never evaluated; "
            "one saved without a value reads as empty)"
        )
        for d in reading.drafts:
            d.notes.append(note)
    if len(book.worksheets) > 1:
        for d in reading.drafts:
            d.notes.append(f"{name}: only the first of {len(book.worksheets)} sheets was read")
    return reading


def _formula_count(data: bytes, sheet_path: str | None) -> int:
    """Formula cells (``<f>`` elements) in the sheet's XML as stored: a second openpyxl pass over the workbook
    would cost as much as the first (~0.5 s a MB of sheet, even to reach its first row)."""
    if not sheet_path:
        return 0
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read(sheet_path.lstrip("/"))  # its size was checked against MAX_SHEET_BYTES before
    return len(_FORMULA.findall(xml))


_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")


def _unpadded(sheet) -> None:
    """openpyxl pads every row to the width the sheet's <dimension> states and yields each missing row up to its
    stated height: a 2 KB workbook stating A1:XFD1048576 never finished. Rows are read as written instead."""
    sheet.reset_dimensions()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _rows_reading(kind: str, name: str, f: StoredFile, data: bytes, rows, stated_rows: int | None = None) -> Reading:
    """One draft per row after the header, up to MAX_ROWS. A CSV's rows past the cap are counted (the csv module
    is cheap); a workbook's are not read at all (openpyxl parses each row it yields): its note gives the sheet's
    stated size instead, when it states one."""
    workbook = kind == "xlsx"
    header: list[str] | None = None
    drafts: list[Draft] = []
    more = 0
    for row in rows:
        cells = [c.strip() for c in row]
        while cells and not cells[-1]:  # a workbook pads rows to its widest formatted cell
            cells.pop()
        if not cells:
            continue
        if len(cells) > MAX_COLUMNS:
            where = "its header row" if header is None else f"row {len(drafts) + more + 1}"
            raise Refused(
                f"the list has {len(cells):,} columns in {where} (over {MAX_COLUMNS}): not a list of accounts"
            )
        if header is None:
            header = [c or f"column {i + 1}" for i, c in enumerate(cells)]
            continue
        if len(drafts) >= MAX_ROWS:
            more += 1
            if workbook:
                break
            continue
        number = len(drafts) + 1
        d = Draft(key=sha256(f"{f.sha256}:row:{number}".encode()), files=[f])
        pairs = [(header[i] if i < len(header) else f"column {i + 1}", c) for i, c in enumerate(cells) if c]
        for label, value in pairs:
            d.fields.append((label, value, Source(f.sha256, name, row=number, field=label)))
        d.text.append(TextPart("\n".join(f"{k}: {v}" for k, v in pairs), Source(f.sha256, name, row=number)))
        drafts.append(d)
    if header is None:
        raise Refused("the list is empty (no header row)")
    if not drafts:
        raise Refused("the list has a header row but no accounts")
    if more:
        rest = f"{more:,} more were" if not workbook else "the rest were"
        if workbook and stated_rows:
            rest = f"the rest of the sheet's {stated_rows:,} rows were"
        for d in drafts:
            d.notes.append(f"{name}: the first {MAX_ROWS:,} rows were read; {rest} not")
    return Reading(kind, drafts, {f.sha256: data})


# --- e-mail: the body, then each attachment by its own reader ---------------------------------------------------
def read_email(name: str, data: bytes, depth: int = 0) -> Reading:
    from email.message import EmailMessage

    f = stored_file(name, data, "message/rfc822")
    check_mime_parts(data)
    check_header_block(data)  # the standard library parses a header in time and memory quadratic in its length
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    check_part_headers(msg)
    if not msg.keys() and not msg.get_payload():
        raise Refused("the e-mail has no headers and no body")
    main = Draft(key=f.sha256, files=[f])
    blobs = {f.sha256: data}
    src = Source(f.sha256, name)
    head = "\n".join(f"{k}: {_header(msg, k)}" for k in ("From", "Subject", "Date") if msg.get(k))
    body = _body(msg)
    if head or body.strip():
        main.text.append(TextPart((head + "\n\n" + body).strip(), src))
    extra: list[Draft] = []
    seen = total = 0
    budget = MAX_SUBMISSION_BYTES - len(data)
    for part in msg.iter_attachments() if msg.is_multipart() else ():
        for sub in _attachment_parts(part):
            total += 1
            if seen >= MAX_ATTACHMENTS:
                continue
            seen += 1
            att_name = _safe_name(sub.get_filename() or f"attachment {total}")
            payload = _payload(sub)
            if payload is None:
                main.notes.append(f"{name}: attachment {att_name!r} not read: it cannot be decoded")
                continue
            budget -= len(payload)
            if budget < 0:
                main.notes.append(
                    f"{name}: attachment {att_name!r} not read: the e-mail is over {MAX_SUBMISSION_BYTES // MB} MB with its attachments"
                )
                continue
            if depth >= MAX_NESTING:
                main.notes.append(f"{name}: attachment {att_name!r} not read: e-mails nested over {MAX_NESTING} deep")
                continue
            try:
                reading = read(att_name, payload, depth + 1)
            except Refused as exc:
                main.notes.append(f"{name}: attachment {att_name!r} not read: {exc}")
                continue
            blobs.update(reading.blobs)
            if reading.kind in ("csv", "xlsx"):
                extra.extend(reading.drafts)  # an account list stays one submission per row
                continue
            for d in reading.drafts:
                main.text += d.text
                main.fields += d.fields
                main.files += d.files
                main.notes += d.notes
                if d.needs_person:
                    main.needs_person = d.needs_person
    if total > MAX_ATTACHMENTS:
        main.notes.append(f"{name}: the first {MAX_ATTACHMENTS} of {total:,} attachments were read")
    if not main.text and not main.fields and not extra:
        raise Refused("the e-mail has no text and no attachment that could be read")
    return Reading("email", [main, *extra], blobs)


def _attachment_parts(part):
    """An attachment, or the leaves of a multipart one (a forwarded bundle)."""
    if part.is_multipart() and part.get_content_type() != "message/rfc822":
        yield from (p for p in part.walk() if not p.is_multipart())
    else:
        yield part


def _payload(part) -> bytes | None:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        return inner.as_bytes() if hasattr(inner, "as_bytes") else None
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else None


def _header(msg, key: str) -> str:
    try:
        return " ".join(str(msg.get(key, "")).split())[:500]
    except Exception:  # a malformed header: shown raw
        return " ".join(str(msg.get_all(key, [""])[0]).split())[:500]


def _body(msg) -> str:
    try:
        part = msg.get_body(preferencelist=("plain", "html"))
    except Exception:
        part = None
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):
        raw = part.get_payload(decode=True) or b""
        content = decode_text(raw) if isinstance(raw, bytes) else str(raw)
    if not isinstance(content, str):
        return ""
    return _html_text(content) if part.get_content_type() == "text/html" else content


def _html_text(markup: str) -> str:
    """The words of an HTML body (scripts and styles dropped); never rendered, never run."""
    markup = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</p\s*>|</div\s*>|</tr\s*>|</li\s*>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def _safe_name(name: str) -> str:
    """A file name from a header, as data to show: control characters and path separators made harmless."""
    name = re.sub(r"[\x00-\x1f\x7f]", "?", str(name)).replace("/", "∕").replace("\\", "∖")
    return name[:200]


_READERS = {"pdf": read_pdf, "xlsx": read_xlsx, "csv": read_csv, "email": read_email, "text": read_text}
