"""The one way in: files (paths or bytes) to typed submissions, stored when a store is given.

Every caller (``uwc submit``, the Desk page, the inbox watcher, the MCP tool) goes through ``intake``. Each file
is read on its own: a refused file gets one readable reason and the rest of the batch goes on. The same content
twice is the same submission (its id is derived from the content's hash).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from desk.drafts import Draft, Reading
from desk.facts import read_facts
from desk.limits import MAX_FILE_BYTES, MAX_TEXT_CHARS, MB
from desk.readers import read
from desk.sniff import Refused
from desk.store import DeskStore
from desk.submission import FileOutcome, IntakeResult, Submission, TextPart

Item = Path | str | bytes | tuple[str, bytes]


def intake(
    items: Iterable[Item], *, catalog, store: DeskStore | None = None, now: datetime | None = None
) -> IntakeResult:
    """Read each item (a path, or ``(name, bytes)``) into submissions; keep them and their files in ``store``."""
    return IntakeResult(tuple(intake_one(item, catalog=catalog, store=store, now=now) for item in items))


def intake_one(item: Item, *, catalog, store: DeskStore | None = None, now: datetime | None = None) -> FileOutcome:
    name = "?"
    try:
        name, data = _load(item)
        reading = read(name, data)
        received = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        subs = [_submission(reading, d, catalog, received) for d in reading.drafts]
        if store is None:
            return FileOutcome(name, tuple(s for s, _ in subs))
        for sha, blob in reading.blobs.items():
            store.keep_file(sha, blob)
        kept, new = [], 0
        for sub, key in subs:
            stored, was_new = store.add(sub, key)
            kept.append(stored)
            new += was_new
        return FileOutcome(name, tuple(kept), duplicate=new == 0)
    except Refused as exc:
        return FileOutcome(name, refused=str(exc))
    except Exception as exc:  # a bug or a store fault: this file fails, one line, and the batch goes on
        return FileOutcome(name, refused=f"not read: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}")


def display_name(path: str | bytes | os.PathLike) -> str:
    """A path as it may be shown: undecodable bytes and control characters replaced."""
    raw = os.fsencode(path)
    return re.sub(r"[\x00-\x1f\x7f]", "?", raw.decode("utf-8", errors="replace"))


def _load(item: Item) -> tuple[str, bytes]:
    if isinstance(item, tuple):
        name, data = item
        return _base(name), bytes(data)
    path = Path(os.fsdecode(item))
    shown = display_name(item)
    name = _base(os.fsdecode(path.name))
    try:
        if path.is_dir():
            raise Refused(f"{shown} is a folder, not a file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise Refused(f"the file is over {MAX_FILE_BYTES // MB} MB ({size / MB:.1f} MB)")
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)  # a file that grows while read is still bounded
    except FileNotFoundError:
        raise Refused(f"{shown}: no such file") from None
    except PermissionError:
        raise Refused(f"{shown}: permission denied") from None
    except OSError as exc:
        raise Refused(f"{shown}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    return name, data


def _base(name: str) -> str:
    """The file's own name, kept as data: no folders, no control characters."""
    name = display_name(name).replace("\\", "/").rsplit("/", 1)[-1]
    return name[:200] or "unnamed"


# Control characters in a file's text (an e-mail's quoted-printable "=1B", a PDF string): escape sequences recolour,
# retitle, link or write the clipboard of the terminal that prints a fact, and bidi overrides show a name reversed.
# No underwriter writes them: each becomes a space before anything reads the text; tabs and line ends stay, and the
# controls Python reads as line breaks (form feed, vertical tab, separators, NEL) become line ends.
_BREAKS = re.compile(r"[\x0b\x0c\x1c-\x1e\x85]")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def without_controls(text: str) -> str:
    """``text`` with control characters (C0 but tab and line ends, DEL, C1, bidi overrides) made spaces."""
    return _CONTROLS.sub(" ", _BREAKS.sub("\n", text))


def _submission(reading: Reading, draft: Draft, catalog, received: str) -> tuple[Submission, str]:
    draft.text = [TextPart(without_controls(p.text), p.source) for p in draft.text]
    draft.fields = [(without_controls(label), without_controls(value), src) for label, value, src in draft.fields]
    read = read_facts(draft, catalog)
    return (
        Submission(
            id="SUB-" + draft.key[:16],
            received_at=received,
            kind=reading.kind,  # type: ignore[arg-type]
            files=tuple(draft.files),
            text=_capped(draft.text),
            facts=tuple(read.facts),
            lines_requested=tuple(read.lines_requested),
            description=read.description,
            company=read.company,
            needs_person=draft.needs_person,
            notes=tuple(draft.notes + read.notes),
        ),
        draft.key,
    )


def _capped(parts: list[TextPart]) -> tuple[TextPart, ...]:
    out, left = [], MAX_TEXT_CHARS
    for p in parts:
        if left <= 0:
            break
        out.append(p if len(p.text) <= left else TextPart(p.text[:left], p.source))
        left -= len(p.text)
    return tuple(out)
