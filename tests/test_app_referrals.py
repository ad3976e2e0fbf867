"""The Referrals page, the referral card in the conversation and Disagree on the finding card, driven headless with
``AppTest`` as signed-in demo users (a junior who refers, two seniors who decide) over the offline model."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app.auth import hash_password
from tests.rendered import plain
from tests.test_app import APP, checked, data_dir, markdown, messages, send  # noqa: F401

pytestmark = pytest.mark.integration

USERS = ",".join(
    f"{name}:{role}:{hash_password(name + '-pw')}"
    for name, role in (("alice", "junior"), ("bob", "junior"), ("sam", "senior"), ("tom", "senior"))
)
REFERRED = ("Is NAICS 722511 in Texas in appetite for property? revenue 3M", "no idea on construction")


def kinds(copilot) -> list[str]:
    """The kinds of the decision records written so far, in order."""
    return [r.kind for r in copilot.records.records()]


@pytest.fixture
def copilot(data_dir, monkeypatch):  # noqa: F811
    """The pages' own copilot (one per process, as served) with demo sign-in."""
    from app import resources

    monkeypatch.setenv("UWC_AUTH", "demo")
    monkeypatch.setenv("UWC_AUTH_USERS", USERS)
    cp = resources.copilot()
    return cp


def referred(copilot, user: str = "alice"):
    """A conversation of ``user`` (a junior) whose Qualified hospitality-property determination was referred."""
    me = copilot.as_user(user, name=user, role="junior")
    thread = me.new_thread()
    for text in REFERRED:
        result = me.send(thread.id, text)
    assert result.referrals, result.answer
    return thread.id, result.referrals[0]


def sign_in(name: str, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query)
    checked(at.run())
    at.text_input(key="signin-name").input(name)
    at.text_input(key="signin-password").input(f"{name}-pw")
    return checked(next(b for b in at.button if b.label == "Sign in").click().run())


def open_referrals(at: AppTest, **query) -> AppTest:
    at.query_params.clear()
    at.query_params.update(query)
    at.switch_page("views/referrals.py")
    return checked(at.run())


def shown(at: AppTest) -> str:
    return "\n".join(
        [markdown(at), *(c.value for c in at.caption), *(i.value for i in at.info), *(w.value for w in at.warning)]
    )


def page_links(at: AppTest) -> str:
    return " ".join(f"{link.proto.label} {link.proto.page} ?{link.proto.query_string}" for link in at.get("page_link"))


def decide_buttons(at: AppTest) -> list[str]:
    return [b.key for b in at.button if b.key in ("referral-approve", "referral-decline", "referral-return")]


def test_a_junior_sees_their_referral_and_its_card_but_no_decide_buttons(copilot):
    thread, ref = referred(copilot)
    alice = sign_in("alice", thread=thread)
    card = messages(alice, "assistant")[-1]
    assert f"Referred to a senior underwriter ({ref.id})" in card
    assert "Waiting for a senior" in card  # the live status
    assert f"referral={ref.id}" in page_links(alice)  # a link to the Referrals page, in this tab

    open_referrals(alice)
    assert f"referral={ref.id}" in page_links(alice)
    assert "UWC_AUTH=demo" not in shown(alice)  # signed in: no need to say how to sign in
    open_referrals(alice, referral=ref.id)
    assert not decide_buttons(alice) and not alice.error
    text = shown(alice)
    assert "Referrals are decided by a senior or admin underwriter" in text
    assert "hospitality business" in plain(text)  # why it was referred

    bob = open_referrals(sign_in("bob"), referral=ref.id)  # another junior: as if it did not exist
    assert any("no referral" in w.value for w in bob.warning) and ref.id not in markdown(bob)


def test_a_senior_reads_the_memo_and_approves_and_a_decided_referral_is_not_decided_again(copilot):
    thread, ref = referred(copilot)
    sam = open_referrals(sign_in("sam"))
    assert "Waiting for a decision (1)" in markdown(sam)
    tom = open_referrals(sign_in("tom"), referral=ref.id)  # a second senior with the same referral open

    open_referrals(sam, referral=ref.id)
    text = markdown(sam)
    assert "(guidelines?section=authority-levels)" in text  # why it was referred, linked
    assert "(guidelines?section=property-qualified)" in text  # the rules applied, linked as in the chat
    assert "the building's construction" in text  # what is missing
    # the facts with their source: the underwriter's own words
    assert (
        "| Revenue | \\$3,000,000 | the underwriter wrote “Is NAICS 722511 in Texas in appetite for property? revenue 3M” |"
        in text
    )
    assert decide_buttons(sam) == ["referral-approve", "referral-decline", "referral-return"]

    checked(sam.button(key="referral-decline").click().run())  # a decline needs a reason: one line
    assert [e.value for e in sam.error] == ["A decline needs a reason"]
    assert copilot.referrals.store.get(ref.id).status == "pending"

    sam.text_area(key=f"referral-note-{ref.id}").input("Fine for a restaurant in TX.")
    checked(sam.button(key="referral-approve").click().run())
    assert copilot.referrals.store.get(ref.id).status == "approved"
    assert "Approved" in markdown(sam) and not decide_buttons(sam)
    assert "Fine for a restaurant in TX." in "\n".join(i.value for i in sam.info)
    assert kinds(copilot)[-1] == "approval"

    tom.text_area(key=f"referral-note-{ref.id}").input("No: too big a risk.")
    checked(tom.button(key="referral-decline").click().run())  # the page was stale: refused in one line
    assert [e.value for e in tom.error] == [f"{ref.id} was already approved by sam"]
    assert copilot.referrals.store.get(ref.id).status == "approved"

    alice = sign_in("alice", thread=thread)  # the conversation was told, and the card reads the live status
    assert "Senior decision on" in messages(alice, "assistant")[-1]
    assert messages(alice, "assistant")[-2].count("Approved") == 1


