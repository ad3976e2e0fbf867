"""``Copilot``: the one object the CLI, the Streamlit app, replays and the evaluation harness talk to.

It wires settings to parts (toolkit, model, checkpointer, thread store, graph), runs a turn with streamed
events, and reads a thread back for display. All of it is testable without Streamlit.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from core.faults import database_problem
from core.redact import install_log_redaction, redact
from core.settings import Settings
from graph import prompts
from graph.build import RECURSION_LIMIT, build_graph
from graph.state import kind, meta
from graph.threads import ThreadStore, open_checkpointer

MAX_MESSAGE_CHARS = 8000
SAVE_RETRIES = 3  # after the store's own busy wait: a few short retries to save an answer a lock kept back
UNSAVED_NOTE = "This answer is shown but not saved yet; it is saved with your next message."


class InputRejected(ValueError):
    """The underwriter's message cannot be sent; the message says why and what is allowed."""


@dataclass
class TurnResult:
    answer: str
    message_id: str | None
    steps: list[dict] = field(default_factory=list)  # tool events of this turn
    finding: dict | None = None  # recorded during this turn
    notices: list[str] = field(default_factory=list)
    error: str | None = None
    events: list[dict] = field(default_factory=list)
    saved: bool = True  # False: a store fault kept the answer from the checkpoint (it is saved on the next turn)


def make_model(settings: Settings, catalog, model: str | None = None):
    """The model for a settings value: the offline rules model, or any litellm model string."""
    name = model or settings.model
    if name == "offline":
        from graph.offline import OfflineRulesModel

        return OfflineRulesModel(catalog)
    from graph.cassette import Cassette
    from graph.llm import LiteLLMModel

    cassette = None
    if settings.replay:
        cassette = Cassette(settings.replay, "replay")
    elif settings.record:
        cassette = Cassette(settings.record, "record")
    return LiteLLMModel(name, api_base=settings.api_base, fallback_model=settings.fallback_model, cassette=cassette)


def model_label(model) -> str:
    return prompts.OFFLINE_LABEL if not getattr(model, "is_llm", False) else f"LLM: {model.name}"


