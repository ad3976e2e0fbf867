"""The desk's service: one way in (intake, then triage on the queue), the queue read with its triage, the actions,
the watched inbox, referrals of referred submissions, and a conversation continued from a submission."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from core.settings import get_settings
from desk import results
from desk.inbox import sweep
from desk.samples import generate, load_applicants
from desk.service import DeskRow, DeskService, download_name, score_explained, sees_whole_desk, triage_input, working
from desk.submission import FileOutcome, IntakeResult, Submission
from desk.triage import run_all, toolkit_call
from graph.copilot import Copilot

EMAIL_TEXT = """From: broker@example.org
Subject: New GL submission

Applicant: Harbor Lights Diner LLC
NAICS: 722511
State: NC
Annual revenue: $1,200,000
Employees: 14
Lines requested: general liability, property
"""


@pytest.fixture
def folder(seeded, tmp_path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(seeded["dir"], d, ignore=shutil.ignore_patterns("conversations.db*", "checkpoints.db*", "desk.db*"))
    return d


@pytest.fixture
def desk(folder, catalog):
    service = DeskService(get_settings(data_dir=folder), catalog)
    yield service
    service.close()


def triaged(desk: DeskService, toolkit, submission_id: str) -> dict:
    """Triage one submission in this process, written as the engine's finish writes it (no worker needed)."""
    sub = desk.store.get(submission_id)
    result = run_all(triage_input(sub), toolkit_call(toolkit)).as_dict()
    with Session(desk.queue.engine) as session, session.begin():
        results.save_result(session, submission_id, result, "; ".join(result["referral_reasons"]))
    return result


def test_one_way_in_queues_triage_once_and_the_queue_reads_it(desk, db_toolkit):
    first = desk.submit([("broker.txt", EMAIL_TEXT.encode())], owner="ana")
    (sub,) = first.submissions
    again = desk.submit([("same-again.txt", EMAIL_TEXT.encode())])  # the same content is the same submission
    assert again.submissions[0].id == sub.id and again.outcomes[0].duplicate
    workflows = desk.queue.client.list_workflows(workflow_id_prefix=f"triage-{sub.id}")
    assert len(workflows) == 1  # queued once, to be triaged by a worker
    (row,) = desk.rows()
    assert (row.status, row.owner, row.result) == ("new", "ana", None)
    result = triaged(desk, db_toolkit, sub.id)
    (row,) = desk.rows()
    assert row.status == result["status"] and row.result["findings"] and row.priority >= 0
    assert set(row.score_parts) == {"appetite_fit", "completeness", "size", "age"}


def test_a_user_sees_their_own_and_the_unassigned(desk, applicants_and_lobs):
    applicants, lobs = applicants_and_lobs
    samples = generate(applicants, lobs, 3)
    desk.submit([(samples[0].file_name, samples[0].data)], owner="ana")
    desk.submit([(samples[1].file_name, samples[1].data)], owner="bo")
    desk.submit([(samples[2].file_name, samples[2].data)])
    owners = {r.owner for r in desk.rows(user="ana", sees_all=False)}
    assert owners == {"ana", None}
    assert {r.owner for r in desk.rows()} >= {"ana", "bo"}
    assert desk.rows(search="no-such-word-anywhere") == []


@pytest.fixture
def applicants_and_lobs(seeded):
    return load_applicants(f"sqlite:///{seeded['dir'] / 'uwc.db'}")


def test_words_for_the_underwriter_and_the_broker(desk, db_toolkit):
    (sub,) = desk.submit([("broker.txt", EMAIL_TEXT.encode())]).submissions
    triaged(desk, db_toolkit, sub.id)
    opening = desk.opening_message(sub.id)
    for said in ("722511", "NC", "$1,200,000", "14"):
        assert said in opening
    assert "Harbor Lights" not in opening  # the broker's free text stays out of the underwriter's turn
    assert "General Liability" in opening and "general_liability" not in opening  # lines by their names
    request = desk.broker_request(sub.id)
    missing = desk.row(sub.id).result["missing"]
    assert ("Nothing is missing" in request) == (not missing)
    assert "construction" in missing and "construction" in request  # property needs it; nobody sent it


