"""A progress bar on stderr for the CLI's long steps: counts, time spent, time left.

Shown when stderr is a terminal (or when asked), so piped output, CI logs and tests stay clean. Steps report
``(task, done, total)`` (``retrieval.vectors.Progress``), as ``seed_db.seed.run_seed`` calls back.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retrieval.vectors import Progress


def wanted(flag: bool | None) -> bool:
    """``--progress`` / ``--no-progress`` if given, else whether stderr is a terminal."""
    return sys.stderr.isatty() if flag is None else flag


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Progress | None]:
    """A ``(task, done, total)`` callback drawing one bar per task, or None when not ``enabled``."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as Bars

    console = Console(stderr=True, force_terminal=True if not sys.stderr.isatty() else None)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    with Bars(*columns, console=console) as bar:
        tasks: dict[str, TaskID] = {}

        def report(task: str, done: int, total: int) -> None:
            if task not in tasks:
                tasks[task] = bar.add_task(task, total=total)
            bar.update(tasks[task], completed=done, total=total)

        yield report
