"""A PDF's text, page by page, and its filled form fields, within a time budget: what a page costs to read is
decided by its drawing operators (a few KB can make minutes of work), so the budget is checked while reading."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from desk.drafts import Draft, Reading, stored_file
from desk.limits import MAX_PAGES, MAX_PDF_STREAM_TOKENS, MAX_READ_SECONDS
from desk.sniff import Refused
from desk.submission import Source, TextPart

# The CPU deadline of the file being read: an e-mail's attached PDFs share the e-mail's one budget (50 of them at
# 6 s each would be 5 minutes).
_DEADLINE: ContextVar[float | None] = ContextVar("uwc_pdf_deadline", default=None)
# pypdf logs a hostile file's oddities ("a already parsed", "Expected StreamObject") as warnings, which reach stderr
# beside `uwc submit`'s one line when nothing else handles them; what matters is in the reading's notes or refusal.
logging.getLogger("pypdf").setLevel(logging.ERROR)


@contextmanager
def one_budget() -> Iterator[None]:
    """Every PDF read within this (a file, and each of its attachments) shares one MAX_READ_SECONDS budget."""
    if _DEADLINE.get() is not None:  # an attachment: the file's budget goes on
        yield
        return
    token = _DEADLINE.set(cpu_clock() + MAX_READ_SECONDS)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def read_pdf(name: str, data: bytes, depth: int = 0) -> Reading:
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import FileNotDecryptedError, LimitReachedError, PdfReadError

    f = stored_file(name, data, "application/pdf")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):  # an owner-only password still opens
            raise Refused("the PDF is encrypted (password protected): ask the broker for an unprotected copy")
        pages = reader.pages
        count = len(pages)
    except FileNotDecryptedError:
        raise Refused("the PDF is encrypted (password protected): ask the broker for an unprotected copy") from None
    except PdfReadError as exc:
        raise Refused(f"the PDF cannot be read (corrupt or truncated: {str(exc)[:80]})") from None
    draft = Draft(key=f.sha256, files=[f])
    if count == 0:
        raise Refused("the PDF has no pages")
    if count > MAX_PAGES:
        draft.notes.append(f"{name}: the first {MAX_PAGES} of {count} pages were read")
    named: set[str] = set()
    too_large: list[int] = []
    last = min(count, MAX_PAGES)
    start, slowest = cpu_clock(), 0.0
    shared = _DEADLINE.get()
    deadline = shared if shared is not None else start + MAX_READ_SECONDS
    # pypdf's own bound on one content stream's tokens: the one step the deadline cannot interrupt (~5 us a token)
    with apply_configuration(stream_parsing_work_maximum_count=MAX_PDF_STREAM_TOKENS):
        for number in range(1, last + 1):
            began = cpu_clock()
            if began + slowest > deadline:  # this page would likely go over (or the time is gone): stop before it
                stopped = number
                break
            page = pages[number - 1]
            try:
                text = _page_text(page, deadline)
            except _OutOfTime:
                stopped = number
                break
            except LimitReachedError:
                too_large.append(number)
                draft.notes.append(f"{name}: page {number} not read: its content is too large to read")
                slowest = max(slowest, cpu_clock() - began)
                continue
            if text.strip():
                draft.text.append(TextPart(text, Source(f.sha256, name, page=number)))
            for label, value in _widgets(page):
                named.add(label)
                draft.fields.append((label, value, Source(f.sha256, name, page=number, field=label)))
            slowest = max(slowest, cpu_clock() - began)
        else:
            stopped = 0
    if stopped:
        if not draft.text and not draft.fields:
            raise Refused(f"the PDF takes too long to read: no text could be read within {MAX_READ_SECONDS:.0f} s")
        left = f"page {stopped}" if stopped == last else f"pages {stopped}-{last}"
        draft.notes.append(f"{name}: {left} not read: reading took too long")
    for label, value in (reader.get_form_text_fields() or {}).items():  # fields without a widget on a page
        if label not in named and value:
            draft.fields.append((label, str(value), Source(f.sha256, name, field=label)))
    if not draft.text and not draft.fields and too_large:
        draft.needs_person = f"{name}: its pages are too large to read here: needs a person to read it"
    elif not draft.text and not draft.fields:
        draft.needs_person = f"{name}: no text layer (a scan or an image): needs a person to read it (no OCR here)"
    return Reading("pdf", [draft], {f.sha256: data})


class _OutOfTime(Exception):
    """A page's reading passed the file's deadline."""


def _page_text(page, deadline: float) -> str:
    """A page's text; the deadline is checked between drawing operators, so a page that runs long is cut short."""

    def check(*_) -> None:
        if cpu_clock() > deadline:
            raise _OutOfTime

    return page.extract_text(visitor_operand_before=check) or ""


def cpu_clock() -> float:
    """This thread's CPU time: a busy machine or another reader's thread does not shorten this file's budget."""
    return time.thread_time()


def _widgets(page) -> list[tuple[str, str]]:
    """The filled form fields drawn on a page: (label, value), the label being the field's tooltip (``/TU``,
    what ACORD forms label their fields with) or else its name."""
    out = []
    annots = page.get("/Annots")
    annots = annots.get_object() if annots is not None else []
    for ref in annots if isinstance(annots, list) else []:
        annot = ref.get_object()
        if not hasattr(annot, "get") or annot.get("/Subtype") != "/Widget":
            continue
        node, value, label = annot, annot.get("/V"), annot.get("/TU") or annot.get("/T")
        for _ in range(10):  # a field's name and value may sit on its parents (a hostile file may loop them)
            if (value is not None and label is not None) or "/Parent" not in node:
                break
            node = node["/Parent"].get_object()
            value = node.get("/V") if value is None else value
            label = label or node.get("/TU") or node.get("/T")
        if value is None or label is None:
            continue
        text = str(value).lstrip("/") if not isinstance(value, list) else ", ".join(str(v) for v in value)
        if text.strip() and text not in ("Off",):
            out.append((str(label), text.strip()))
    return out
