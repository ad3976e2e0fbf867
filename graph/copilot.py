"""``Copilot``: the one object the CLI, the Streamlit app, replays and the evaluation harness talk to.

It wires settings to parts (toolkit, model, checkpointer, thread store, graph), runs a turn with streamed
events, and reads a thread back for display. All of it is testable without Streamlit.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from core import tracing
from core.database import DatabaseUnavailable, database_errors, explain, sqlite_file
from core.faults import database_problem, is_database_error, mark_store, naming_store
from core.per_message import Folded
from core.redact import install_log_redaction, redact
from core.settings import Settings
from core.telemetry_store import CheckStore
from core.vocabulary import FACT_KEYS, LINE_TASKS, TOOL_FACTS
from graph import prompts, readback
from graph.audit_key import load_key
from graph.build import RECURSION_LIMIT, build_graph
from graph.checkpoints import checkpoint_target, open_checkpointer
from graph.observe import after_turn, record_turn
from graph.offline.conversation import Conversation
from graph.offline.reading import Reader
from graph.records import RecordStore
from graph.refer import decided_line, determinations, refer_turn
from graph.referral_flow import build_referral_flow
from graph.referrals import Referral, Referrals, ReferralStore
from graph.state import kind, meta
from graph.threads import ScopedThreads, ThreadNotFound, ThreadStore, store_url, title_from_message
from graph.writer_lock import LockTimeout, open_writer_locks
from seed_db.authority import load_authority, role_of
from tools.applicants import applicant_of

MAX_MESSAGE_CHARS = 8000
log = logging.getLogger("uwc.copilot")
SAVE_RETRIES = 3  # after the store's own busy wait: a few short retries to save an answer a lock kept back
UNSAVED_NOTE = "This answer is shown but not saved yet; it is saved with your next message."
BUSY = "this conversation is busy: another window or process is answering in it; send the message again in a moment"


class InputRejected(ValueError):
    """The underwriter's message cannot be sent; the message says why and what is allowed."""


class MessageNotSent(InputRejected):
    """Nothing of the message was stored (a store was locked or failed before the question was saved): the text is
    the underwriter's to send again."""


class ThreadBusy(MessageNotSent):
    """Another writer held the conversation for the whole ``UWC_THREAD_WAIT``."""


class TurnStopped(BaseException):
    """Raised inside a streaming model call once the underwriter stopped the turn. A BaseException, so neither the
    model layer's retries nor the graph's model-error handler turn it into an error message."""


_STOP: ContextVar[threading.Event | None] = ContextVar("uwc_stop", default=None)  # the running turn's stop flag


class _Stoppable:
    """The model as the graph sees it: every streamed token first checks the running turn's stop flag, so Stop
    also ends a long model reply, not only the steps between calls."""

    def __init__(self, model):
        self._model = model

    def __getattr__(self, name):
        return getattr(self._model, name)

    def invoke(self, messages, tools, on_token=None):
        stop = _STOP.get()
        if stop is None:
            return self._model.invoke(messages, tools, on_token=on_token)

        def token(text: str) -> None:
            if stop.is_set():
                raise TurnStopped
            if on_token:
                on_token(text)

        if stop.is_set():
            raise TurnStopped
        return self._model.invoke(messages, tools, on_token=token)


def recorded(steps: list[dict]) -> list[dict]:
    """The findings recorded in these tool steps, in order (a message that asked two questions has two)."""
    return [e["result"] for e in steps if e.get("tool") == "record_finding" and e.get("ok")]


@dataclass
class TurnResult:
    answer: str
    message_id: str | None
    steps: list[dict] = field(default_factory=list)  # tool events of this turn
    finding: dict | None = None  # recorded during this turn (the last, when it recorded several)
    findings: list[dict] = field(default_factory=list)  # every finding of this turn, in order: one card each
    readings: list = field(default_factory=list)  # what was read from the message (graph/readback.py), said back
    notices: list[str] = field(default_factory=list)
    error: str | None = None
    events: list[dict] = field(default_factory=list)
    stopped: bool = False  # ended early by ``cancel``
    check: dict | None = None  # the online check of ``finding`` (graph/online_checks.py)
    checks: list[dict] = field(default_factory=list)  # the online check of each of ``findings``, in order
    referrals: list[Referral] = field(default_factory=list)  # opened because a determination was beyond authority
    referral_lines: list[str] = field(default_factory=list)  # what the conversation was told of them, in order
    saved: bool = True  # False: a store fault kept the answer from the checkpoint (it is saved on the next turn)
    records: list = field(default_factory=list)  # the decision records written for this turn (graph/records.py)
    record_error: str | None = None  # why a determination of this turn is not on record (a notice says so too)