def test_continuing_in_the_copilot_asks_no_fact_the_submission_gave(desk, db_toolkit, folder, toolkit):
    (sub,) = desk.submit([("broker.txt", EMAIL_TEXT.encode())]).submissions
    cp = Copilot(get_settings(data_dir=folder), toolkit=toolkit)
    try:
        thread = cp.new_thread(f"Submission {sub.id}")
        answer = cp.send(thread.id, desk.opening_message(sub.id)).answer
    finally:
        cp.close()
    asked = answer.rsplit("]", 1)[-1]  # the question after the last answer's citations
    for fact_question in ("NAICS", "Which state", "revenue?", "How many employees", "What does the business do"):
        assert fact_question not in asked, answer
    assert "in appetite for General Liability" in answer  # each line asked is answered in turn
    assert "construction" in asked  # the one fact property needs that the submission did not give


THREE_LINES = """From: broker@example.org
Subject: GL + Property + Auto

Named Insured: Ridge Auto Repair Inc
Nature of Business: general automotive repair shop
NAICS: 811111
Address: 455 Industrial Pkwy, Denver, CO 80216
Annual Revenue: $1,350,000
Employees: 8
Vehicles: 2 tow trucks
Construction: steel frame / metal building
Lines Requested: General Liability, Property, Commercial Auto

Thanks,
Pat Broker
Address: 9 Main St, Austin, TX 78701
"""


def test_a_submission_of_three_lines_is_triaged_for_each_and_the_copilot_offers_none_of_them_again(
    desk, db_toolkit, folder, toolkit
):
    (sub,) = desk.submit([("three.eml", THREE_LINES.encode())]).submissions
    values = sub.values()
    assert (values["state"], values["vehicles"]) == (
        "CO",
        2,
    ) and not sub.notes  # the applicant's address, not the broker's
    assert list(sub.lines_requested) == ["general_liability", "property", "auto"]
    result = triaged(desk, db_toolkit, sub.id)
    assert set(result["lines"]) == {"general_liability", "property", "auto"}  # each requested line is triaged
    assert "state" not in result["missing"]
    opening = desk.opening_message(sub.id)
    assert "General Liability, Property, Commercial Auto" in opening
    cp = Copilot(get_settings(data_dir=folder), toolkit=toolkit)
    try:
        thread = cp.new_thread(f"Submission {sub.id}")
        cp.send(thread.id, opening)
        answer = cp.send(thread.id, "what other lines shld we offer").answer
    finally:
        cp.close()
    assert answer.startswith("Besides General Liability, Property and Commercial Auto, we can offer: "), answer
    offered = answer.split("we can offer: ")[1].split(" — ")[0].split(", ")
    assert offered and not {"General Liability", "Property", "Commercial Auto"} & set(offered), answer


def test_deciding_is_recorded_and_shown(desk, db_toolkit):
    (sub,) = desk.submit([("broker.txt", EMAIL_TEXT.encode())]).submissions
    recorded = []
    with pytest.raises(ValueError, match="what was decided"):
        desk.decide(sub.id, user="ana", decision="  ")
    desk.decide(sub.id, user="ana", decision="Quoted GL", note="bound", record=lambda *a, **k: recorded.append((a, k)))
    row = desk.row(sub.id)
    assert (row.status, row.decision, row.owner) == ("decided", "Quoted GL", "ana")
    assert recorded[0][0] == ("determination",) and recorded[0][1]["submission_id"] == sub.id


