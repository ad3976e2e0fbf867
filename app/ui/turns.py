"""Run copilot turns on background threads and let any page run watch them.

Streamlit reruns the script on every click; a turn run inside the script would be cut short by the rerun. Here
the turn lives on its own thread and collects its streamed events; the chat page polls them and renders. The
runner is process-wide (``resources.turn_runner``), keyed by conversation id, so a refreshed tab finds the turn.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from app.ui.common import failure_message
from app.ui.escape import md
from core.database import DatabaseUnavailable
from graph.copilot import InputRejected
from graph.threads import ThreadNotFound


@dataclass
class Turn:
    thread_id: str
    text: str
    n_before: int  # messages already in the conversation when the turn started
    fresh_thread: bool = False  # created for this turn: the page removes it again when the message is refused
    events: list[dict] = field(default_factory=list)
    result: object | None = None  # graph.copilot.TurnResult
    error: str | None = None  # why the turn could not run, as safe Markdown (refused input, a deleted conversation)
    rejected: bool = False  # the message was refused (too long, a busy conversation, a locked store): nothing was sent
    reason: str | None = None  # why it was refused, as plain text
    thread_removed: bool = False  # the conversation was deleted while the turn ran
    started: float = field(default_factory=time.perf_counter)
    done: threading.Event = field(default_factory=threading.Event)
    cancel: threading.Event = field(default_factory=threading.Event)  # set by the Stop button

    @property
    def stopping(self) -> bool:
        return self.cancel.is_set() and not self.done.is_set()


class TurnRunner:
    def __init__(self) -> None:
        self._turns: dict[str, Turn] = {}
        self._lock = threading.Lock()

    def get(self, thread_id: str | None) -> Turn | None:
        return self._turns.get(thread_id) if thread_id else None

    def running(self, thread_id: str | None) -> bool:
        turn = self.get(thread_id)
        return turn is not None and not turn.done.is_set()

    def start(self, copilot, thread_id: str, text: str, n_before: int, fresh_thread: bool = False) -> Turn | None:
        """Start a turn, or None when one is already running for this conversation (nothing is started)."""
        with self._lock:
            self._forget_unwatched()
            current = self._turns.get(thread_id)
            if current is not None and not current.done.is_set():
                return None
            turn = Turn(thread_id, text, n_before, fresh_thread)
            self._turns[thread_id] = turn
        threading.Thread(target=self._run, args=(copilot, turn), name=f"turn-{thread_id}", daemon=True).start()
        return turn

    def _forget_unwatched(self, max_age: float = 600.0) -> None:
        """Drop finished turns nobody came back to watch (the tab was closed): their answers are in the checkpointer."""
        now = time.perf_counter()
        for tid in [t for t, turn in self._turns.items() if turn.done.is_set() and now - turn.started > max_age]:
            del self._turns[tid]

    def stop(self, thread_id: str | None) -> bool:
        """Ask the running turn of this conversation to stop at its next step; True when one was running."""
        turn = self.get(thread_id)
        if turn is None or turn.done.is_set():
            return False
        turn.cancel.set()
        return True

    def pop(self, thread_id: str) -> Turn | None:
        with self._lock:
            return self._turns.pop(thread_id, None)

    @staticmethod
    def _run(copilot, turn: Turn) -> None:
        try:
            turn.result = copilot.send(turn.thread_id, turn.text, on_event=turn.events.append, cancel=turn.cancel)
            if not turn.result.saved:  # the history will not have it yet: show it with the reason
                turn.error = f"{md(turn.result.error)} The answer was: {md(turn.result.answer)}"
        except InputRejected as exc:
            turn.error, turn.rejected, turn.reason = f"Message not sent: {md(exc)}.", True, str(exc)
        except ThreadNotFound:
            turn.error = "This conversation no longer exists (it was deleted, perhaps in another tab). Start a new one."
            turn.thread_removed = True
        except DatabaseUnavailable as exc:  # PostgreSQL down: already one readable line, the conversation is kept
            turn.error = md(exc)
        except Exception as exc:  # a bug or an outage: one line with a reference; the conversation is kept
            turn.error = failure_message(exc)
        finally:
            turn.done.set()