def _add_asked(asked: list[tuple[str, str]], m) -> None:
    if isinstance(m, HumanMessage) and isinstance(m.content, str) and kind(m) != "guard_correction":
        asked.append((str(m.id), m.content))


# A thread's underwriter messages (id, text), for the decision records: each turn reads only its new messages.
_asked_messages = Folded(list, _add_asked, list)


def make_model(settings: Settings, catalog, model: str | None = None):
    """The model for a settings value: the offline rules model, or any litellm model string."""
    name = model or settings.model
    if name == "offline":
        from graph.offline import OfflineRulesModel

        return OfflineRulesModel(catalog, cache=settings.cache_path)
    from graph.cassette import Cassette
    from graph.llm import LiteLLMModel

    cassette = None
    if settings.replay:
        cassette = Cassette(settings.replay, "replay")
    elif settings.record:
        cassette = Cassette(settings.record, "record")
    return LiteLLMModel.from_settings(settings, name, cassette=cassette)


def model_label(model) -> str:
    return prompts.OFFLINE_LABEL if not getattr(model, "is_llm", False) else f"LLM: {model.name}"


def named_in(steps: list[dict]) -> str | None:
    """The applicant's name these tool steps found or a finding of theirs names (the latest), if any."""
    name = None
    for e in steps:
        result: dict = e["result"] if e.get("ok") and isinstance(e.get("result"), dict) else {}
        app = applicant_of(e) if result else None
        if isinstance(app, dict) and app.get("company_name"):
            name = str(app["company_name"])
        facts = result.get("facts") if e.get("tool") == "record_finding" else None
        if isinstance(facts, dict) and facts.get("company"):
            name = str(facts["company"])
    return name


def mark_stale(history: list[dict], began: set | frozenset = frozenset()) -> None:
    """Mark each finding a later message corrected a fact of (``stale``: per finding, {fact: the value said since}),
    unless a later finding of the same question (and line) redid it: whatever model answered, the page can say so
    and offer to run it again. (The offline model redoes them itself, so its findings are never left stale.)
    ``began``: the ids of the messages that began talk of another business (unnamed: "next one: a locksmith ..."),
    whose facts are not corrections of the last one's."""
    for i, entry in enumerate(history):
        findings = entry.get("findings") or []
        if entry.get("role") != "assistant" or not findings:
            continue
        who = {_who(f) for f in findings} - {None}
        later: list[dict] = []
        for m in history[i + 1 :]:  # up to the conversation turning to another applicant
            if who and {_who(f) for f in m.get("findings") or []} - {None} - who:
                break
            if m.get("role") == "user" and m.get("id") in began:
                break
            later.append(m)
        said: dict = {}
        for m in later:  # an answer carries the readings of the message it answers
            said.update({r.fact: r.value for r in m.get("readings") or [] if not r.unknown})
        redone = {_subject_of(f) for m in later for f in m.get("findings") or []}
        stale = []
        for f in findings:
            facts = f.get("facts") if isinstance(f.get("facts"), dict) else {}
            changed = {k: v for k, v in said.items() if k in facts and k != "lob" and facts[k] != v}
            stale.append(changed if changed and _subject_of(f) not in redone else {})
        entry["stale"] = stale


def _who(finding: dict) -> str | None:
    facts: dict = finding["facts"] if isinstance(finding.get("facts"), dict) else {}
    return facts.get("applicant_id") or facts.get("company")


def _subject_of(finding: dict) -> tuple:
    facts: dict = finding["facts"] if isinstance(finding.get("facts"), dict) else {}
    return finding.get("task_type"), facts.get("lob") if finding.get("task_type") in LINE_TASKS else None