class Copilot:
    def __init__(self, settings: Settings, model=None, toolkit=None):
        from tools.context import open_context
        from tools.registry import Toolkit

        install_log_redaction()
        self.settings = settings
        self.toolkit = toolkit or Toolkit(open_context(settings.data_dir, settings.embedding_model, settings.api_base))
        self.model = model or make_model(settings, self.toolkit.ctx.catalog)
        self.checkpointer = open_checkpointer(settings.checkpoint_path)
        self.threads = ThreadStore(settings.data_dir / "conversations.db")
        self.graph = build_graph(self.model, self.toolkit, self.checkpointer)
        self._unsaved: dict[str, tuple[list, list[dict]]] = {}  # turns a store fault kept from the checkpoint

    @property
    def label(self) -> str:
        return model_label(self.model)

    def _config(self, thread_id: str) -> dict:
        return {"configurable": {"thread_id": thread_id}, "recursion_limit": RECURSION_LIMIT}

    def new_thread(self, title: str = "New conversation", applicant_id: str | None = None):
        return self.threads.create(title, getattr(self.model, "name", None), applicant_id)

    def send(self, thread_id: str, text: str, on_event: Callable[[dict], None] | None = None) -> TurnResult:
        """Run one underwriter turn; streamed events go to ``on_event`` as they happen."""
        text = redact((text or "").strip())  # a key pasted into a message is not stored
        if not text:
            raise InputRejected("the message is empty")
        if len(text) > MAX_MESSAGE_CHARS:
            raise InputRejected(f"the message has {len(text):,} characters; the limit is {MAX_MESSAGE_CHARS:,}")
        self.threads.get(thread_id)  # raises ThreadNotFound
        config = self._config(thread_id)
        streamed: list[dict] = []
        asked_id = str(uuid.uuid4())
        asked = HumanMessage(text, id=asked_id)
        turn: dict[str, object] = {asked_id: asked}  # every message of the turn, by id, as the nodes returned them
        try:
            self._save_unsaved(thread_id)
            before = self.graph.get_state(config).values
            n_events = len(before.get("events", []))
            n_messages = len(before.get("messages", []))
            self.threads.touch(thread_id, title_if_new=text[:80])
            for mode, item in self.graph.stream({"messages": [asked]}, config, stream_mode=["custom", "updates"]):
                if mode == "custom":
                    streamed.append(item)
                    if on_event:
                        on_event(item)
                    continue
                for update in item.values():  # each node's update: keep the turn in hand until it is saved
                    for m in (update or {}).get("messages", []) if isinstance(update, dict) else []:
                        m.id = m.id or str(uuid.uuid4())
                        turn[m.id] = m
            after = self.graph.get_state(config).values
            self.threads.touch(thread_id)
        except Exception as exc:
            problem = database_problem(exc, self.settings.data_dir)
            if problem is None:
                raise
            return self._unsaved_turn(thread_id, streamed, list(turn.values()), problem)
        events = after.get("events", [])[n_events:]
        new_messages = after.get("messages", [])[n_messages:]
        final = next((m for m in reversed(new_messages) if isinstance(m, AIMessage) and not m.tool_calls), None)
        steps = [e for e in events if e["type"] == "tool"]
        finding = next((e["result"] for e in reversed(steps) if e["tool"] == "record_finding" and e["ok"]), None)
        return TurnResult(
            answer=final.text if final else "",
            message_id=final.id if final else None,
            steps=steps,
            finding=finding,
            notices=meta(final).get("notices", []) if final else [],
            error=final.text if final is not None and kind(final) == "error" else None,
            events=events,
        )

    def _unsaved_turn(self, thread_id: str, streamed: list[dict], messages: list, problem: str):
        """A store failed during the turn: return what was done (the answer, its steps) and keep it to save later."""
        final = next((m for m in reversed(messages) if isinstance(m, AIMessage) and not m.tool_calls), None)
        steps = [e for e in streamed if e.get("type") == "tool"]
        finding = next((e["result"] for e in reversed(steps) if e["tool"] == "record_finding" and e["ok"]), None)
        if final is not None:
            self._unsaved[thread_id] = (messages, steps)
            self._save_unsaved(thread_id, quiet=True, attempts=1)
        saved = thread_id not in self._unsaved
        note = problem if final is None else f"{problem} {'Saved after a retry.' if saved else UNSAVED_NOTE}"
        return TurnResult(
            answer=final.content if final is not None and isinstance(final.content, str) else "",
            message_id=final.id if final is not None else None,
            steps=steps,
            finding=finding,
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
                    self.graph.update_state(config, {"messages": missing, "events": events}, as_node="answer_guard")
                self._unsaved.pop(thread_id, None)
                return
            except Exception as exc:
                if database_problem(exc) is None or (attempt == attempts - 1 and not quiet):
                    raise
                if attempt < attempts - 1:
                    time.sleep(0.2 * (attempt + 1))

    def history(self, thread_id: str) -> list[dict]:
        """The conversation for display: underwriter and copilot messages, each answer with its tool steps."""
        self.threads.get(thread_id)
        try:
            self._save_unsaved(thread_id, quiet=True)
        except Exception:  # still locked: the answer stays pending and the history shows what is saved
            pass
        values = self.graph.get_state(self._config(thread_id)).values
        events = [e for e in values.get("events", []) if e["type"] == "tool"]
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
        for m in values.get("messages", []):
            if isinstance(m, HumanMessage):
                if kind(m) == "guard_correction":
                    continue
                out.append({"role": "user", "content": m.content, "id": m.id})
                steps = []
            elif isinstance(m, AIMessage) and m.tool_calls:
                for call in m.tool_calls:
                    call_id = call.get("id") or ""
                    if by_id.get(call_id):
                        steps.append(by_id[call_id].popleft())
                    elif step_index < len(unpaired):
                        steps.append(unpaired[step_index])
                        step_index += 1
            elif isinstance(m, AIMessage):
                finding = next(
                    (s["result"] for s in reversed(steps) if s["tool"] == "record_finding" and s["ok"]), None
                )
                out.append(
                    {
                        "role": "assistant",
                        "content": m.content,
                        "id": m.id,
                        "steps": steps,
                        "finding": finding,
                        "notices": meta(m).get("notices", []),
                        "kind": kind(m),
                    }
                )
                steps = []
            elif isinstance(m, ToolMessage):
                continue
        return out

    def known_facts(self, thread_id: str) -> dict:
        """What the copilot has established so far: the facts of the latest finding and tool calls."""
        values = self.graph.get_state(self._config(thread_id)).values
        facts: dict = {}
        for e in values.get("events", []):
            if e["type"] != "tool" or not e["ok"]:
                continue
            args = {
                k: v
                for k, v in e["arguments"].items()
                if k
                in (
                    "naics",
                    "state",
                    "lob",
                    "annual_revenue",
                    "employees",
                    "annual_payroll",
                    "vehicles",
                    "construction",
                )
            }
            facts.update(args)
            app = e["result"].get("applicant") if isinstance(e["result"], dict) else None
            if app:
                facts.update({"company": app["company_name"], "naics": app["naics_code"], "state": app["state"]})
        return facts

    def close(self) -> None:
        self.checkpointer.conn.close()
        self.threads.conn.close()
