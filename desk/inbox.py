"""A watched inbox folder (``UWC_INBOX``): files dropped there are taken in like an upload, by the same code path
(``DeskService.submit``), then moved out of the way so each is read once.

Read files go to ``<inbox>/done/``, refused ones to ``<inbox>/refused/`` beside a ``<name>.reason.txt``; a file
still being written (its size changed since the last look) waits for the next pass. Names are data: a file is
moved under a name built from its content hash, never passed to a shell.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

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
    for path in sorted(p for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".")):
        size = path.stat().st_size
        if sizes.get(path.name) != size:  # new, or still growing: look again next pass
            sizes[path.name] = size
            continue
        sizes.pop(path.name, None)
        data = path.read_bytes()
        outcome = submit([(path.name, data)]).outcomes[0]
        digest = hashlib.sha256(data).hexdigest()
        if outcome.ok:
            path.replace(_target(inbox / DONE, path, digest))
        else:
            moved = _target(inbox / REFUSED, path, digest)
            path.replace(moved)
            moved.with_name(moved.name + ".reason.txt").write_text((outcome.refused or "") + "\n", encoding="utf-8")
        log.info("inbox: %s %s", path.name, "taken in" if outcome.ok else f"refused: {outcome.refused}")
        taken += 1
    return taken


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
