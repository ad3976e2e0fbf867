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
from tests.rendered import active_markup, links_and_images, plain, shown_markdown
from tests.test_app import APP, checked, data_dir, markdown, messages  # noqa: F401
from tests.test_app_referrals import sign_in

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
    accepted = f"Accepted: {email.file_name} as submission {sub.id} — triage queued"
    text = plain(alerts(at))
    assert accepted in text
    assert "Refused: spaces.txt — " in text and "no text" in text
    table = at.dataframe[0].value
    assert list(table["Company"]) == [sub.company] and list(table["Id"]) == [sub.id]
    assert list(table["Owner"]) == ["local"]  # what you upload is yours
    assert "1 of 1 triaging" in "\n".join(c.value for c in at.caption)  # queued: the page refreshes
    # Triage finishes and the page runs again (as its refresh does once nothing is triaging): the line stays, so
    # it is there to read whenever the worker is quick; it goes when dismissed.
    triaged(desk, sub.id)
    checked(at.run())
    assert accepted in plain(alerts(at)) and not any("triaging" in c.value for c in at.caption)
    checked(next(b for b in at.button if b.label == "Dismiss").click().run())
    assert accepted not in plain(alerts(at))


def test_the_same_file_again_says_which_submission_it_already_is(desk, samples):
    letter = next(s for s in samples if s.kind == "email_text")
    sub_id = submitted(desk, letter.file_name, letter.data)
    at = open_desk()
    at.file_uploader[0].set_value([("again.eml", letter.data, "message/rfc822")])
    checked(next(b for b in at.button if b.label == "Send to triage").click().run())
    assert f"Already on the desk: again.eml is submission {sub_id}" in plain(alerts(at))


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

    decidable, referred = None, None
    for sample in (s for s in samples if s.kind in ("letter_pdf", "email_form")):
        sid = submitted(desk, sample.file_name, sample.data)
        status = triaged(desk, sid)["status"]
        if status == "referred":
            referred = referred or sid
        else:
            decidable = decidable or sid
    assert decidable and referred
    at = open_desk(submission=referred)  # the local user is a junior: a referred submission is a senior's
    at.selectbox(key="desk-decision").set_value("Decline")
    checked(next(b for b in at.button if b.label == "Mark decided").click().run())
    assert desk.row(referred).status == "referred"
    assert "referred to a senior underwriter" in "\n".join(e.value for e in at.error)
    at = open_desk(submission=decidable)
    at.selectbox(key="desk-decision").set_value("Decline")
    at.text_area(key="desk-note").input("Outside appetite: see the findings.")
    checked(next(b for b in at.button if b.label == "Mark decided").click().run())
    row = desk.row(decidable)
    assert row.status == "decided" and row.decision == "Decline"
    assert "Decided: **Decline**" in "\n".join(c.value for c in at.caption)
    records = [r for r in resources.copilot().records.records() if r.kind == "determination"]
    assert records and records[-1].body["decision"] == "Decline"


def test_markdown_and_html_in_a_submission_stay_plain(desk):
    sid = submitted(desk, "note **bold** <i>.txt", HOSTILE.encode())
    triaged(desk, sid)
    for at in (open_desk(), open_desk(submission=sid)):
        assert links_and_images(at) == []
        assert "# heading" not in "\n".join(shown_markdown(at)).splitlines()
    text = plain(markdown(at))
    assert "**Bold** <b>Inc</b> [click](http://evil.example)" in text
    assert "<script>alert(1)</script>" in text
    assert [plain(b.label) for b in at.download_button] == [f"note _bold_ _i_.txt ({len(HOSTILE.encode())} bytes)"]
    assert active_markup(at.download_button[0].label) == []


@pytest.mark.parametrize("value", ["x` [a](http://evil.example) `y", "<img src=x>"])
def test_a_markdown_submission_parameter_is_plain_text_in_the_warning(desk, value):
    at = open_desk(submission=value)
    assert any("no submission" in w.value for w in at.warning) and links_and_images(at) == []


def test_signed_in_a_junior_sees_theirs_and_the_unassigned_and_a_senior_may_see_everything(desk, samples, monkeypatch):
    from app.auth import hash_password

    users = ",".join(f"{n}:{r}:{hash_password(n + '-pw')}" for n, r in (("alice", "junior"), ("sam", "senior")))
    monkeypatch.setenv("UWC_AUTH", "demo")
    monkeypatch.setenv("UWC_AUTH_USERS", users)
    from app import resources

    resources.settings.clear()  # the settings were read before sign-in was switched on
    singles = [s for s in samples if not s.kind.startswith("list_")]
    ids = {
        owner: submitted(desk, s.file_name, s.data, owner)
        for owner, s in zip(("alice", "bob", None), singles[:3], strict=True)
    }

    def shown_ids(at: AppTest) -> set[str]:
        return set(at.dataframe[0].value["Id"])

    def on_desk(name: str, **query) -> AppTest:
        at = sign_in(name, **query)
        at.switch_page("views/desk.py")
        return checked(at.run())

    alice = on_desk("alice")
    assert shown_ids(alice) == {ids["alice"], ids[None]} and not alice.get("button_group")
    sam = on_desk("sam")
    assert shown_ids(sam) == {ids[None]}  # his own and the unassigned, first
    sam.get("button_group")[0].set_value("Everything").run()
    assert shown_ids(checked(sam)) == set(ids.values())
    bob_s = on_desk("alice", submission=ids["bob"])
    assert any("no submission" in w.value for w in bob_s.warning)


