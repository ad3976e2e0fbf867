"""Conversations and feedback belong to a user: on both stores, through the Copilot, and in the signed-in app."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from app.auth import hash_password
from graph.threads import ThreadNotFound, ThreadStore
from tests.pg import fresh_database
from tests.test_app import APP, checked, data_dir  # noqa: F401  (fixture)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request, tmp_path):
    if request.param == "sqlite":
        s = ThreadStore(tmp_path / "conversations.db")
        yield s
        s.close()
        return
    with fresh_database() as url:
        s = ThreadStore(url)
        yield s
        s.close()


def test_a_user_sees_and_opens_only_their_own(any_store):
    alice, bob = any_store.scoped("alice"), any_store.scoped("bob")
    a = alice.create("Alice's bakery")
    b = bob.create("Bob's trucks")
    legacy = any_store.create("Made before sign-in")  # owner NULL
    assert [t.id for t in alice.list()] == [a.id]
    assert {t.id for t in any_store.list()} == {a.id, b.id, legacy.id}  # admin / local: everything
    for action in (
        lambda: bob.get(a.id),
        lambda: bob.rename(a.id, "mine now"),
        lambda: bob.delete(a.id),
        lambda: bob.add_feedback(a.id, "m1", 1),
        lambda: alice.get(legacy.id),
    ):
        with pytest.raises(ThreadNotFound):
            action()
    assert not bob.exists(a.id) and alice.exists(a.id)
    assert not bob.touch(a.id, "mine now") and alice.touch(a.id) and any_store.get(a.id).title == "Alice's bakery"
    assert bob.feedback(a.id) == {} and bob.feedback(None) == {}
    alice.add_feedback(a.id, "m1", -1, "wrong limit")
    alice.add_feedback(a.id, "m1", 1)  # changes its mind: one row, updated
    assert alice.feedback(a.id) == {"m1": {"rating": 1, "comment": None}}
    assert any_store.get(a.id).title == "Alice's bakery" and any_store.get(a.id).owner == "alice"


def test_copilot_as_user_hides_other_conversations(toolkit, tmp_path):
    from core.settings import Settings
    from graph.copilot import Copilot

    cp = Copilot(Settings(data_dir=tmp_path), toolkit=toolkit)
    try:
        alice, bob = cp.as_user("alice"), cp.as_user("bob")
        t = alice.new_thread()
        alice.send(t.id, "What deductible for commercial auto, NAICS 484121?")
        assert alice.history(t.id)
        for action in (lambda: bob.history(t.id), lambda: bob.send(t.id, "hi"), lambda: bob.known_facts(t.id)):
            with pytest.raises(ThreadNotFound):
                action()
        assert cp.as_user(None).history(t.id)  # an admin reads it
    finally:
        cp.close()


USERS = (
    f"alice:user:{hash_password('alice-pw')},bob:user:{hash_password('bob-pw')},root:admin:{hash_password('root-pw')}"
)


def sign_in(name: str, password: str, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query)
    at = checked(at.run())
    at.text_input(key="signin-name").input(name)
    at.text_input(key="signin-password").input(password)
    return checked(next(b for b in at.button if b.label == "Sign in").click().run())


@pytest.mark.integration
def test_demo_sign_in_and_separation_in_the_app(data_dir, monkeypatch):  # noqa: F811
    monkeypatch.setenv("UWC_AUTH", "demo")
    monkeypatch.setenv("UWC_AUTH_USERS", USERS)
    st.cache_resource.clear()
    store = ThreadStore(data_dir / "conversations.db")
    mine = store.create("Alice's restaurant question", owner="alice")

    at = checked(AppTest.from_file(APP, default_timeout=60).run())
    assert not at.chat_input and at.text_input(key="signin-password")  # nothing but the sign-in form

    wrong = sign_in("alice", "bob-pw")
    assert any("wrong password" in e.value for e in wrong.error) and not wrong.chat_input

    bob = sign_in("bob", "bob-pw", thread=mine.id)  # a guessed link to someone else's conversation
    assert any("does not exist" in w.value for w in bob.warning)
    assert not [b for b in bob.sidebar.button if b.key == f"conv-{mine.id}"]
    assert "Evaluation" not in str(bob.sidebar)

    alice = sign_in("alice", "alice-pw", thread=mine.id)
    assert [b for b in alice.sidebar.button if b.key == f"conv-{mine.id}"]
    assert not any("does not exist" in w.value for w in alice.warning)

    root = sign_in("root", "root-pw")
    assert [b for b in root.sidebar.button if b.key == f"conv-{mine.id}"]  # admins read every conversation
    store.close()
