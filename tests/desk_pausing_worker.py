"""A triage worker that stops, once, before the appetite step (it writes ``$DESK_PAUSE_FILE`` and sleeps), so a test
can kill it with SIGKILL mid-workflow. ``python -m tests.desk_pausing_worker`` takes ``desk.worker``'s arguments."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from desk.worker import main


def pause_once(submission_id: str, step: str) -> None:
    marker = Path(os.environ["DESK_PAUSE_FILE"])
    if step == "appetite" and not marker.exists():
        marker.write_text(submission_id)
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main(before_step=pause_once))
