"""Red team, referrals on the page: a junior opening someone else's referral by URL, a junior looking for the
decide buttons on their own, a senior deciding from a stale page after another senior decided, and Markdown/HTML
in a senior's note. Driven headless with Streamlit's ``AppTest`` as demo-signed-in users over the offline model.

Run: ``PYTHONPATH=. UWC_TEST_CACHE=/work/test-cache python -m bench.redteam.referrals``.
"""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

from bench.redteam import Outcome, attack

AREA = "referrals"
APP = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
REFERRED = ("Is NAICS 722511 in Texas in appetite for property? revenue 3M", "no idea on construction")
NOTE = "[click](https://evil.example/x) <img src=x onerror=alert(1)> ![i](http://e.example/p.png) www.evil.example :green-badge[Approved]"


@contextmanager
def _app():
    """A data folder over the cached seeded database and index, demo sign-in, the pages' own copilot."""
    import streamlit as st

    from app.auth import hash_password
    from tests.conftest import cached_seed

    seeded = cached_seed("minilm")
    users = ",".join(
        f"{n}:{r}:{hash_password(n + '-pw')}"
        for n, r in (("alice", "junior"), ("bob", "junior"), ("sam", "senior"), ("tom", "senior"))
    )
    old = {k: os.environ.get(k) for k in ("UWC_DATA_DIR", "UWC_AUTH", "UWC_AUTH_USERS", "UWC_TRACING")}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "data"
        d.mkdir()
        (d / "uwc.db").symlink_to(seeded / "uwc.db")
        (d / "chroma").symlink_to(seeded / "chroma")
        os.environ.update(UWC_DATA_DIR=str(d), UWC_AUTH="demo", UWC_AUTH_USERS=users, UWC_TRACING="0")
        st.cache_resource.clear()
        st.cache_data.clear()
        try:
            from app import resources

            yield resources.copilot()
        finally:
            st.cache_resource.clear()
            st.cache_data.clear()
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def _referred(copilot, user: str = "alice"):
    me = copilot.as_user(user, name=user, role="junior")
    thread = me.new_thread()
    for text in REFERRED:
        result = me.send(thread.id, text)
    return thread.id, result.referrals[0]