def test_a_referred_submission_reaches_the_seniors_queue_once(desk, db_toolkit, folder, toolkit):
    big = EMAIL_TEXT.replace("$1,200,000", "$14,000,000").replace("722511", "423610").replace("NC", "GA")
    (sub,) = desk.submit([("big.txt", big.encode())]).submissions
    assert triaged(desk, db_toolkit, sub.id)["status"] == "referred"
    cp = Copilot(get_settings(data_dir=folder), toolkit=toolkit)
    try:
        assert desk.refer_pending(cp.referrals, cp.toolkit.ctx.catalog) == 1
        assert desk.refer_pending(cp.referrals, cp.toolkit.ctx.catalog) == 0
        (ref,) = cp.referrals.store.list()
        assert (ref.submission_id, ref.status, ref.requested_by) == (sub.id, "pending", "desk triage")
        assert any("10,000,000" in t["reason"] for t in ref.memo["triggers"])
        assert all(f["source"] for f in ref.memo["facts"])
        assert cp.referrals.decide(ref.id, "approve", user="sam", role="senior", note=None).status == "approved"
        assert [r.kind for r in cp.records.records(submission_id=sub.id)] == ["referral", "approval"]
    finally:
        cp.close()


FOUR_REFERRED = (  # revenue over a junior's authority: each requested line's appetite and the other lines
    EMAIL_TEXT.replace("$1,200,000", "$14,000,000")
    .replace("722511", "423610")
    .replace("NC", "GA")
    .replace("general liability, property", "property, general liability, workers compensation")
)


def test_a_submissions_referral_lists_every_determination_referred_with_the_rules_applied_to_each(
    desk, db_toolkit, folder, toolkit
):
    (sub,) = desk.submit([("big.txt", FOUR_REFERRED.encode())]).submissions
    result = triaged(desk, db_toolkit, sub.id)
    assert len(result["referral_reasons"]) == 4
    cp = Copilot(get_settings(data_dir=folder), toolkit=toolkit)
    try:
        assert desk.refer_pending(cp.referrals, cp.toolkit.ctx.catalog) == 1  # one for the account
        (ref,) = cp.referrals.store.list(submission_id=sub.id)
    finally:
        cp.close()
    items = ref.memo["determinations"]
    assert [(d["task_type"], d["question"]) for d in items] == [
        ("appetite", "Appetite check — Property"),
        ("appetite", "Appetite check — General Liability"),
        ("appetite", "Appetite check — Workers Compensation"),
        ("product_recommendation", "Other lines to offer"),
    ]
    for item in items:
        assert [t["rule"] for t in item["triggers"]] == ["revenue-over-authority"]
        assert item["rules"] and all(r.get("detail") and r.get("section") for r in item["rules"]), item
    # each appetite determination carries its own chain (the one check_appetite ran for that line) ...
    chains = {d["question"]: [r["rule"] for r in d["rules"]] for d in items if d["task_type"] == "appetite"}
    assert all({"small_business", "appetite_guide"} <= set(rules) for rules in chains.values()), chains
    # ... and the other lines, each line recommend_lobs weighed
    other = items[-1]["rules"]
    assert {r["rule"] for r in other} >= {"line_bop", "line_cyber"} and {r["outcome"] for r in other} <= {
        "yes",
        "no",
        "unknown",
        "refer",
    }
    assert ref.memo["case"][1] == "Questions: " + "; ".join(d["question"] for d in items)
    assert f"submission {sub.id}" in ref.memo["case"][0]
    # the triage result the submission's page shows carries the same chains
    assert [f["rules_applied"] for f in result["findings"] if f["task_type"] == "appetite"] == [
        [{"tool": "check_appetite", **r} for r in d["rules"]] for d in items[:3]
    ]


