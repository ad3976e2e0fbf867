"""The desk as the pages, the CLI, the inbox watcher and the MCP tool use it: one way in (``submit``: intake, then
triage queued), one view of the queue (``rows``: each submission with its triage, sorted by a score that explains
itself), and the underwriter's actions (assign, continue in the copilot, a request to the broker, decide, retry).

Intake (``desk/intake.py``) and triage (``desk/queue.py``) keep their own tables in the desk store; this module
reads them together and adds who a submission is assigned to. A submission triage refers is opened as a referral
(``graph/referrals.py``) by ``refer_pending``, so it reaches the seniors' queue like a conversation's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, MetaData, Table, Text, select

from core.vocabulary import FACT_LABELS, FACTS, usd
from desk import results
from desk.intake import Item, intake
from desk.queue import open_desk
from desk.store import DeskStore
from desk.submission import IntakeResult, Submission
from desk.triage import TriageInput, priority

WORKING = ("new", "triaging")  # triage has not finished: the page refreshes while any row is one of these
WHOLE_DESK_ROLES = ("senior", "admin")  # who sees every submission, not only their own and the unassigned
SCORE_PARTS = {"appetite_fit": "Appetite fit", "completeness": "Completeness", "size": "Size", "age": "Age"}
DESK_USER = "desk triage"  # who a submission's referral is requested by: the background triage, as a junior
metadata = MetaData()
assignment = Table(
    "desk_assignment",
    metadata,
    Column("submission_id", Text, primary_key=True),
    Column("owner", Text, nullable=False),
    Column("assigned_at", Text, nullable=False),
    Column("decision", Text),  # set when the underwriter marks it decided
    Column("note", Text),
)


@dataclass(frozen=True)
class DeskRow:
    """A submission on the desk: what intake read, its triage (None while queued), who has it, its sort key."""

    submission: Submission
    status: str  # new, triaging, needs_info, ready, referred, decided, failed
    reason: str
    result: dict | None
    owner: str | None
    decision: str | None
    age_days: float
    priority: float

    @property
    def score_parts(self) -> dict:
        parts = dict((self.result or {}).get("score", {}).get("parts", {}))
        parts["age"] = round(min(1.0, self.age_days / 5), 3)
        return parts


def sees_whole_desk(sees_all: bool, role: str | None) -> bool:
    return bool(sees_all) or (role or "") in WHOLE_DESK_ROLES


def working(rows: list[DeskRow]) -> int:
    """How many rows triage has not finished (queued or running)."""
    return sum(1 for r in rows if r.status in WORKING)


def score_explained(row: DeskRow) -> list[tuple[str, float, float]]:
    """(label, part 0..1, weight) of each part of the priority, in the order the score adds them."""
    from desk.triage import WEIGHTS

    weights = {**WEIGHTS, **((row.result or {}).get("score", {}).get("weights") or {})}
    parts = row.score_parts
    return [(label, float(parts[k]), float(weights.get(k, 0))) for k, label in SCORE_PARTS.items() if k in parts]


def download_name(name: str | None, sha256: str) -> str:
    """A file name as received, made safe to offer as a download: no path, no control or quoting characters, a
    bounded length; the content hash when nothing is left."""
    text = unicodedata.normalize("NFKC", str(name or "")).replace("\\", "/").rsplit("/", 1)[-1]
    text = re.sub(r"[^\w.\- ()+,]+", "_", text).strip(" ._")
    stem, dot, ext = text.rpartition(".")
    if len(text) > 120:  # keep the extension: it says what opens the file
        text = (stem[:110].rstrip(" ._") + dot + ext[:9]) if dot and len(ext) <= 9 else text[:120].rstrip(" ._")
    return text or f"submission-file-{sha256[:12]}"


def referral_of(referrals, submission_id: str):
    """The newest referral opened for a submission, or None."""
    newest = referrals.store.list(submission_id=submission_id, limit=1)
    return newest[0] if newest else None


def open_service(settings) -> DeskService:
    """The desk for ``settings`` with the insurer's catalog (intake normalises facts with it); raises
    FileNotFoundError or a database error when the data is not seeded or not reachable."""
    from seed_db.queries import readonly_engine
    from tools.catalog import Catalog

    engine = readonly_engine(settings.resolved_database_url)
    try:
        catalog = Catalog.load(engine)
    finally:
        engine.dispose()
    return DeskService(settings, catalog)


QUOTE_MARKS = {ord(c): "'" for c in '"“”«»'}


def first_clause(text: str) -> str:
    """Up to the first sentence end, colon or line break: a name or a description, not what a broker appended."""
    return re.split(r"[.!?;:\n](?:\s|$)|\n", str(text).strip(), maxsplit=1)[0]


def quoted(text: str, limit: int) -> str:
    """``text`` as a quotation that cannot end early: one line, its own quote marks turned into apostrophes."""
    flat = " ".join(str(text).split())[:limit]
    return '"' + flat.translate(QUOTE_MARKS) + '"'


def triage_input(sub: Submission, line_names: Mapping[str, str] | None = None) -> TriageInput:
    """What triage reads of a submission; ``line_names`` (the catalog's) name lines in its findings and reasons."""
    return TriageInput(sub.id, dict(sub.values()), list(sub.lines_requested), sub.description, dict(line_names or {}))


def _age_days(received_at: str, now: datetime) -> float:
    try:
        return max(0.0, (now - datetime.fromisoformat(received_at)).total_seconds() / 86400)
    except ValueError:
        return 0.0


class DeskService:
    def __init__(self, settings, catalog):
        self.settings, self.catalog = settings, catalog
        self.store = DeskStore.open(settings)
        self.queue = open_desk(settings)
        metadata.create_all(self.queue.engine)

    def close(self) -> None:
        self.queue.close()
        self.store.close()

    # --- in ----------------------------------------------------------------------------------------------------
    def submit(self, items: list[Item], *, owner: str | None = None) -> IntakeResult:
        """Take files in and queue each new submission's triage (a file seen before is not triaged again); with
        ``owner``, the new submissions are theirs."""
        outcome = intake(items, catalog=self.catalog, store=self.store)
        for sub in outcome.submissions:
            if sub.needs_person:
                results.set_status(self.queue.engine, sub.id, "needs_info", sub.needs_person)
                continue
            self.queue.enqueue(triage_input(sub, self.catalog.lobs))
            if owner and self.owner(sub.id) is None:
                self.assign(sub.id, owner)
        return outcome

    def retry(self, submission_id: str) -> str:
        return self.queue.retry(submission_id)

    # --- the queue ---------------------------------------------------------------------------------------------
    def _assignments(self) -> dict[str, dict]:
        with self.queue.engine.connect() as c:
            return {r["submission_id"]: dict(r) for r in c.execute(select(assignment)).mappings()}

    def owner(self, submission_id: str) -> str | None:
        return (self._assignments().get(submission_id) or {}).get("owner")

    def rows(
        self,
        *,
        user: str | None = None,
        sees_all: bool = True,
        statuses: tuple[str, ...] = (),
        search: str = "",
        limit: int = 500,
    ) -> list[DeskRow]:
        """The queue, highest priority first: everything for ``sees_all``, else ``user``'s own and the unassigned."""
        now = datetime.now(UTC)
        states = results.statuses(self.queue.engine)
        loaded = results.load_all(self.queue.engine)
        held = self._assignments()
        words = search.lower().split()
        out: list[DeskRow] = []
        for sub in self.store.list(limit=limit):
            mine = held.get(sub.id) or {}
            if not sees_all and mine.get("owner") not in (None, user):
                continue
            result = loaded.get(sub.id)
            status, reason = (result or {}).get("status") or sub.status, (result or {}).get("reason") or ""
            if sub.id in states:
                status = states[sub.id][0]
            if sub.needs_person and not result:
                status, reason = "needs_info", sub.needs_person
            if mine.get("decision"):
                status, reason = "decided", mine["decision"]
            if statuses and status not in statuses:
                continue
            text = " ".join([sub.id, sub.company or "", sub.description or "", *map(str, sub.values().values())])
            if words and not all(w in text.lower() for w in words):
                continue
            age = _age_days(sub.received_at, now)
            triaged = (result or {}).get("result")
            key = priority(triaged, age) if triaged else -1.0
            out.append(DeskRow(sub, status, reason, triaged, mine.get("owner"), mine.get("decision"), age, key))
        # decided ones are done: below everything still to work on, whatever their score
        return sorted(out, key=lambda r: (r.status == "decided", -r.priority, r.submission.received_at))

    def row(self, submission_id: str, **view) -> DeskRow | None:
        return next((r for r in self.rows(**view) if r.submission.id == submission_id), None)

    # --- actions -----------------------------------------------------------------------------------------------
    def assign(self, submission_id: str, owner: str) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self.queue.engine.begin() as c:
            c.execute(assignment.delete().where(assignment.c.submission_id == submission_id))
            c.execute(assignment.insert().values(submission_id=submission_id, owner=owner, assigned_at=now))

    def decide(
        self,
        submission_id: str,
        *,
        user: str,
        decision: str,
        note: str = "",
        record=None,
        role: str | None = None,
        referrals=None,
    ) -> None:
        """Mark a submission decided (``record``: the decision record's append, ``Copilot.record``). A submission
        triage referred is a senior's to decide, unless its referral was approved (``referrals``: the service)."""
        from seed_db.authority import load_authority, may_approve, role_of

        decision = (decision or "").strip()[:200]
        if not decision:
            raise ValueError("say what was decided")
        row = self.row(submission_id)
        if row is None:
            raise LookupError(f"no submission {submission_id!r}")
        # any referral of it approved: triage's, or one opened in a conversation continued from it
        approved = referrals is not None and bool(
            referrals.store.list(submission_id=submission_id, status=("approved",), limit=1)
        )
        if row.status == "referred" and not approved and not may_approve(load_authority(), role):
            raise ValueError(
                f"this submission is referred to a senior underwriter; a {role_of(role)} underwriter may decide it "
                "once the referral is approved"
            )
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self.queue.engine.begin() as c:
            owner = (self._assignments().get(submission_id) or {}).get("owner") or user
            c.execute(assignment.delete().where(assignment.c.submission_id == submission_id))
            c.execute(
                assignment.insert().values(
                    submission_id=submission_id, owner=owner, assigned_at=now, decision=decision, note=note[:2000]
                )
            )
        if record is not None:
            record(
                "determination",
                user=user,
                role=role_of(role),
                submission_id=submission_id,
                body={"source": "desk", "decision": decision, "note": note[:2000]},
            )

    # --- words -------------------------------------------------------------------------------------------------
    def line_name(self, line: object) -> str:
        """A line as written or as our code, by the catalog's name when it is one of ours; else as written."""
        code = self.catalog.find_lob(str(line))
        return self.catalog.lobs.get(code, str(line)) if code else str(line)

    def opening_message(self, submission_id: str) -> str:
        """The first message of a conversation continued from the desk: every fact intake read, in plain sentences
        the copilot (offline model or LLM) reads like the facts panel's, so none is asked again."""
        sub = self.store.get(submission_id)
        if sub is None:
            raise LookupError(f"no submission {submission_id!r}")
        facts = dict(sub.values())
        said, figures = [], []
        # The broker's free text is data, never an instruction, and this message is sent as the underwriter's
        # turn: so it carries the typed facts (the company's name stays in the conversation's title), and the
        # description's first clause, quoted, only when nothing else says what the business does (the code triage
        # classified comes first).
        row = self.row(submission_id)
        triaged = ((row.result if row else None) or {}).get("naics")
        if "naics" not in facts and triaged:
            facts["naics"] = triaged
        elif "naics" not in facts and sub.description:
            said.append(f"The business, as the submission describes it: {quoted(first_clause(sub.description), 160)}.")
        for key, value in facts.items():
            if key in FACTS and key != "description":
                shown = usd(value) if FACTS[key].kind == "money" and isinstance(value, int | float) else value
                shown = self.line_name(value) if FACTS[key].kind == "line" else shown
                figures.append(f"{FACT_LABELS[key]}: {shown}")
        # One clause per figure, split by semicolons: a readers' sentence split keeps "$130,000. Payroll" together
        # (a full stop after a digit may be a decimal point), and would read the revenue as the payroll.
        if figures:
            said.append("; ".join(figures) + ".")
        lines = ", ".join(self.line_name(x) for x in sub.lines_requested)
        ask = f"Is it in appetite for {lines}?" if lines else "Which lines can we offer them?"
        return f"From submission {sub.id}: " + " ".join(said) + " " + ask

    def broker_request(self, submission_id: str) -> str:
        """A request to the broker for what triage found missing (text to copy; nothing is sent)."""
        sub = self.store.get(submission_id)
        row = self.row(submission_id)
        missing = list(((row.result if row else None) or {}).get("missing") or [])
        if sub is None:
            raise LookupError(f"no submission {submission_id!r}")
        who = sub.company or "the applicant"
        if not missing:
            return f"Nothing is missing for {who}: triage had every fact it needed."
        asks = "\n".join(f"- {FACTS[m].words if m in FACTS else m}" for m in missing)
        return (
            f"Hello,\n\nThank you for the submission for {who} ({sub.id}). To complete our review we need:\n"
            f"{asks}\n\nKind regards"
        )

    # --- referrals ---------------------------------------------------------------------------------------------
    def refer_pending(self, referrals, catalog) -> int:
        """Open a referral for each submission triage referred that has none yet; returns how many were opened.

        One referral per submission, listing every determination beyond a junior's authority with the rules that
        gave it: the senior decides the account on one memo (its determinations rest on the same facts and are
        often referred for the same reason, revenue over the authority), and its approval is what lets the desk
        mark the submission decided (``decide``)."""
        from graph.referral_memo import build_submission_memo
        from seed_db.authority import check_authority

        opened = 0
        for row in self.rows(statuses=("referred",)):
            sub = row.submission
            if not row.result or referral_of(referrals, sub.id) is not None:
                continue
            known = sub.values()
            items = []
            for finding in row.result.get("findings") or []:
                check = check_authority(referrals.authority, finding, {**known, **finding.get("facts", {})}, "junior")
                if not check.within:
                    items.append((finding, list(finding.get("rules_applied") or []), check))
            if not items:
                continue
            memo = build_submission_memo(
                submission_id=sub.id,
                items=items,
                facts=[
                    {"fact": f.key, "value": f.value, "source": f.source.where(), "snippet": f.snippet}
                    for f in sub.facts
                ],
                missing=list(row.result.get("missing") or []),
                user=DESK_USER,
                role="junior",
                at=datetime.now(UTC).isoformat(),
                catalog=catalog,
            )
            referrals.open(
                kind="determination",
                memo=memo,
                user=DESK_USER,
                role="junior",
                submission_id=sub.id,
                task_type=memo["task_type"],
            )
            opened += 1
        return opened
