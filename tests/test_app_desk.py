"""The Desk page, driven headless with ``AppTest`` over the seeded data and the offline model: an upload becomes a
row, a triaged submission shows its facts with their sources, its findings and what is missing, it continues in the
copilot without a fact asked again, it is marked decided, and hostile text stays plain. Triage is put in place
without DBOS (``desk.triage.run_all`` then ``results.save_result``), as the worker would write it."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from core.vocabulary import FACTS
from desk import results
from desk.samples import generate, load_applicants
from desk.service import triage_input
from desk.triage import run_all, toolkit_call
from tests.rendered import active_markup, plain
from tests.test_app import APP, checked, data_dir, markdown, messages  # noqa: F401

pytestmark = pytest.mark.integration
HOSTILE = (
    "Applicant Name: **Bold** <b>Inc</b> [click](http://evil.example) ![x](http://evil.example/x.png)\n"
    "NAICS: 722511\nState: TX\nAnnual Revenue: $900,000\nEmployees: 12\n"
    "Nature of Business: # heading <script>alert(1)</script> a family restaurant\n"
    "Lines Requested: general liability\n"
)


@pytest.fixture
def desk(data_dir):  # noqa: F811
    """The pages' own desk service and copilot (one per process, as served)."""
    from app import resources

    return resources.desk()


@pytest.fixture(scope="module")
def samples(seeded):
    applicants, lobs = load_applicants(seeded["db"])
    return generate(applicants, lobs, count=5)


def triaged(desk, sub_id: str) -> dict:
    """Triage one submission in this process and store its result where the worker would."""
    from app import resources

    result = run_all(triage_input(desk.store.get(sub_id)), toolkit_call(resources.copilot().toolkit)).as_dict()
    with Session(desk.queue.engine) as s, s.begin():
        results.save_result(s, sub_id, result)
    return result


def submitted(desk, name: str, data: bytes, owner: str | None = None) -> str:
    outcome = desk.submit([(name, data)], owner=owner)
    [sub] = outcome.submissions
    return sub.id


def open_desk(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query)
    checked(at.run())
    at.switch_page("views/desk.py")
    return checked(at.run())


def alerts(at: AppTest) -> str:
    return "\n".join([*(s.value for s in at.success), *(e.value for e in at.error), *(w.value for w in at.warning)])


def test_an_upload_becomes_a_row_and_a_refusal_is_one_line(desk, samples):
    at = open_desk()
    email = next(s for s in samples if s.kind == "email_form")
    at.file_uploader[0].set_value(
        [(email.file_name, email.data, "message/rfc822"), ("spaces.txt", b"   \n\t\n", "text/plain")]
    )
    checked(next(b for b in at.button if b.label == "Send to triage").click().run())
    [sub] = [r.submission for r in desk.rows()]
    text = plain(alerts(at))
    assert f"{email.file_name}: accepted as {sub.id}" in text
    assert "spaces.txt: refused" in text and "no text" in text
    table = at.dataframe[0].value
    assert list(table["Company"]) == [sub.company] and list(table["Id"]) == [sub.id]
    assert list(table["Owner"]) == ["local"]  # what you upload is yours
    assert "1 of 1 triaging" in "\n".join(c.value for c in at.caption)  # queued: the page refreshes


def test_a_triaged_submission_shows_facts_with_sources_findings_and_what_is_missing(desk, samples):
    email = next(s for s in samples if s.kind == "email_text")
    sid = submitted(desk, email.file_name, email.data)
    result = triaged(desk, sid)
    sub = desk.store.get(sid)
    at = open_desk(submission=sid)
    text = markdown(at)
    fact = sub.facts[0]
    assert plain(fact.source.where()) in plain(text) and plain(fact.snippet)[:30] in plain(text)
    assert text.count("**Finding** · ") == len(result["findings"]) > 0
    for m in result["missing"]:
        assert FACTS[m].words in plain(text)
    assert [plain(b.label) for b in at.download_button] == [f"{email.file_name} ({sub.files[0].size:,} bytes)"]
    assert at.download_button[0].proto.deferred_file_id  # the file as received, read when it is clicked

    assert desk.owner(sid) is None  # unassigned
    checked(at.button(key="desk-assign").click().run())
    assert desk.owner(sid) == "local"


def test_continue_in_the_copilot_asks_no_fact_the_submission_gave(desk, samples):
    email = next(s for s in samples if s.kind == "email_form")
    sid = submitted(desk, email.file_name, email.data)
    triaged(desk, sid)
    at = open_desk(submission=sid)
    checked(at.button(key="desk-continue").click().run())
    assert messages(at, "user") == [desk.opening_message(sid)]
    answer = messages(at, "assistant")[-1]
    given = desk.store.get(sid).values()
    asked = [k for k in given if k in FACTS and FACTS[k].question in answer]
    assert not asked, answer
    assert at.query_params["thread"] and "**Finding**" in markdown(at)


def test_mark_decided_records_the_decision(desk, samples):
    from app import resources

    email = next(s for s in samples if s.kind == "letter_pdf")
    sid = submitted(desk, email.file_name, email.data)
    triaged(desk, sid)
    at = open_desk(submission=sid)
    at.selectbox(key="desk-decision").set_value("Decline")
    at.text_area(key="desk-note").input("Outside appetite: see the findings.")
    checked(next(b for b in at.button if b.label == "Mark decided").click().run())
    row = desk.row(sid)
    assert row.status == "decided" and row.decision == "Decline"
    assert "Decided: **Decline**" in "\n".join(c.value for c in at.caption)
    records = [r for r in resources.copilot().records.records() if r.kind == "determination"]
    assert records and records[-1].body["decision"] == "Decline"


def test_markdown_and_html_in_a_submission_stay_plain(desk):
    sid = submitted(desk, "note **bold** <i>.txt", HOSTILE.encode())
    triaged(desk, sid)
    for at in (open_desk(), open_desk(submission=sid)):
        shown = "\n".join([markdown(at), *(c.value for c in at.caption)])
        foreign = [m for m in active_markup(shown) if not m.startswith("link guidelines?section=")]  # the app's own
        assert foreign == [], foreign
        assert "# heading" not in shown.splitlines()
    text = plain(markdown(at))
    assert "**Bold** <b>Inc</b> [click](http://evil.example)" in text
    assert "<script>alert(1)</script>" in text
    assert [plain(b.label) for b in at.download_button] == [f"note _bold_ _i_.txt ({len(HOSTILE.encode())} bytes)"]
