"""What kind of file this is, from its bytes first (its name is only a hint): a PDF, an XLSX workbook, an e-mail, a
CSV list, plain text, or something refused with one readable reason (archives, old Office files, binary data)."""

from __future__ import annotations

import io
import re
import zipfile

from desk.limits import MAX_SHARED_STRINGS_BYTES, MAX_SHEET_BYTES, MB, SourceKind

ARCHIVE_MAGIC = (
    b"\x1f\x8b",
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"BZh",
    b"\xfd7zXZ\x00",
    b"PK\x05\x06",
    b"PK\x07\x08",
)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc, .msg
MAX_XLSX_UNPACKED = 200 * 1024 * 1024  # a workbook that unpacks past this is a zip bomb, not a list of accounts
_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]{1,40}:[ \t]", re.M)
_MAIL_HEADERS = re.compile(rb"^(?:from|to|subject|date|received|return-path|mime-version|message-id):", re.I | re.M)

ACCEPTED = "send an e-mail (.eml), a PDF, a CSV or XLSX list, or plain text"


class Refused(Exception):
    """The file is not read: the message is the one readable reason."""


def sniff(name: str, data: bytes) -> SourceKind:
    low = name.lower()
    if not data:
        raise Refused("the file is empty")
    if data.startswith(b"PK\x03\x04"):  # before the PDF marker: a zip may hold a PDF uncompressed near its start
        return _zip_kind(data, low)
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(ARCHIVE_MAGIC) or data[257:262] == b"ustar":
        raise Refused("archives are not accepted: send the files themselves")
    if data.startswith(OLE_MAGIC):
        raise Refused(f"old Office files (.xls, .doc, .msg) are not read: {ACCEPTED}")
    if _binary(data[:65536]):
        what = "is named .pdf but is not a PDF (corrupt?)" if low.endswith(".pdf") else "is binary data"
        raise Refused(f"the file {what}: {ACCEPTED}")
    if low.endswith(".pdf"):
        raise Refused("the file is named .pdf but is not a PDF (corrupt or truncated)")
    if low.endswith((".xlsx", ".xlsm")):
        raise Refused("the file is named .xlsx but is not a workbook (corrupt or truncated)")
    if low.endswith(".eml") or _looks_like_mail(data[:8192]):
        return "email"
    if low.endswith((".csv", ".tsv")):
        return "csv"
    return "text"


def _zip_kind(data: bytes, low: str) -> SourceKind:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        if low.endswith((".xlsx", ".xlsm")):
            raise Refused("the workbook is corrupt or truncated") from None
        raise Refused("archives are not accepted: send the files themselves") from None
    names = {i.filename for i in infos}
    if "xl/workbook.xml" in names:
        if sum(i.file_size for i in infos) > MAX_XLSX_UNPACKED:
            raise Refused(f"the workbook unpacks to over {MAX_XLSX_UNPACKED // (1024 * 1024)} MB: not read")
        _check_workbook_parts(infos)
        return "xlsx"
    if "word/document.xml" in names:
        raise Refused(f"Word documents are not read: {ACCEPTED}")
    raise Refused("archives are not accepted: send the files themselves")


def _check_workbook_parts(infos: list[zipfile.ZipInfo]) -> None:
    """What openpyxl reads whole before a row is read (limits.py), bounded by the sizes the zip's directory states
    (zipfile unpacks no more than a stated size, so understating one does not help)."""
    for info in infos:
        name = info.filename.lower()
        if name == "xl/sharedstrings.xml" and info.file_size > MAX_SHARED_STRINGS_BYTES:
            raise Refused(
                f"the workbook's shared text is {info.file_size / MB:.1f} MB unpacked "
                f"(over {MAX_SHARED_STRINGS_BYTES // MB} MB): too large to read; send a shorter list"
            )
        if name.startswith("xl/worksheets/") and name.endswith(".xml") and info.file_size > MAX_SHEET_BYTES:
            raise Refused(
                f"a sheet of the workbook is {info.file_size / MB:.1f} MB unpacked "
                f"(over {MAX_SHEET_BYTES // MB} MB): too large to read; send a shorter list"
            )


def _binary(head: bytes) -> bool:
    """NUL bytes, or many control bytes, or neither UTF-8 nor mostly printable Latin-1: not text a person wrote."""
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if controls > len(head) * 0.01:
        return True
    try:
        head.decode("utf-8")
        return False
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4:  # cut in the middle of a character
            return False
    high = sum(1 for b in head if 0x80 <= b < 0xA0)  # C1 controls: never in cp1252 prose
    return high > len(head) * 0.01


def _looks_like_mail(head: bytes) -> bool:
    first = head.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    return bool(_HEADER_LINE.match(first)) and len(_MAIL_HEADERS.findall(first)) >= 2


def decode_text(data: bytes) -> str:
    """UTF-8 (a byte-order mark dropped), else Windows-1252 (what older mail and spreadsheet tools write)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
