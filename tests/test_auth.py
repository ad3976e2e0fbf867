"""Sign-in settings and demo passwords (no Streamlit): hashing, user files, modes, OIDC identities."""

from __future__ import annotations

import stat

import pytest

from app.auth import (
    AuthConfigError,
    authenticate,
    check_auth_settings,
    hash_password,
    load_demo_accounts,
    oidc_user,
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
    assert {n: a.user.role for n, a in accounts.items()} == {"alice": "admin", "bob": "user", "carol": "user"}
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
