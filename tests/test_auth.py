"""Sign-in settings and demo passwords (no Streamlit): hashing, user files, modes, OIDC identities."""

from __future__ import annotations

import stat

import pytest

from app.auth import (
    AuthConfigError,
    SignInThrottle,
    authenticate,
    check_auth_settings,
    client_address,
    hash_password,
    load_demo_accounts,
    oidc_user,
    sign_in,
    verify_password,
    write_oidc_secrets,
)
from app.cli import main as uwc
from core.settings import Settings


def test_hash_is_salted_and_verifies():
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a != b and a.startswith("scrypt$")
    assert verify_password("correct horse", a) and verify_password("correct horse", b)
    assert not verify_password("Correct horse", a)
    assert not verify_password("correct horse", "plain-text")
    assert not verify_password("x", "scrypt$1$2$3$@@@$@@@")


def test_users_from_file_and_environment(tmp_path):
    f = tmp_path / "users.yaml"
    f.write_text(
        f"users:\n  - name: alice\n    role: admin\n    password_hash: '{hash_password('a-pass')}'\n"
        f"  - name: bob\n    password_hash: '{hash_password('b-pass')}'\n"
    )
    accounts = load_demo_accounts(
        Settings(auth="demo", auth_users_file=f, auth_users=f"carol:user:{hash_password('c')}")
    )
    assert {n: a.user.role for n, a in accounts.items()} == {
        "alice": "admin",
        "bob": "junior",
        "carol": "junior",
    }  # "user": the old name of junior
    assert authenticate(accounts, "Alice", "a-pass").is_admin
    assert authenticate(accounts, "bob", "b-pass").scope == "bob"
    assert authenticate(accounts, "bob", "a-pass") is None
    assert authenticate(accounts, "mallory", "a-pass") is None


@pytest.mark.parametrize(
    "users,needle",
    [
        ("alice:admin", "name:role:hash"),
        ("alice:root:scrypt$1$2$3$a$b", "roles are"),
        ("alice:user:not-a-hash", "uwc hash-password"),
        (None, "UWC_AUTH_USERS"),
    ],
)
def test_bad_demo_users_are_named(users, needle):
    with pytest.raises(AuthConfigError, match=needle.replace("$", r"\$")):
        check_auth_settings(Settings(auth="demo", auth_users=users))


def test_modes():
    assert check_auth_settings(Settings()) is None
    with pytest.raises(AuthConfigError, match="demo or oidc"):
        check_auth_settings(Settings(auth="ldap"))
    with pytest.raises(AuthConfigError, match="UWC_OIDC_CLIENT_ID"):
        check_auth_settings(Settings(auth="oidc", oidc_metadata_url="http://127.0.0.1:1/x"))


def test_oidc_identity_and_secrets_file(tmp_path):
    s = Settings(
        auth="oidc",
        admins="Boss@Example.org",
        oidc_metadata_url="http://127.0.0.1:9/.well-known/openid-configuration",
        oidc_client_id="uwc",
        oidc_client_secret='se"cret',
        oidc_redirect_uri="http://127.0.0.1:8501/oauth2callback",
        oidc_cookie_secret="cookie",
    )
    assert check_auth_settings(s) == "oidc"
    assert oidc_user({"email": "boss@example.org", "sub": "1"}, s).is_admin
    assert oidc_user({"email": "ann@example.org", "sub": "2"}, s).scope == "ann@example.org"
    path = write_oidc_secrets(s, tmp_path / "secrets.toml")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    import tomllib

    auth = tomllib.loads(path.read_text())["auth"]
    assert auth["client_secret"] == 'se"cret' and auth["server_metadata_url"].endswith("openid-configuration")