def test_the_inbox_takes_settled_files_once_and_sets_refused_ones_aside(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "good.eml").write_bytes(b"a submission")
    (inbox / "bad.zip").write_bytes(b"PK\x03\x04 an archive")
    taken: list[str] = []

    def submit(items):
        ((name, _),) = items
        taken.append(name)
        refused = "archives are not accepted" if name.endswith(".zip") else None
        return IntakeResult((FileOutcome(name, refused=refused),))

    sizes: dict[str, int] = {}
    assert sweep(inbox, submit, sizes) == 0  # first look: sizes noted, nothing read while a file may be growing
    with (inbox / "good.eml").open("ab") as f:
        f.write(b" and more")
    assert sweep(inbox, submit, sizes) == 1  # bad.zip held still; good.eml grew and waits
    assert sweep(inbox, submit, sizes) == 1
    assert sorted(taken) == ["bad.zip", "good.eml"] and sweep(inbox, submit, sizes) == 0
    (done,) = (inbox / "done").iterdir()
    assert done.name.endswith("-good.eml")
    refused = sorted(p.name for p in (inbox / "refused").iterdir())
    assert refused[0].endswith("-bad.zip") and refused[1].endswith("-bad.zip.reason.txt")
    assert (inbox / "refused" / refused[1]).read_text().strip() == "archives are not accepted"


# --- the Desk page's helpers ------------------------------------------------------------------------------
SHA = "ab" * 32


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("application.pdf", "application.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\letter.pdf", "letter.pdf"),
        ('a"b;\r\nContent-Type: text/html.eml', "html.eml"),
        ("report\u202egpj.exe", "report_gpj.exe"),
        ("...", "submission-file-abababababab"),
        ("", "submission-file-abababababab"),
        ("x" * 300 + ".pdf", "x" * 110 + ".pdf"),
        ("y" * 300, "y" * 120),
    ],
)
def test_download_names_are_safe(name, safe):
    assert download_name(name, SHA) == safe


def row(status: str, result: dict | None = None, age: float = 0.0) -> DeskRow:
    sub = Submission(id="sub-1", received_at="2026-01-01T00:00:00+00:00", kind="text", files=(), text=(), facts=())
    return DeskRow(sub, status, "", result, None, None, age, 0.0)


def test_the_score_is_explained_part_by_part_with_its_weight():
    result = {"score": {"total": 0.7, "parts": {"appetite_fit": 1.0, "completeness": 0.5, "size": 0.25}}}
    assert score_explained(row("ready", result, age=2.5)) == [
        ("Appetite fit", 1.0, 0.4),
        ("Completeness", 0.5, 0.2),
        ("Size", 0.25, 0.2),
        ("Age", 0.5, 0.2),
    ]


def test_who_sees_the_whole_desk_and_what_is_still_triaging():
    assert sees_whole_desk(False, "senior") and sees_whole_desk(False, "admin") and sees_whole_desk(True, "junior")
    assert not sees_whole_desk(False, "junior")
    assert working([row("new"), row("triaging"), row("ready"), row("failed")]) == 2


def test_a_referred_submission_is_a_seniors_to_decide_until_approved(desk, db_toolkit, folder, toolkit):
    big = EMAIL_TEXT.replace("$1,200,000", "$14,000,000").replace("722511", "423610").replace("NC", "GA")
    (sub,) = desk.submit([("big.txt", big.encode())]).submissions
    triaged(desk, db_toolkit, sub.id)
    cp = Copilot(get_settings(data_dir=folder), toolkit=toolkit)
    try:
        desk.refer_pending(cp.referrals, cp.toolkit.ctx.catalog)
        with pytest.raises(ValueError, match="referred to a senior"):
            desk.decide(sub.id, user="ana", role="junior", decision="Quoted", referrals=cp.referrals)
        (ref,) = cp.referrals.store.list()
        cp.referrals.decide(ref.id, "approve", user="sam", role="senior", note=None)
        desk.decide(sub.id, user="ana", role="junior", decision="Quoted", referrals=cp.referrals, record=cp.record)
        assert desk.row(sub.id).status == "decided"
        assert [r.role for r in cp.records.records(submission_id=sub.id)][-1] == "junior"
    finally:
        cp.close()