def _sign_in(name: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.text_input(key="signin-name").input(name)
    at.text_input(key="signin-password").input(f"{name}-pw")
    return next(b for b in at.button if b.label == "Sign in").click().run()


def _open(at, **query):
    at.query_params.clear()
    at.query_params.update(query)
    at.switch_page("views/referrals.py")
    return at.run()


def _text(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in (*at.info, *at.warning, *at.error)]
    return "\n".join(str(p) for p in parts)


def _buttons(at) -> list[str]:
    return [b.key for b in at.button if b.key and b.key.startswith("referral-")]


@attack(AREA, "a junior opens another junior's referral by editing the URL (?referral=<id>)")
def other_juniors_referral() -> Outcome:
    with _app() as cp:
        _, ref = _referred(cp, "alice")
        at = _open(_sign_in("bob"), referral=ref.id)
        text = _text(at)
        leaked = "Why it was referred" in text or "**Facts**" in text
        held = not leaked and "no referral" in text and not _buttons(at)
        return Outcome(
            held,
            f"bob sees: {'the memo' if leaked else 'no memo'}; buttons {_buttons(at)}; exceptions {len(at.exception)}",
        )


@attack(AREA, "a junior looks for approve/decline on their own referral (and clicks one if rendered)")
def junior_own_referral() -> Outcome:
    with _app() as cp:
        _, ref = _referred(cp, "alice")
        at = _open(_sign_in("alice"), referral=ref.id)
        keys = _buttons(at)
        if "referral-approve" in keys:
            at.button(key="referral-approve").click().run()
        status = cp.referrals.store.get(ref.id).status
        return Outcome(status == "pending" and "referral-approve" not in keys, f"buttons {keys}; status {status}")


@attack(AREA, "a senior decides from a stale page after another senior approved (replayed click)")
def stale_page_second_decision() -> Outcome:
    with _app() as cp:
        _, ref = _referred(cp, "alice")
        sam = _open(_sign_in("sam"), referral=ref.id)
        cp.referrals.decide(ref.id, "approve", user="tom", role="senior", note="fine")
        sam.text_area(key=f"referral-note-{ref.id}").input("no: roof too old")
        sam.button(key="referral-decline").click().run()
        now = cp.referrals.store.get(ref.id)
        errors = [e.value for e in sam.error]
        decisions = [r.kind for r in cp.records.records(referral_id=ref.id)]
        held = (now.status, now.decided_by) == ("approved", "tom") and decisions.count("decline") == 0 and bool(errors)
        return Outcome(held, f"status {now.status} by {now.decided_by}; records {decisions}; sam sees {errors[:1]}")


@attack(AREA, "Markdown/HTML/links/badges in a senior's note, shown on the junior's page")
def note_injection() -> Outcome:
    with _app() as cp:
        _, ref = _referred(cp, "alice")
        cp.referrals.decide(ref.id, "return", user="sam", role="senior", note=NOTE)
        at = _open(_sign_in("alice"), referral=ref.id)
        text = _text(at)
        bad = [
            p
            for p in (r"(?<!\\)\]\(https?:", r"(?<!\\)<img", r"(?<!\\)!\[", r"(?<!\\):green-badge\[", r"www\.evil")
            if re.search(p, text)
        ]
        shown = next((line for line in text.splitlines() if "evil" in line), "")[:200]
        return Outcome(not bad, f"active patterns {bad}; rendered source: {shown}")


@attack(AREA, "the decision record cannot be written (a locked store, injected): is the approval still made?")
def approval_without_record() -> Outcome:
    """Fault injection: ``records.append`` raises once, as a store locked past its wait would. ``decide`` moves
    the row first and appends the record after, in two transactions."""
    from sqlalchemy.exc import OperationalError

    with _app() as cp:
        _, ref = _referred(cp, "alice")
        real = cp.records.append

        def locked(*a, **k):
            raise OperationalError("INSERT", {}, Exception("database is locked"))

        cp.records.append = locked
        try:
            cp.referrals.decide(ref.id, "approve", user="sam", role="senior", note="ok")
            said = "no error"
        except Exception as exc:
            said = f"{type(exc).__name__}"
        finally:
            cp.records.append = real
        now = cp.referrals.store.get(ref.id)
        kinds = [r.kind for r in cp.records.records(referral_id=ref.id)]
        held = now.status == "pending" or "approval" in kinds
        return Outcome(held, f"decide raised {said}; referral {now.status} by {now.decided_by}; its records {kinds}")


@attack(AREA, "OIDC: an identity with an unverified e-mail that is a senior's gets the senior role")
def oidc_unverified_email() -> Outcome:
    """Whether this is reachable depends on the identity provider (one that lets users set their own e-mail
    without verifying it); the app does not look at ``email_verified``."""
    from app.auth import oidc_user
    from core.settings import get_settings

    old = os.environ.get("UWC_SENIORS")
    os.environ["UWC_SENIORS"] = "sam@corp.example"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            user = oidc_user(
                {"sub": "attacker-123", "email": "sam@corp.example", "email_verified": False},
                get_settings(data_dir=tmp),
            )
    finally:
        if old is None:
            os.environ.pop("UWC_SENIORS", None)
        else:
            os.environ["UWC_SENIORS"] = old
    return Outcome(user.role != "senior", f"sub attacker-123, email_verified false -> {user.name} as {user.role}")


if __name__ == "__main__":
    import sys

    from bench.redteam import ATTACKS

    wanted = sys.argv[1:]
    for a in [a for a in ATTACKS if a.area == AREA and (not wanted or a.run.__name__ in wanted)]:
        try:
            o = a.run()
        except Exception as exc:  # an attack that could not run is reported, not counted
            print(f"ERROR  {a.name}: {type(exc).__name__}: {exc}")
            continue
        print(f"{'held  ' if o.held else 'BROKEN'} {a.name}: {o.detail}", flush=True)
