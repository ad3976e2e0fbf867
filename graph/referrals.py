"""Referrals: a determination beyond the underwriter's authority waits for a senior underwriter.

Each referral is a row of ``referral`` in the conversations store (the queue the pages list) and a run of the
referral flow (``graph/referral_flow.py``), which pauses on LangGraph's ``interrupt`` until a senior decides, in the
checkpointer, so the wait survives restarts and holds across replicas. Deciding is a compare-and-set on the row's
status (only one decision wins, a decided referral is never decided again) followed by resuming the flow, which
tells the conversation. Who may decide comes from the authority data (``seed_db/authority.py``), never from the
page: a junior, or the author of the referral, is refused here whatever the request says.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, MetaData, Table, Text, select
from sqlalchemy.engine import Engine

from core.database import one_statement
from core.redact import redact
from seed_db.authority import Authority, may_approve, role_of

log = logging.getLogger("uwc.referrals")

STATUSES = ("pending", "returned", "approved", "declined")
OPEN = ("pending", "returned")
ACTIONS = {"approve": "approved", "decline": "declined", "return": "returned"}
MAX_NOTE = 2000

metadata = MetaData()
referral = Table(
    "referral",
    metadata,
    Column("id", Text, primary_key=True),
    Column("thread_id", Text),
    Column("submission_id", Text),
    Column("message_id", Text),  # the answer whose determination is referred
    Column("kind", Text, nullable=False),  # determination or override
    Column("task_type", Text),
    Column("status", Text, nullable=False),
    Column("requested_by", Text, nullable=False),
    Column("requested_role", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    Column("decided_by", Text),
    Column("decided_role", Text),
    Column("decided_at", Text),
    Column("note", Text),  # the senior's reason, or the question when returned
    Column("reply", Text),  # the junior's answer to a returned referral
    Column("memo", Text, nullable=False),  # JSON: the memo the senior reads (graph/referral_memo.py)
)


class ReferralError(ValueError):
    """A decision that cannot be taken; the message says why in one line."""


class NotAllowed(ReferralError):
    pass


class AlreadyDecided(ReferralError):
    pass


class ReferralNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Referral:
    id: str
    thread_id: str | None
    submission_id: str | None
    message_id: str | None
    kind: str
    task_type: str | None
    status: str
    requested_by: str
    requested_role: str
    created_at: str
    updated_at: str
    decided_by: str | None
    decided_role: str | None
    decided_at: str | None
    note: str | None
    reply: str | None
    memo: dict

    @property
    def open(self) -> bool:
        return self.status in OPEN


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _referral(row) -> Referral:
    values = dict(row)
    values["memo"] = json.loads(values["memo"] or "{}")
    return Referral(**values)


def _clean_note(note: str | None) -> str | None:
    note = redact((note or "").strip())[:MAX_NOTE]
    return note or None


class ReferralStore:
    """The referral rows, on the conversations store's engine (its migrations create the table)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def create(self, **values: Any) -> Referral:
        now = _now()
        rid = "R-" + uuid.uuid4().hex[:10]
        row = dict(values, id=rid, status="pending", created_at=now, updated_at=now)
        row["memo"] = json.dumps(row.get("memo") or {}, default=str)
        with self.engine.begin() as c:
            c.execute(referral.insert().values(**row))
        return self.get(rid)

    def get(self, referral_id: str) -> Referral:
        with self.engine.connect() as c:
            row = c.execute(select(referral).where(referral.c.id == str(referral_id))).mappings().first()
        if row is None:
            raise ReferralNotFound(f"no referral with id {referral_id!r}")
        return _referral(row)

    def list(
        self,
        *,
        status: tuple[str, ...] | None = None,
        requested_by: str | None = None,
        thread_id: str | None = None,
        submission_id: str | None = None,
        limit: int = 200,
    ) -> list[Referral]:
        q = select(referral).order_by(referral.c.created_at.desc()).limit(limit)
        if status:
            q = q.where(referral.c.status.in_(status))
        if requested_by is not None:
            q = q.where(referral.c.requested_by == requested_by)
        if thread_id is not None:
            q = q.where(referral.c.thread_id == thread_id)
        if submission_id is not None:
            q = q.where(referral.c.submission_id == submission_id)
        with one_statement(self.engine) as c:
            return [_referral(r) for r in c.execute(q).mappings()]

    def discard(self, referral_id: str) -> None:
        """Remove a referral that never opened (its record could not be written)."""
        with self.engine.begin() as c:
            c.execute(referral.delete().where(referral.c.id == referral_id, referral.c.status == "pending"))

    def move(self, referral_id: str, from_status: tuple[str, ...], to_status: str, **values: Any) -> bool:
        """Compare-and-set: the row goes to ``to_status`` only if it is still in ``from_status``; False if not."""
        stmt = (
            referral.update()
            .where(referral.c.id == referral_id, referral.c.status.in_(from_status))
            .values(status=to_status, updated_at=_now(), **values)
        )
        with self.engine.begin() as c:
            return c.execute(stmt).rowcount == 1