def test_a_submission_referred_for_four_determinations_is_one_memo_with_each_and_its_rules(desk, monkeypatch):
    from app.auth import hash_password
    from app.ui.referral import PAGE_FILE
    from tests.test_desk_service import FOUR_REFERRED

    monkeypatch.setenv("UWC_AUTH", "demo")
    monkeypatch.setenv("UWC_AUTH_USERS", f"sam:senior:{hash_password('sam-pw')}")
    from app import resources

    resources.settings.clear()  # the settings were read before sign-in was switched on
    sub_id = submitted(desk, "big.txt", FOUR_REFERRED.encode())
    triaged(desk, sub_id)
    sam = sign_in("sam", submission=sub_id)
    sam.switch_page("views/desk.py")
    page = markdown(checked(sam.run()))  # opening the desk opens the referral
    assert page.count("**Rules applied**") >= 4  # each finding card shows the rules that gave it
    (ref,) = resources.copilot().referrals.store.list(submission_id=sub_id)
    sam.query_params.clear()
    sam.query_params.update(referral=ref.id)
    sam.switch_page(PAGE_FILE)
    memo = plain(markdown(checked(sam.run())))
    assert "Determinations referred (4)" in memo and "No rule chain recorded" not in memo
    for question in ("Property", "General Liability", "Workers Compensation"):
        assert f"Appetite check — {question}" in memo
    assert "Other lines to offer" in memo and "Small-business test" in memo and "Appetite guide" in memo
    assert "Business Owner's Policy" in memo  # a line the other lines weighed, as its rule


def test_the_queue_columns_fit_beside_the_sidebar_and_give_names_their_room(seeded):
    """Every column of the queue is seen whole on a 1,400-pixel window: the widths add up to the main column, and the
    longest applicant name and line name fit theirs (a try-out found names, lines and ids cut)."""
    import sqlite3
    from types import SimpleNamespace

    from app.ui.desk import CHAR_PX, COLUMN_WIDTHS, TABLE_WIDTH, table_rows

    row = SimpleNamespace(
        status="ready", submission=SimpleNamespace(company="A", id="SUB-0"), result={"lines": ["property"]},
        priority=0.5, reason="", age_days=1.0, owner=None,
    )  # fmt: skip
    assert list(table_rows([row])[0]) == list(COLUMN_WIDTHS)  # a width for every column, none for a gone one
    assert sum(COLUMN_WIDTHS.values()) <= TABLE_WIDTH
    with sqlite3.connect(seeded["db"]) as db:
        names = [n for (n,) in db.execute("SELECT company_name FROM applicant")]
        lines = [n for (n,) in db.execute("SELECT display_name FROM line_of_business")]
    padding = 16
    assert max(map(len, names)) * CHAR_PX + padding <= COLUMN_WIDTHS["Company"]
    assert max(map(len, lines)) * CHAR_PX + padding <= COLUMN_WIDTHS["Lines"]


def test_every_requested_line_is_in_the_queue_cell_and_the_facts_table(seeded, desk):
    """A submission of several lines shows each of them (a try-out saw "General Liability, Property," cut off in the
    queue and only the first line among the facts)."""
    import sqlite3
    from itertools import combinations
    from types import SimpleNamespace

    from app.ui.desk import COLUMN_WIDTHS, fact_rows, fits, lines_cell

    with sqlite3.connect(seeded["db"]) as db:
        names = [n for (n,) in db.execute("SELECT display_name FROM line_of_business")]
    for n in range(1, 6):  # up to five lines: every one is named, in full or by its initials, and the cell fits
        for combo in combinations(names, n):
            cell = lines_cell(list(combo))
            assert fits(cell, "Lines") and "+" not in cell and len(cell.split(",")) == n, cell
    assert lines_cell(["Property", "Cyber"]) == "Property, Cyber"  # in full when it fits
    assert lines_cell(["General Liability", "Property", "Commercial Auto"]) == "GL, Property, CA"
    assert (
        lines_cell(["Workers Compensation", "General Liability", "Business Owner's Policy", "Cyber"])
        == "WC, GL, BOP, Cyber"
    )
    assert fits(lines_cell(names), "Lines") and COLUMN_WIDTHS["Lines"] > 0  # all six still fit, the last counted

    lob = SimpleNamespace(key="lob", value="general_liability")
    sub = SimpleNamespace(facts=[lob], lines_requested=("general_liability", "property", "auto"))
    [(label, shown, fact)] = fact_rows(sub)
    assert (label, fact) == ("lobs", lob) and shown == "General Liability, Property, Commercial Auto"