def test_hash_password_command(monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret\n"))
    assert uwc(["hash-password"]) == 0
    assert verify_password("s3cret", capsys.readouterr().out.strip())


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def accounts():
    return load_demo_accounts(Settings(auth="demo", auth_users=f"alice:user:{hash_password('right')}"))


def test_failed_sign_ins_are_throttled_per_name(accounts):
    clock = Clock()
    throttle = SignInThrottle(max_failures=3, window_s=300, clock=clock)
    for i in range(3):
        assert sign_in(accounts, "alice", f"guess{i}", client=f"10.0.0.{i}", throttle=throttle).retry_after_s == 0
    refused = sign_in(accounts, "Alice", "right", client="10.0.0.9", throttle=throttle)  # any spelling, any client
    assert refused.user is None and refused.retry_after_s == 300 and "Try again in 5 minutes" in refused.message
    clock.now += 299
    assert sign_in(accounts, "alice", "right", throttle=throttle).retry_after_s == 1
    clock.now += 1  # the first failure leaves the window
    assert sign_in(accounts, "alice", "right", throttle=throttle).user.name == "alice"


def test_failed_sign_ins_are_throttled_per_client(accounts):
    clock = Clock()
    throttle = SignInThrottle(max_failures=3, window_s=300, clock=clock)
    for name in ("alice", "bob", "carol"):  # one client spraying names
        assert sign_in(accounts, name, "guess", client="203.0.113.5", throttle=throttle).user is None
    assert sign_in(accounts, "alice", "right", client="203.0.113.5", throttle=throttle).retry_after_s > 0
    assert sign_in(accounts, "alice", "right", client="198.51.100.7", throttle=throttle).user is not None  # others


def test_behind_a_trusted_proxy_each_browser_is_its_own_client(accounts):
    """Every browser behind the proxy reaches the app from the proxy's address: counted by that, one sprayer's
    three guesses would lock everyone out. With the proxy listed, X-Forwarded-For names the client; a header from
    anyone else is ignored (it could name any address)."""
    proxy, trusted = "172.18.0.5", "172.16.0.0/12, not-an-address"
    assert client_address(proxy, {"X-Forwarded-For": "203.0.113.5"}, trusted) == "203.0.113.5"
    assert client_address(proxy, {"x-forwarded-for": "1.2.3.4, 203.0.113.5, 172.18.0.9"}, trusted) == "203.0.113.5"
    assert client_address("198.51.100.7", {"X-Forwarded-For": "203.0.113.5"}, trusted) == "198.51.100.7"
    assert client_address(proxy, {"X-Forwarded-For": "203.0.113.5"}, "") == proxy  # nothing trusted
    assert client_address(None, {"X-Forwarded-For": "203.0.113.5"}, "127.0.0.1") == "203.0.113.5"  # loopback proxy
    clock = Clock()
    throttle = SignInThrottle(max_failures=3, window_s=300, clock=clock)
    sprayer = client_address(proxy, {"X-Forwarded-For": "203.0.113.5"}, trusted)
    for name in ("bob", "carol", "erin"):
        sign_in(accounts, name, "guess", client=sprayer, throttle=throttle)
    assert sign_in(accounts, "alice", "right", client=sprayer, throttle=throttle).retry_after_s > 0  # held
    other = client_address(proxy, {"X-Forwarded-For": "198.51.100.7"}, trusted)
    assert sign_in(accounts, "alice", "right", client=other, throttle=throttle).user is not None  # not everyone


def test_a_success_forgets_the_names_failures(accounts):
    throttle = SignInThrottle(max_failures=3, window_s=300, clock=Clock())
    for _ in range(2):
        sign_in(accounts, "alice", "typo", throttle=throttle)
    assert sign_in(accounts, "alice", "right", throttle=throttle).user is not None
    for _ in range(2):  # two more typos are not the third strike
        assert sign_in(accounts, "alice", "typo", throttle=throttle).retry_after_s == 0
    assert sign_in(accounts, "alice", "right", throttle=throttle).user is not None


def test_attempts_in_flight_count_before_their_password_is_checked(accounts):
    """Parallel guesses: each attempt counts from its start, so a burst cannot all pass the check."""
    throttle = SignInThrottle(max_failures=3, window_s=300, clock=Clock())
    assert [throttle.begin("alice", "10.0.0.1") for _ in range(4)][-1] > 0


def test_an_unverified_address_takes_nobodys_role():
    s = Settings(seniors="sam@example.org", admins="boss@example.org")
    claims = {"email": "sam@example.org", "sub": "42", "email_verified": False}
    assert oidc_user(claims, s).role == "junior" and oidc_user(claims, s).name == "42"
    assert oidc_user({**claims, "email_verified": True}, s).role == "senior"
    assert oidc_user({"email": "boss@example.org", "sub": "1"}, s).is_admin  # providers that send no flag
