"""``uwc audit export``: decision records as JSON lines and underwriting memos (PDF), written only inside the
folder chosen.

The output folder must lie under ``root`` (the current directory for the CLI): a path whose ``..`` climbs out, or
that leads out through a symlink, is refused, and files are opened relative to the folder without following
symlinks, so a link planted inside cannot redirect a write either. File names are built from sanitized ids and
sequence numbers, never from text in a record.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from graph.records import DecisionRecord, RecordStore

FORMATS = ("jsonl", "pdf", "both")
LINKED = ("referral", "approval", "decline", "return", "override")


class ExportRefused(ValueError):
    """The export cannot go where it was asked (the message says why)."""


@dataclass
class ExportReport:
    out: Path
    records: int = 0
    jsonl: Path | None = None
    memos: list[Path] = field(default_factory=list)


def safe_id(value: str | None, limit: int = 40) -> str:
    """An id as a file-name part: letters, digits, ``-`` and ``_`` only."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", value or "")[:limit] or "none"


def since_value(text: str) -> str:
    """``--since``: an ISO date (UTC day) or date-time (any offset; naive is UTC), as the stored ``at`` compares."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text).isoformat()
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ExportRefused(f"--since {text!r} is not an ISO date or date-time (e.g. 2026-03-01)") from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")


def safe_out_dir(out: str | Path, root: Path) -> Path:
    """The folder ``out`` (relative to ``root``, or absolute) resolved, created if missing, when it lies under
    ``root``; else ``ExportRefused``."""
    root = Path(root).resolve()
    given = Path(out)
    candidate = given if given.is_absolute() else root / given
    if not Path(os.path.normpath(candidate)).is_relative_to(root):
        raise ExportRefused(f"--out {out} is outside {root}; choose a folder under it")
    resolved = candidate.resolve()
    if not resolved.is_relative_to(root):
        raise ExportRefused(f"--out {out} leads out of {root} through a symbolic link")
    if resolved.exists() and not resolved.is_dir():
        raise ExportRefused(f"--out {out} is not a folder")
    resolved.mkdir(parents=True, exist_ok=True)
    return resolved


class _Folder:
    """Files created inside one folder, opened relative to it and never through a symlink."""

    def __init__(self, path: Path):
        self.path = path
        self.fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_NOFOLLOW", 0))

    def open(self, name: str):
        assert "/" not in name and name not in (".", "..")
        try:
            there = os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            there = None
        if there is not None:
            if not stat.S_ISREG(there.st_mode):  # a FIFO would hang the export, a device or link write elsewhere
                raise ExportRefused(f"cannot write {self.path / name}: it exists and is not a regular file")
            # A new file in place of the old one: a hard link to a file elsewhere keeps that file as it was.
            os.unlink(name, dir_fd=self.fd)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(name, flags, 0o644, dir_fd=self.fd)
        except OSError as exc:
            raise ExportRefused(f"cannot write {self.path / name}: {exc.strerror} (a symbolic link?)") from None
        return os.fdopen(fd, "wb")

    def close(self) -> None:
        os.close(self.fd)


def memo_groups(records: Iterable[DecisionRecord]) -> list[list[DecisionRecord]]:
    """Each determination with the records that decide on it. A linked record (referral, approval, decline,
    return, override) belongs to the determination its body names (``determination_seq``), else to the one of the
    answer it names (``message_id``, and ``task_type`` when an answer made several), else to the determination
    its referral (``referral_id``) went with, else to the latest determination of its conversation before it."""
    groups: dict[int, list[DecisionRecord]] = {}
    latest: dict[str | None, int] = {}
    by_answer: dict[tuple[str, str | None], int] = {}
    by_referral: dict[str, int] = {}
    for r in records:
        if r.kind == "determination":
            groups[r.seq] = [r]
            latest[r.thread_id] = r.seq
            if r.body.get("message_id"):
                by_answer[r.body["message_id"], None] = r.seq
                by_answer[r.body["message_id"], r.body.get("task_type")] = r.seq
            continue
        if r.kind not in LINKED:
            continue
        named = r.body.get("determination_seq")
        owner = named if isinstance(named, int) and named in groups else None
        answer = r.body.get("message_id")
        if owner is None and answer:
            task = r.body.get("task_type") or (r.body.get("determination") or {}).get("task_type")
            owner = by_answer.get((answer, task)) or by_answer.get((answer, None))
        if owner is None and r.referral_id:
            owner = by_referral.get(r.referral_id)
        if owner is None and r.thread_id is not None:
            owner = latest.get(r.thread_id)
        if owner is None:
            continue
        groups[owner].append(r)
        if r.referral_id:
            by_referral.setdefault(r.referral_id, owner)
    return list(groups.values())


def export(
    store: RecordStore,
    out: str | Path,
    root: Path,
    *,
    thread_id: str | None = None,
    submission_id: str | None = None,
    since: str | None = None,
    fmt: str = "both",
) -> ExportReport:
    """Write ``records.jsonl`` and/or one memo PDF per determination of the selection into ``out``."""
    if fmt not in FORMATS:
        raise ExportRefused(f"--format is one of {', '.join(FORMATS)}")
    folder = _Folder(safe_out_dir(out, root))
    report = ExportReport(folder.path)
    kept: list[DecisionRecord] = []
    try:
        selection = store.records(
            thread_id=thread_id, submission_id=submission_id, since=since_value(since) if since else None
        )
        if fmt in ("jsonl", "both"):
            report.jsonl = folder.path / "records.jsonl"
            with folder.open("records.jsonl") as f:
                for record in selection:
                    f.write(json.dumps(record.as_dict(), ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n")
                    report.records += 1
                    if fmt == "both":
                        kept.append(record)
        else:
            kept = list(selection)
            report.records = len(kept)
        if fmt in ("pdf", "both"):
            from app.memo import memo_pdf

            for group in memo_groups(kept):
                head = group[0]
                name = f"memo-{head.seq:06d}-{safe_id(head.thread_id)}.pdf"
                with folder.open(name) as f:
                    f.write(memo_pdf(group))
                report.memos.append(folder.path / name)
    finally:
        folder.close()
    return report


def memo_for_answer(store: RecordStore, thread_id: str, message_id: str, index: int | None = None) -> bytes | None:
    """The memo of a determination an answer recorded (``index``: which, in the answer's order; the last when
    None), with its referral and decisions, for a page's download button; None when that answer recorded none."""
    from app.memo import memo_pdf

    groups = [g for g in memo_groups(store.records(thread_id=thread_id)) if g[0].body.get("message_id") == message_id]
    if not groups:
        return None
    return memo_pdf(groups[index] if index is not None and 0 <= index < len(groups) else groups[-1])