def test_a_returned_referral_is_answered_by_the_junior_and_goes_back_to_the_queue(copilot):
    thread, ref = referred(copilot)
    sam = open_referrals(sign_in("sam"), referral=ref.id)
    sam.text_area(key=f"referral-note-{ref.id}").input("What is the building made of?")
    checked(sam.button(key="referral-return").click().run())
    assert copilot.referrals.store.get(ref.id).status == "returned"
    assert "Waiting for alice to answer the question." in shown(sam)

    alice = open_referrals(sign_in("alice"))
    assert "sam: What is the building made of?" in shown(alice)  # her list shows the question
    open_referrals(alice, referral=ref.id)
    assert "What is the building made of?" in "\n".join(i.value for i in alice.info)
    alice.text_area(key=f"referral-answer-{ref.id}").input("Masonry, built 1990.")
    checked(alice.button(key="referral-send-answer").click().run())
    assert copilot.referrals.store.get(ref.id).status == "pending"
    assert "Masonry, built 1990." in "\n".join(i.value for i in alice.info)

    open_referrals(sam)
    assert "Waiting for a decision (1)" in markdown(sam)


def test_disagree_on_the_finding_card_records_and_refers_the_override(copilot):
    alice = sign_in("alice")
    send(alice, "Is Harbor Point Lodge LLC in appetite for property?")  # not in appetite: within her authority
    key = next(t.key for t in alice.text_input if (t.key or "").startswith("override-")).removesuffix("-verdict")

    alice.text_input(key=f"{key}-verdict").input("In appetite")
    checked(alice.button(key=f"FormSubmitter:{key}-Refer the override").click().run())
    assert [e.value for e in alice.error] == ["An override needs a reason"]

    alice.text_input(key=f"{key}-verdict").input("In appetite")
    alice.text_area(key=f"{key}-reason").input("The lodge was rebuilt in masonry in 2019.")
    checked(alice.button(key=f"FormSubmitter:{key}-Refer the override").click().run())
    assert "override" in kinds(copilot) and "referral" in kinds(copilot)
    ref = copilot.referrals.store.list(requested_by="alice")[0]
    assert ref.kind == "override" and ref.memo["override"]["verdict"] == "In appetite"
    card = messages(alice, "assistant")[-1]  # the new line shows, as a referral card
    assert f"Override referred to a senior underwriter ({ref.id})" in card and "Waiting for a senior" in card

    sam = open_referrals(sign_in("sam"), referral=ref.id)
    assert any("Override requested" in w.value and "masonry in 2019" in w.value for w in sam.warning)


def test_notes_answers_and_overrides_written_as_markdown_are_plain_text(copilot):
    from graph.refer import override
    from tests.rendered import links_and_images
    from tests.test_app_markup import EVIL, EVIL_URLS

    thread, _ = referred(copilot)
    me = copilot.as_user("alice", name="alice", role="junior")
    answer = next(m for m in me.history(thread) if m.get("finding"))
    ref = override(me, thread, answer["id"], verdict=EVIL, reason=EVIL + EVIL_URLS, user="alice", role="junior")
    copilot.referrals.decide(ref.id, "return", user="sam", role="senior", note=EVIL + EVIL_URLS)
    copilot.referrals.answer(ref.id, user="alice", text=EVIL + "\n\n# heading" + EVIL_URLS)

    for name in ("sam", "alice"):
        at = open_referrals(sign_in(name), referral=ref.id)
        assert "Evil" in shown(at) and links_and_images(at) == [], name
    alice = sign_in("alice", thread=thread)
    assert "Evil" in messages(alice, "assistant")[-1]
    assert links_and_images(alice) == []


def test_a_seniors_override_is_recorded_without_a_referral(copilot):
    sam = sign_in("sam")
    send(sam, "Is Harbor Point Lodge LLC in appetite for property?")
    key = next(t.key for t in sam.text_input if (t.key or "").startswith("override-")).removesuffix("-verdict")
    sam.text_input(key=f"{key}-verdict").input("Qualified")
    sam.text_area(key=f"{key}-reason").input("Sprinklered since 2021.")
    checked(sam.button(key=f"FormSubmitter:{key}-Record the override").click().run())
    assert "Override recorded by sam" in messages(sam, "assistant")[-1]
    assert "Override recorded." in "\n".join(i.value for i in sam.info)
    assert kinds(copilot)[-1] == "override" and not copilot.referrals.store.list()


def test_without_sign_in_the_page_says_how_to_sign_in_as_a_senior(data_dir):  # noqa: F811
    from tests.test_app import run

    at = open_referrals(run())
    assert "UWC_AUTH=demo" in shown(at) and "You have no referrals" in shown(at) and not decide_buttons(at)


def test_a_decision_the_conversation_missed_is_told_when_a_senior_opens_the_queue(copilot, monkeypatch):
    thread_id, ref = referred(copilot)
    with monkeypatch.context() as busy:
        busy.setattr(copilot, "post", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("conversation busy")))
        copilot.referrals.decide(ref.id, "approve", user="tom", role="senior", note=None)
    assert copilot.referrals.waiting_on(ref.id) == ("close",)
    open_referrals(sign_in("sam"))
    assert copilot.referrals.waiting_on(ref.id) == ()
    told = [m for m in copilot.history(thread_id) if m.get("kind") == "referral_decision"]
    assert len(told) == 1 and "approved by tom" in told[0]["content"]