class Referrals:
    """Open, decide and answer referrals. ``flow`` is the compiled referral flow; ``record`` appends a decision
    record (``graph/records.py``) and returns its hash; ``tell`` posts a line into a conversation."""

    def __init__(
        self,
        store: ReferralStore,
        authority: Authority,
        flow,
        record: Callable[..., str | None],
    ):
        self.store = store
        self.authority = authority
        self.flow = flow
        self.record = record

    @staticmethod
    def _config(referral_id: str) -> dict:
        return {"configurable": {"thread_id": f"referral-{referral_id}"}}

    def open(
        self,
        *,
        kind: str,
        memo: dict,
        user: str,
        role: str | None,
        thread_id: str | None = None,
        submission_id: str | None = None,
        message_id: str | None = None,
        task_type: str | None = None,
    ) -> Referral:
        """A new referral, waiting for a senior: its row, its record and its flow paused on the senior's decision."""
        ref = self.store.create(
            thread_id=thread_id,
            submission_id=submission_id,
            message_id=message_id,
            kind=kind,
            task_type=task_type,
            requested_by=user,
            requested_role=role_of(role),
            memo=memo,
        )
        try:
            self.record(
                "referral",
                user=user,
                role=role_of(role),
                thread_id=thread_id,
                submission_id=submission_id,
                referral_id=ref.id,
                body={"kind": kind, "task_type": task_type, "message_id": message_id, "memo": memo},
            )
        except Exception:  # a referral exists only with its record: the turn says it could not be opened
            self.store.discard(ref.id)
            raise
        self.flow.invoke({"referral_id": ref.id, "rounds": []}, self._config(ref.id))
        return ref

    def decide(self, referral_id: str, action: str, *, user: str, role: str | None, note: str | None) -> Referral:
        """A senior's decision: ``approve``, ``decline`` or ``return`` (with a question). Refused, in one line, for a
        role without the authority, for the referral's own author, and for a referral already decided."""
        ref = self.store.get(referral_id)
        if action not in ACTIONS:
            raise ReferralError(f"the decision is one of {', '.join(ACTIONS)}, not {action!r}")
        if not may_approve(self.authority, role):
            raise NotAllowed(f"a {role_of(role)} underwriter cannot decide referrals; a senior underwriter must")
        if user == ref.requested_by:
            raise NotAllowed("nobody decides their own referral; another senior underwriter must")
        note = _clean_note(note)
        if action in ("decline", "return") and not note:
            raise ReferralError("a decline needs a reason" if action == "decline" else "a return needs a question")
        status = ACTIONS[action]
        decided = dict(decided_by=user, decided_role=role_of(role), decided_at=_now(), note=note)
        if not self.store.move(ref.id, ("pending",), status, **decided):
            now = self.store.get(ref.id)
            if now.status == "returned":
                raise AlreadyDecided(f"{ref.id} is waiting for the underwriter's answer to {now.decided_by}'s question")
            raise AlreadyDecided(f"{ref.id} was already {now.status} by {now.decided_by}")
        try:
            self.record(
                {"approved": "approval", "declined": "decline", "returned": "return"}[status],
                user=user,
                role=role_of(role),
                thread_id=ref.thread_id,
                submission_id=ref.submission_id,
                referral_id=ref.id,
                body={"decision": status, "note": note, "requested_by": ref.requested_by, "memo": ref.memo},
            )
        except Exception as exc:  # a decision is taken only with its record: put the referral back as it was
            undone = dict(decided_by=None, decided_role=None, decided_at=None, note=None)
            self.store.move(ref.id, (status,), "pending", **undone)
            raise ReferralError(f"the decision could not be recorded ({type(exc).__name__}); it was not taken") from exc
        self._resume(ref.id, {"action": action, "status": status, "by": user, "note": note})
        return self.store.get(ref.id)

    def answer(self, referral_id: str, *, user: str, text: str) -> Referral:
        """The underwriter's answer to a returned referral: it goes back to the senior queue."""
        ref = self.store.get(referral_id)
        if user != ref.requested_by:
            raise NotAllowed("only the underwriter who referred it answers a returned referral")
        reply = _clean_note(text)
        if not reply:
            raise ReferralError("the answer is empty")
        if not self.store.move(ref.id, ("returned",), "pending", reply=reply):
            raise AlreadyDecided(f"{ref.id} is {self.store.get(ref.id).status}, not waiting for an answer")
        self.record(  # the referral again, now with the answer to the senior's question
            "referral",
            user=user,
            role=ref.requested_role,
            thread_id=ref.thread_id,
            submission_id=ref.submission_id,
            referral_id=ref.id,
            body={"kind": ref.kind, "answer": reply, "question": ref.note, "question_by": ref.decided_by},
        )
        self._resume(ref.id, {"action": "answer", "by": user, "note": reply})
        return self.store.get(ref.id)

    def _resume(self, referral_id: str, value: dict) -> None:
        from langgraph.types import Command

        try:
            self.flow.invoke(Command(resume=value), self._config(referral_id))
        except Exception as exc:  # the decision stands (row and record); `finish_stalled` tells the conversation
            log.warning("referral %s: the flow did not finish: %s: %s", referral_id, type(exc).__name__, exc)

    def waiting_on(self, referral_id: str) -> tuple[str, ...]:
        """The flow's next steps: ("senior",) or ("junior",) while it waits, () once it has finished."""
        return tuple(self.flow.get_state(self._config(referral_id)).next)

    def finish_stalled(self) -> int:
        """Resume flows whose referral was decided but whose flow did not finish (a crash between the two, or a
        conversation that was busy); returns how many were finished."""
        done = 0
        for ref in self.store.list(status=("approved", "declined", "returned")):
            nxt = self.waiting_on(ref.id)
            if not nxt or (ref.status == "returned" and nxt == ("junior",)):
                continue
            action = {"approved": "approve", "declined": "decline", "returned": "return"}[ref.status]
            value = {"action": action, "status": ref.status, "by": ref.decided_by, "note": ref.note}
            if nxt == ("senior",):
                self._resume(ref.id, value)
            else:
                self.flow.invoke(None, self._config(ref.id))
            done += 1
        return done