def test_the_inbox_never_follows_a_link_reads_past_the_limit_or_stalls_on_one_file(tmp_path, monkeypatch):
    import desk.inbox

    inbox, outside = tmp_path / "inbox", tmp_path / "secret.env"
    inbox.mkdir()
    outside.write_text("DB_PASSWORD=hunter2")
    (inbox / "a-link.eml").symlink_to(outside)
    (inbox / "b-locked.eml").write_bytes(b"abc")
    (inbox / "c-huge.pdf").write_bytes(b"x" * 10)
    (inbox / "d-fine.txt").write_bytes(b"fine")
    monkeypatch.setattr(desk.inbox, "MAX_FILE_BYTES", 5)  # c-huge (10 bytes) is over it, like a 600 MB file
    seen: list[bytes] = []

    def submit(items):
        ((name, data),) = items
        seen.append(data)
        return IntakeResult((FileOutcome(name),))

    real_open = desk.inbox.os.open

    def locked(path, flags, *a):
        if str(path).endswith("b-locked.eml"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *a)

    monkeypatch.setattr(desk.inbox.os, "open", locked)
    sizes: dict[str, int] = {}
    sweep(inbox, submit, sizes)  # sizes noted
    sweep(inbox, submit, sizes)
    assert b"DB_PASSWORD=hunter2" not in seen and seen == [b"fine"]  # the locked file did not stop d-fine
    assert (inbox / "b-locked.eml").exists()  # waits for its permissions
    reasons = {p.name.split("-", 1)[1]: p.read_text() for p in (inbox / "refused").glob("*.reason.txt")}
    assert "links are not followed" in reasons["a-link.eml.reason.txt"]
    assert "over" in reasons["c-huge.pdf.reason.txt"]
    assert outside.read_text() == "DB_PASSWORD=hunter2"


def test_a_conversation_continued_from_a_submission_refers_it_and_its_approval_frees_the_desk(
    desk, db_toolkit, folder, toolkit
):
    big = EMAIL_TEXT.replace("$1,200,000", "$14,000,000").replace("722511", "423610").replace("NC", "GA")
    (sub,) = desk.submit([("big.txt", big.encode())]).submissions
    assert triaged(desk, db_toolkit, sub.id)["status"] == "referred"
    cp = Copilot(get_settings(data_dir=folder), toolkit=toolkit)
    try:
        thread = cp.new_thread(f"Submission {sub.id}", applicant_id=sub.id)  # as the Desk page opens it
        refs = cp.send(thread.id, desk.opening_message(sub.id)).referrals
        refs += cp.send(thread.id, "no idea on construction").referrals
        ref = refs[0]  # revenue over a junior's authority
        assert ref.submission_id == sub.id and f"submission {sub.id}" in ref.memo["case"][0]
        cp.referrals.decide(ref.id, "approve", user="sam", role="senior", note=None)
        desk.decide(sub.id, user="ana", role="junior", decision="Quoted", referrals=cp.referrals)
        assert desk.row(sub.id).status == "decided"
    finally:
        cp.close()


def test_a_submission_already_with_a_senior_is_not_referred_again_from_the_copilot(desk, db_toolkit, folder, toolkit):
    big = EMAIL_TEXT.replace("$1,200,000", "$14,000,000").replace("722511", "423610").replace("NC", "GA")
    (sub,) = desk.submit([("big.txt", big.encode())]).submissions
    assert triaged(desk, db_toolkit, sub.id)["status"] == "referred"
    cp = Copilot(get_settings(data_dir=folder), toolkit=toolkit)
    try:
        assert desk.refer_pending(cp.referrals, db_toolkit.ctx.catalog) == 1  # the desk's own referral
        (first,) = cp.referrals.store.list(submission_id=sub.id)
        thread = cp.new_thread(f"Submission {sub.id}", applicant_id=sub.id)  # as the Desk page opens it
        refs = cp.send(thread.id, desk.opening_message(sub.id)).referrals
        refs += cp.send(thread.id, "no idea on construction").referrals
        assert refs == [] and [r.id for r in cp.referrals.store.list(submission_id=sub.id)] == [first.id]
        assert any(first.id in m["content"] for m in cp.history(thread.id) if m.get("kind") == "referral")
    finally:
        cp.close()
