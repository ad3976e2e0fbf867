"""A watched inbox folder (``UWC_INBOX``): files dropped there are taken in like an upload, by the same code path
(``DeskService.submit``), then moved out of the way so each is read once.

Read files go to ``<inbox>/done/``, refused ones to ``<inbox>/refused/`` beside a ``<name>.reason.txt``; a file
still being written (its size changed since the last look) waits for the next pass. Names are data: a file is
moved under a name built from its content hash, never passed to a shell.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import threading
from pathlib import Path

from desk.limits import MAX_FILE_BYTES, MB

log = logging.getLogger("uwc.desk.inbox")
POLL_S = 2.0
DONE, REFUSED = "done", "refused"


def _target(folder: Path, path: Path, data_hash: str) -> Path:
    safe = "".join(c for c in path.name if c.isalnum() or c in "._-")[-60:] or "file"
    return folder / f"{data_hash[:12]}-{safe}"


def sweep(inbox: Path, submit, sizes: dict[str, int]) -> int:
    """One pass: take in every settled file of ``inbox``; returns how many were read. ``sizes``: what each file
    measured last time (a file is read once its size holds still between two passes)."""
    taken = 0
    for folder in (DONE, REFUSED):
        (inbox / folder).mkdir(parents=True, exist_ok=True)
    for path in sorted(p for p in inbox.iterdir() if not p.name.startswith(".")):
        try:
            taken += _take(inbox, path, submit, sizes)
        except OSError as exc:  # unreadable, removed under us: this file waits; the others go on
            log.warning("inbox: %s not read: %s", path.name, exc.strerror or exc)
    return taken


def _set_aside(inbox: Path, path: Path, reason: str, digest: str) -> None:
    moved = _target(inbox / REFUSED, path, digest)
    path.replace(moved)
    moved.with_name(moved.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    log.info("inbox: %s refused: %s", path.name, reason)


def _take(inbox: Path, path: Path, submit, sizes: dict[str, int]) -> int:
    """One entry of the inbox: 1 when it was taken in or set aside, 0 when it waits (or is not a file)."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):  # a link could point anywhere on the machine: never followed
        _set_aside(inbox, path, "a link, not a file: links are not followed", "link" + str(info.st_ino))
        return 1
    if not stat.S_ISREG(info.st_mode):
        return 0
    if sizes.get(path.name) != info.st_size:  # new, or still growing: look again next pass
        sizes[path.name] = info.st_size
        return 0
    sizes.pop(path.name, None)
    if info.st_size > MAX_FILE_BYTES:  # refused before a byte is read
        _set_aside(inbox, path, f"over {MAX_FILE_BYTES // MB} MB (the limit for one file)", "size" + str(info.st_ino))
        return 1
    # O_NOFOLLOW: a link swapped in since the look above is refused by the open itself; read at most the limit
    with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)
    outcome = submit([(path.name, data)]).outcomes[0]
    digest = hashlib.sha256(data).hexdigest()
    if outcome.ok:
        path.replace(_target(inbox / DONE, path, digest))
        log.info("inbox: %s taken in", path.name)
    else:
        _set_aside(inbox, path, outcome.refused or "refused", digest)
    return 1


def watch(inbox: Path, submit, stop: threading.Event, poll: float = POLL_S) -> None:
    """Sweep ``inbox`` every ``poll`` seconds until ``stop``; a failed pass is logged and the next one tries again."""
    sizes: dict[str, int] = {}
    inbox.mkdir(parents=True, exist_ok=True)
    while not stop.is_set():
        try:
            sweep(inbox, submit, sizes)
        except Exception as exc:  # a locked store, a file removed under us: the next pass tries again
            log.warning("inbox %s: %s: %s", inbox, type(exc).__name__, exc)
        stop.wait(poll)