def _aligned(checks: list[dict], findings: list[dict]) -> list[dict | None]:
    """One check per finding, in order. A turn checked before each finding was (only its last) pairs its one
    check with the last finding; a turn re-checked keeps the latest checks."""
    if not findings:
        return []
    if len(checks) >= len(findings):
        return list(checks[-len(findings) :])
    return [None] * (len(findings) - len(checks)) + list(checks)


class Copilot:
    def __init__(self, settings: Settings, model=None, toolkit=None):
        from tools.all import default_tools
        from tools.context import open_context
        from tools.toolkit import Toolkit

        install_log_redaction()
        self.settings = settings
        self.toolkit = toolkit or Toolkit(open_context(settings), default_tools())
        self.model = model or make_model(settings, self.toolkit.ctx.catalog)
        target = checkpoint_target(settings)
        self.checkpoint_url = target if isinstance(target, str) else f"sqlite:///{target}"
        self.threads_url = store_url(settings)
        # A store that cannot open names itself (`uwc seed` rebuilds uwc.db, never these): see core/faults.py.
        with naming_store(sqlite_file(self.checkpoint_url)):
            self.checkpointer = open_checkpointer(target, settings.database_wait)
        self.writers = open_writer_locks(target, self.checkpointer)
        with naming_store(sqlite_file(self.threads_url)):
            # every conversation; ``threads`` is what this view may see
            self.store = ThreadStore(self.threads_url, settings.database_wait)
            # the decision record, same store; its key lives outside the database
            self.records = RecordStore(self.threads_url, settings.database_wait, load_key(settings))
            self.records.check_key()
        self.threads: ThreadStore | ScopedThreads = self.store
        with naming_store(settings.telemetry_path):
            self.checks = CheckStore(settings.telemetry_path)
        self.graph = build_graph(_Stoppable(self.model), self.toolkit, self.checkpointer, profile=self.settings.profile)
        self.referrals = Referrals(
            ReferralStore(self.store.engine),
            load_authority(),
            build_referral_flow(self.checkpointer, self._tell),
            self.record,
        )
        self.user_name: str | None = None  # who acts through this view (``as_user``); else the settings' user
        self.role = role_of(settings.role)
        self._unsaved: dict[str, tuple[list, list[dict]]] = {}  # turns a store fault kept from the checkpoint
        self._read_cache: dict = {}  # (message, question asked) -> what was read from it (graph/readback.py)
        # where talk of the current applicant began, read once per message (graph/offline/reading.py)
        catalog = self.toolkit.ctx.catalog
        self._subjects = Reader(lambda: Conversation(catalog))

    def as_user(self, owner: str | None, name: str | None = None, role: str | None = None) -> Copilot:
        """This copilot as one user sees it: only their conversations (``owner=None``: every conversation), acting
        as ``name`` (default: the owner) with the authority of ``role`` (default: ``UWC_ROLE``)."""
        if owner is None and name is None and role is None:
            return self
        view = copy.copy(self)
        if owner is not None:
            view.threads = self.store.scoped(owner)
        view.user_name = name or owner
        view.role = role_of(role) if role else self.role
        return view

    @property
    def acting_user(self) -> str:
        return self.user_name or getattr(self.threads, "owner", None) or self.settings.user

    def record(self, kind: str, **fields) -> str | None:
        """Append a decision record (``graph/records.py``); its hash."""
        return self.records.append(kind, **fields).hash

    def post(self, thread_id: str, text: str, *, held: bool = False, **uwc) -> None:
        """Add a copilot line to a conversation outside the model (a referral, a senior's decision): stored like
        an answer, so it shows in the history and the model reads it next turn. ``held``: the caller holds the
        conversation's writer lock (inside a turn)."""
        message = AIMessage(text, id=str(uuid.uuid4()), additional_kwargs={"uwc": uwc})
        with ExitStack() as held_lock:
            if not held:
                held_lock.enter_context(self._writing(thread_id, self.settings.thread_wait))
            self.graph.update_state(self._config(thread_id), {"messages": [message]}, as_node="answer_guard")

    def _tell(self, referral_id: str, decision: dict) -> None:
        """The referral flow's last step: the conversation learns the senior's decision (or question)."""
        ref = self.referrals.store.get(referral_id)
        if ref.thread_id and self.store.exists(ref.thread_id):
            self.post(ref.thread_id, decided_line(ref), kind="referral_decision", referral_id=ref.id)

    @property
    def label(self) -> str:
        return model_label(self.model)

    def warm(self) -> None:
        """Load what a first turn needs and would otherwise load on the underwriter's time: the model's own parts
        (the offline model's intent classifier and its embedding session), the tool boundary's database and
        schemas, the product guard's catalog words. ``uwc serve`` runs it on a thread as soon as the copilot
        exists, while the page loads. Costs nothing that the first turn would not have cost."""
        from tools.guard import find_mentions

        warm_model = getattr(self.model, "warm", None)
        if warm_model is not None:
            warm_model()
        lookup = self.toolkit.specs.get("get_naics")
        if lookup is not None:  # the database, its statements and the catalog's tables, without a recorded call
            lookup.func(self.toolkit.ctx, code="722511")
        find_mentions("We can offer general liability.", self.toolkit.ctx.catalog)
        self.checks.for_conversation("")

    def _config(self, thread_id: str) -> dict:
        return {"configurable": {"thread_id": thread_id}, "recursion_limit": RECURSION_LIMIT}

    def new_thread(self, title: str = "New conversation", applicant_id: str | None = None):
        with self._naming_stores():
            return self.threads.create(title, getattr(self.model, "name", None), applicant_id)

    @contextmanager
    def _naming_stores(self) -> Iterator[None]:
        """A store fault raised inside names its store (``core.faults``) for whoever reports it: the CLI, the app."""
        try:
            yield
        except Exception as exc:
            if is_database_error(exc):
                mark_store(exc, sqlite_file(self._store_url(exc)))
            raise

    def send(
        self,
        thread_id: str,
        text: str,
        on_event: Callable[[dict], None] | None = None,
        cancel: threading.Event | None = None,
        user: str | None = None,
        role: str | None = None,
    ) -> TurnResult:
        """Run one underwriter turn; streamed events go to ``on_event`` as they happen. Setting ``cancel`` stops the
        turn at its next event (a token, a tool step) and closes it cleanly (see ``_close_stopped_turn``).

        The turn is one trace (``core.tracing.turn``) and a recorded finding is re-verified (``result.check``)."""
        text = redact((text or "").strip())  # a key pasted into a message is not stored
        if not text:
            raise InputRejected("the message is empty")
        if len(text) > MAX_MESSAGE_CHARS:
            raise InputRejected(f"the message has {len(text):,} characters; the limit is {MAX_MESSAGE_CHARS:,}")
        try:
            with self._naming_stores():
                if not self.threads.seen(thread_id):  # no lock is made for a thread not there (or not theirs)
                    self.threads.get(thread_id)  # ThreadNotFound
                with self._writing(thread_id, self.settings.thread_wait):
                    return self._send(thread_id, text, on_event, cancel, user, role)
        except database_errors() as exc:  # e.g. PostgreSQL restarting: the conversation is kept, try again
            raise DatabaseUnavailable(
                explain(exc, self._store_url(exc))
                + "; the conversation is kept, send the message again when it is back"
            ) from None

    def _store_url(self, exc: BaseException) -> str:
        """The store that raised ``exc``: the thread store speaks SQLAlchemy, the checkpointer its driver."""
        import sqlalchemy.exc

        return self.threads_url if isinstance(exc, sqlalchemy.exc.SQLAlchemyError) else self.checkpoint_url

    def _problem(self, exc: BaseException) -> str | None:
        """One sentence naming the store that raised ``exc`` and what to do; None when it is no store fault."""
        if not is_database_error(exc):
            return None
        line = explain(exc, self._store_url(exc))
        return line[0].upper() + line[1:] + "."

    @contextmanager
    def _writing(self, thread_id: str, wait: float) -> Iterator[None]:
        """Hold the conversation's writer lock (``graph/writer_lock.py``) for what is inside; ``ThreadBusy`` after
        ``wait`` seconds of another writer holding it."""
        with ExitStack() as held:
            try:
                held.enter_context(self.writers.hold(thread_id, wait))
            except LockTimeout:
                raise ThreadBusy(BUSY) from None
            yield

    def _send(
        self,
        thread_id: str,
        text: str,
        on_event,
        cancel: threading.Event | None,
        user: str | None,
        role: str | None = None,
    ) -> TurnResult:
        config = self._config(thread_id)
        user, role = user or self.acting_user, role or self.role
        with tracing.turn(thread_id, user, getattr(self.model, "name", "?")) as span:
            result, history, asked = self._run_turn(thread_id, text, config, on_event, cancel)
            try:
                if result.saved:
                    result.check = after_turn(self, thread_id, result, span, user, history, role, asked)
                else:  # shown but not yet in the checkpoint: the decision is on record all the same
                    record_turn(self, thread_id, result, user, role, history, asked, None)
            except Exception as exc:  # an observability fault never costs the underwriter a turn
                log.warning("online check of conversation %s failed: %s: %s", thread_id, type(exc).__name__, exc)
            if result.saved and not result.stopped:
                self._refer(thread_id, result, user, role)
        return result

    def _refer(self, thread_id: str, result: TurnResult, user: str, role: str) -> None:
        """Refer what is beyond the user's authority; a fault says so in the turn rather than passing in silence."""
        try:
            found = determinations(result.steps, result.records)
            result.referrals = refer_turn(
                self, thread_id, result.message_id, found, user, role, lines=result.referral_lines
            )
        except Exception as exc:
            log.exception("referral of conversation %s failed", thread_id)
            result.notices.append(prompts.REFERRAL_FAILED.format(problem=self._problem(exc) or type(exc).__name__))

    def _run_turn(
        self, thread_id: str, text: str, config: dict, on_event, cancel: threading.Event | None
    ) -> tuple[TurnResult, list[dict], list[tuple[str, str]]]:
        """The turn, the conversation's events so far and its underwriter messages (id, text), in order."""
        streamed: list[dict] = []
        asked_id = str(uuid.uuid4())
        asked = HumanMessage(text, id=asked_id)
        turn: dict[str, object] = {asked_id: asked}  # every message of the turn, by id, as the nodes returned them
        stopped = False
        # The state as the graph streams it, first with the question and last after the turn's last step: the
        # turn's events and messages without reading the stored thread back (a read replays its whole history).
        first: dict | None = None
        after: dict = {}
        try:
            # one statement; it also finds a thread deleted since this process saw it (by another process)
            if not self.threads.touch(thread_id, title_if_new=title_from_message(text)):
                raise ThreadNotFound(f"no conversation with id {thread_id!r}")
            self._save_unsaved(thread_id)
            flag = _STOP.set(cancel)  # seen by the model's token callback inside the graph's worker threads
            try:
                for mode, item in self.graph.stream(
                    {"messages": [asked]}, config, stream_mode=["custom", "updates", "values"], durability="sync"
                ):
                    if mode == "custom":
                        if cancel is not None and cancel.is_set():
                            stopped = True
                            break  # closing the stream ends the run; the checkpoint holds the last finished step
                        streamed.append(item)
                        if on_event:
                            on_event(item)
                        continue
                    if mode == "values":
                        first, after = first or item, item
                        continue
                    for update in item.values():  # each node's update: keep the turn in hand until it is saved
                        for m in (update or {}).get("messages", []) if isinstance(update, dict) else []:
                            m.id = m.id or str(uuid.uuid4())
                            turn[m.id] = m
            except TurnStopped:
                stopped = True
            finally:
                _STOP.reset(flag)
            if stopped:
                stopped = self._close_stopped_turn(config)
            if stopped or first is None:  # the repair wrote after the stream: read the thread back
                after = self.graph.get_state(config).values
        except Exception as exc:
            problem = self._problem(exc)
            if problem is None:
                raise
            if not any(isinstance(m, AIMessage) and not m.tool_calls for m in turn.values()):
                if not self._stored(config, asked_id):
                    raise MessageNotSent(problem.rstrip(".")) from None
            return self._unsaved_turn(thread_id, streamed, list(turn.values()), problem), [], [(asked_id, text)]
        events = after.get("events", [])[len((first or after).get("events", [])) :]
        messages = after.get("messages", [])
        at = next((i for i in range(len(messages) - 1, -1, -1) if messages[i].id == asked_id), len(messages))
        new_messages = messages[at + 1 :]
        final = next((m for m in reversed(new_messages) if isinstance(m, AIMessage) and not m.tool_calls), None)
        steps = [e for e in events if e["type"] == "tool"]
        findings = recorded(steps)
        # A message's reading depends on the question our answer before it asked and on its own turn's tool calls,
        # nothing earlier: the messages since the underwriter's message before it are read, not the whole thread.
        since = next(
            (
                i + 1
                for i in range(at - 1, -1, -1)
                if isinstance(messages[i], HumanMessage) and kind(messages[i]) != "guard_correction"
            ),
            0,
        )
        readings = self._readings(messages[since:]).get(asked_id, [])
        result = TurnResult(
            answer=final.text if final else "",
            message_id=final.id if final else None,
            steps=steps,
            finding=findings[-1] if findings else None,
            findings=findings,
            readings=readings,
            notices=meta(final).get("notices", []) if final else [],
            error=final.text if final is not None and kind(final) == "error" else None,
            events=events,
            stopped=stopped,
        )
        return result, after.get("events", []), _asked_messages(after.get("messages", []))

    def _stored(self, config: dict, message_id: str) -> bool:
        """Whether the checkpoint holds the message (unreadable: no, so the underwriter sends it again)."""
        try:
            return any(m.id == message_id for m in self.graph.get_state(config).values.get("messages", []))
        except Exception:
            return False

    def _close_stopped_turn(self, config: dict) -> bool:
        """After a stop, leave the thread as if the turn had ended: every tool call answered (with a "stopped"
        result and its step event, so steps stay paired with calls) and a closing note. Returns False when the
        turn had already finished."""
        from graph import prompts

        snapshot = self.graph.get_state(config)
        last = (snapshot.values.get("messages") or [None])[-1]
        if not snapshot.next and isinstance(last, AIMessage) and not last.tool_calls:
            return False  # the answer was complete before the stop took effect
        # Repair from the saved state without the pending writes of a step cut short (update_state drops them, but
        # the state shows them: messages live in a delta channel, and the raw checkpoint holds only a delta).
        pending = {
            m.id
            for task in snapshot.tasks
            if isinstance(task.result, dict)
            for m in task.result.get("messages") or []
            if getattr(m, "id", None)
        }
        messages = [m for m in snapshot.values.get("messages") or [] if m.id is None or m.id not in pending]
        answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
        last = messages[-1] if messages else None
        dangling = [c for c in last.tool_calls if c["id"] not in answered] if isinstance(last, AIMessage) else []
        if dangling:
            result = {"error": "stopped by the underwriter before this tool ran"}
            self.graph.update_state(
                config,
                {
                    "messages": [
                        ToolMessage(json.dumps(result), tool_call_id=c["id"], name=c["name"], status="error")
                        for c in dangling
                    ],
                    "events": tuple(  # events are written as tuples (graph/state.py)
                        {
                            "type": "tool",
                            "tool": c["name"],
                            "tool_call_id": c["id"],
                            "arguments": c["args"],
                            "ok": False,
                            "error_kind": "stopped",
                            "duration_ms": 0.0,
                            "guard": [],
                            "result": result,
                        }
                        for c in dangling
                    ),
                },
                as_node="tools",
            )
        self.graph.update_state(
            config,
            {
                "messages": [AIMessage(prompts.STOPPED, additional_kwargs={"uwc": {"kind": "stopped"}})],
                "events": ({"type": "stopped"},),
            },
            as_node="answer_guard",
        )
        return True

    def _unsaved_turn(self, thread_id: str, streamed: list[dict], messages: list, problem: str):
        """A store failed during the turn: return what was done (the answer, its steps) and keep it to save later."""
        final = next((m for m in reversed(messages) if isinstance(m, AIMessage) and not m.tool_calls), None)
        steps = [e for e in streamed if e.get("type") == "tool"]
        findings = recorded(steps)
        if final is not None:
            self._unsaved[thread_id] = (messages, steps)
            self._save_unsaved(thread_id, quiet=True, attempts=1)
        saved = thread_id not in self._unsaved
        note = problem if final is None else f"{problem} {'Saved after a retry.' if saved else UNSAVED_NOTE}"
        return TurnResult(
            answer=final.content if final is not None and isinstance(final.content, str) else "",
            message_id=final.id if final is not None else None,
            steps=steps,
            finding=findings[-1] if findings else None,
            findings=findings,
            notices=([*meta(final).get("notices", []), note] if final is not None else [note]),
            error=None if saved and final is not None else note,
            events=streamed,
            saved=saved and final is not None,
        )

    def _save_unsaved(self, thread_id: str, quiet: bool = False, attempts: int = SAVE_RETRIES) -> None:
        """Write the part of a turn a store fault kept from the checkpoint (as the turn's end), retrying a little.

        Checkpoints are written while the next step runs, so any suffix of the turn may be missing: every message
        and tool event not yet in the checkpoint is appended, in order."""
        pending = self._unsaved.get(thread_id)
        if pending is None:
            return
        messages, steps = pending
        config = self._config(thread_id)
        for attempt in range(attempts):
            try:
                state = self.graph.get_state(config).values
                known = {e.get("tool_call_id") for e in state.get("events", []) if e.get("type") == "tool"}
                events = [e for e in steps if e.get("tool_call_id") not in known]
                saved_ids = {m.id for m in state.get("messages", [])}
                missing = [m for m in messages if m.id not in saved_ids]
                if missing or events:
                    self.graph.update_state(
                        config, {"messages": missing, "events": tuple(events)}, as_node="answer_guard"
                    )
                self._unsaved.pop(thread_id, None)
                return
            except Exception as exc:
                if database_problem(exc) is None or (attempt == attempts - 1 and not quiet):
                    raise
                if attempt < attempts - 1:
                    time.sleep(0.2 * (attempt + 1))

    def save_pending(self) -> list[str]:
        """Save every answer a store fault kept back (a process about to end has no next message to save it with);
        returns the conversations whose answer is still unsaved."""
        for thread_id in list(self._unsaved):
            try:
                with self._writing(thread_id, self.settings.thread_wait):
                    self._save_unsaved(thread_id)
            except Exception as exc:
                log.warning("saving the answer kept back in conversation %s failed: %s", thread_id, exc)
        return list(self._unsaved)

    def history(self, thread_id: str) -> list[dict]:
        """The conversation for display: underwriter and copilot messages, each answer with its tool steps."""
        with self._naming_stores():
            return self._history(thread_id)

    def _history(self, thread_id: str) -> list[dict]:
        self.threads.get(thread_id)
        if thread_id in self._unsaved:
            try:
                with self._writing(thread_id, 0):
                    self._save_unsaved(thread_id, quiet=True)
            except Exception:  # locked, or a turn is writing: the answer stays pending, the history shows what is saved
                pass
        values = self.graph.get_state(self._config(thread_id)).values
        events = [e for e in values.get("events", []) if e["type"] == "tool"]
        checks = self.checks.by_message(thread_id)
        # Steps pair with their calls by tool_call_id: a call that never ran (a crash mid-turn) has no step, and
        # the steps after it still land on the right answer. Events from before ids were recorded pair in order.
        by_id: dict[str, deque] = {}
        for e in events:
            if e.get("tool_call_id"):
                by_id.setdefault(e["tool_call_id"], deque()).append(e)  # ids may repeat across turns
        unpaired = [e for e in events if not e.get("tool_call_id")]
        out: list[dict] = []
        steps: list[dict] = []
        step_index = 0
        readings = self._readings(values.get("messages", []))
        read: list = []
        company: str | None = None  # the applicant's name, once the conversation has it
        for m in values.get("messages", []):
            if isinstance(m, HumanMessage):
                if kind(m) == "guard_correction":
                    continue
                out.append({"role": "user", "content": m.content, "id": m.id})
                steps, read = [], readings.get(m.id or "", [])
            elif isinstance(m, AIMessage) and m.tool_calls:
                for call in m.tool_calls:
                    call_id = call.get("id") or ""
                    if by_id.get(call_id):
                        steps.append(by_id[call_id].popleft())
                    elif step_index < len(unpaired):
                        steps.append(unpaired[step_index])
                        step_index += 1
            elif isinstance(m, AIMessage):
                findings = recorded(steps)
                finding = findings[-1] if findings else None
                company = named_in(steps) or company
                out.append(
                    {
                        "role": "assistant",
                        "content": m.content,
                        "id": m.id,
                        "steps": steps,
                        "finding": finding,
                        "findings": findings,
                        "company": company,
                        "readings": read,
                        "check": checks[m.id][-1] if finding and m.id and checks.get(m.id) else None,
                        "checks": _aligned(checks.get(m.id or "") or [], findings),
                        "notices": meta(m).get("notices", []),
                        "kind": kind(m),
                        "referral_id": meta(m).get("referral_id"),
                    }
                )
                steps, read = [], []
            elif isinstance(m, ToolMessage):
                continue
        messages = values.get("messages", [])
        mark_stale(out, {messages[i].id for i in self._subjects.read(messages).subject_starts if i < len(messages)})
        return out

    def usage(self, thread_id: str) -> dict:
        """Model calls, tokens and cost of a conversation so far; ``estimated`` when any call's usage was
        counted by us because the server sent none."""
        values = self.graph.get_state(self._config(thread_id)).values
        calls = [e for e in values.get("events", []) if e["type"] == "model"]
        return {
            "calls": len(calls),
            "input_tokens": sum(e.get("input_tokens") or 0 for e in calls),
            "output_tokens": sum(e.get("output_tokens") or 0 for e in calls),
            "cost_usd": round(sum(e.get("cost_usd") or 0.0 for e in calls), 6),
            "estimated": any(e.get("estimated") for e in calls),
        }

    def _readings(self, messages: list) -> dict[str, list]:
        """Each underwriter message's readings, by id; a message is read once per text and question (kept)."""
        return readback.by_message(messages, self.toolkit.ctx.catalog, self._read_cache)

    def known_facts(self, thread_id: str) -> dict:
        """What the copilot has established so far: the facts read from the underwriter's messages as they are sent
        (graph/readback.py), the tool calls' and the findings' facts; the latest message's readings count last, so a
        fact just stated or corrected shows at once, before any tool uses it."""
        self.threads.get(thread_id)
        values = self.graph.get_state(self._config(thread_id)).values
        facts: dict = {}
        # from the message that began talk of this applicant: another business in the same thread starts afresh
        messages = values.get("messages", [])[self._subjects.read(values.get("messages", [])).subject_at :]
        supposed = readback.supposed_calls(messages, self.toolkit.ctx.catalog)  # a what-if's figures are no facts
        calls = {c["id"] for m in messages if isinstance(m, AIMessage) for c in m.tool_calls} - supposed
        readings = self._readings(messages)
        latest = list(readings.values())[-1] if readings else []
        for read in readings.values():
            facts.update({r.fact: r.value for r in read if not r.unknown})
        for e in values.get("events", []):
            if e["type"] != "tool" or not e["ok"] or e.get("tool_call_id") not in calls:
                continue
            facts.update({k: v for k, v in e["arguments"].items() if k in FACT_KEYS})
            if e["tool"] == "record_finding" and isinstance(e["arguments"].get("facts"), dict):
                # facts a finding records that no tool takes (no rule decides on them yet)
                facts.update(
                    {k: v for k, v in e["arguments"]["facts"].items() if k in FACT_KEYS and k not in TOOL_FACTS}
                )
            app = applicant_of(e)
            if app:  # (a closest name of another business is no fact: "Maple Street Dental" is not "Clever Smile")
                facts.update({"company": app["company_name"], "naics": app["naics_code"], "state": app["state"]})
        for r in latest:
            if r.unknown:
                facts.pop(r.fact, None)  # said not to be known: whatever stood before is not a fact any more
            else:
                facts[r.fact] = r.value
        return facts

    def close(self) -> None:
        self.checkpointer.conn.close()  # a SQLite connection or a PostgreSQL pool
        self.store.close()
        self.records.close()
        self.checks.close()
        self.writers.close()
