"""Sign-in: who is using the app, and whether they may see every conversation.

Three modes, chosen by ``UWC_AUTH``:
- unset: no sign-in. ``uwc serve`` allows it only on a loopback address; the one local user is an admin, so the
  single-user app behaves as it always has.
- ``demo``: users and salted scrypt password hashes from ``UWC_AUTH_USERS_FILE`` (YAML) or ``UWC_AUTH_USERS``
  (``name:role:hash,...``), for a workshop. ``uwc hash-password`` makes a hash.
- ``oidc``: Streamlit's own ``st.login`` against any OpenID Connect provider (Google, Entra, Okta, Keycloak…);
  ``uwc serve`` writes the ``[auth]`` secrets from the ``UWC_OIDC_*`` settings. Admins are listed in
  ``UWC_ADMINS`` by e-mail or subject.

Everything here but the ``streamlit_*`` functions is plain Python, tested without Streamlit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from app.ui.escape import md
from core.settings import Settings
from seed_db.authority import ROLES, role_of

MODES = ("demo", "oidc")
OLD_ROLES = ("user",)  # the name juniors had before authority levels: still read, as junior
# Demo sign-in throttling (SignInThrottle): this many failures per user name, and per client, in this window.
SIGN_IN_MAX_FAILURES, SIGN_IN_WINDOW_S = 5, 300.0
# scrypt cost: 2^14 × 8 × 1 takes ~50 ms and 16 MB per check; enough for a demo, cheap enough for a sign-in.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
OIDC_KEYS = ("oidc_metadata_url", "oidc_client_id", "oidc_client_secret", "oidc_redirect_uri", "oidc_cookie_secret")


class AuthConfigError(ValueError):
    """The sign-in settings are missing or wrong; the message names the setting to fix."""


@dataclass(frozen=True)
class User:
    name: str
    role: str = "junior"  # junior, senior or admin (seed_db/authority.py: what each may decide)
    email: str | None = None
    local: bool = False  # no sign-in: the one user of a loopback app, who sees everything it holds

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def sees_all(self) -> bool:
        return self.is_admin or self.local

    @property
    def scope(self) -> str | None:
        """Whose conversations this user may open: their own, or everyone's (None) for an admin."""
        return None if self.sees_all else self.name


def local_user(settings: Settings) -> User:
    """No sign-in (loopback): the single user of the app, who sees every conversation and has the authority of
    ``UWC_ROLE`` (a junior by default: referrals wait for a senior, who signs in to decide them)."""
    return User(settings.user, role_of(settings.role), local=True)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """A salted scrypt hash: ``scrypt$n$r$p$salt$hash`` (base64), safe to keep in a file or an environment."""
    if not password:
        raise ValueError("a password cannot be empty")
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        got = hashlib.scrypt(
            password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected), maxmem=2**26
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


@dataclass(frozen=True)
class DemoAccount:
    user: User
    password_hash: str


def _account(name: str, role: str, password_hash: str, where: str) -> DemoAccount:
    name, role, password_hash = str(name).strip(), str(role or "junior").strip().lower(), str(password_hash).strip()
    if not name:
        raise AuthConfigError(f"{where}: a user without a name")
    role = "junior" if role in OLD_ROLES else role
    if role not in ROLES:
        raise AuthConfigError(f"{where}: user {name!r} has role {role!r}; roles are {', '.join(ROLES)}")
    if not password_hash.startswith("scrypt$") or password_hash.count("$") != 5:
        raise AuthConfigError(f"{where}: user {name!r} needs a password hash made by `uwc hash-password`")
    return DemoAccount(User(name, role), password_hash)


def load_demo_accounts(settings: Settings) -> dict[str, DemoAccount]:
    """The demo users from ``UWC_AUTH_USERS_FILE`` (YAML: ``users: [{name, role, password_hash}]``) or
    ``UWC_AUTH_USERS`` (``name:role:hash,...``); raises ``AuthConfigError`` naming what is wrong."""
    accounts: list[DemoAccount] = []
    if settings.auth_users_file:
        path = Path(settings.auth_users_file)
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise AuthConfigError(f"UWC_AUTH_USERS_FILE {path}: {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            raise AuthConfigError(
                f"UWC_AUTH_USERS_FILE {path} is not valid YAML ({str(exc).splitlines()[0]})"
            ) from None
        users = doc.get("users") if isinstance(doc, dict) else None
        if not isinstance(users, list):
            raise AuthConfigError(
                f"UWC_AUTH_USERS_FILE {path}: expected `users:` with a list of name/role/password_hash"
            )
        for i, u in enumerate(users, start=1):
            if not isinstance(u, dict):
                raise AuthConfigError(f"UWC_AUTH_USERS_FILE {path}: user {i} is not a mapping")
            accounts.append(_account(u.get("name", ""), u.get("role", "user"), u.get("password_hash", ""), str(path)))
    if settings.auth_users:
        for i, item in enumerate(x for x in settings.auth_users.split(",") if x.strip()):
            parts = item.strip().split(":")
            if len(parts) != 3:
                raise AuthConfigError(f"UWC_AUTH_USERS entry {i + 1}: expected name:role:hash")
            accounts.append(_account(parts[0], parts[1], parts[2], "UWC_AUTH_USERS"))
    if not accounts:
        raise AuthConfigError("UWC_AUTH=demo needs users: set UWC_AUTH_USERS_FILE or UWC_AUTH_USERS")
    by_name: dict[str, DemoAccount] = {}
    for a in accounts:
        if a.user.name.lower() in by_name:
            raise AuthConfigError(f"demo user {a.user.name!r} is defined twice")
        by_name[a.user.name.lower()] = a
    return by_name


def authenticate(accounts: dict[str, DemoAccount], name: str, password: str) -> User | None:
    account = accounts.get((name or "").strip().lower())
    if account is None:
        verify_password(password or "x", hash_password("timing"))  # same cost whether or not the name exists
        return None
    return account.user if verify_password(password or "", account.password_hash) else None


class SignInThrottle:
    """At most ``max_failures`` failed sign-ins per user name, and per client address, in any ``window_s``.

    Kept in this process only: Streamlit serves every session of one ``uwc serve`` from one process, and a
    restart forgets the counts (several replicas each count their own). An attempt counts as a failure from the
    moment it starts until it succeeds, so parallel guesses cannot slip past the limit while passwords are
    checked. Refused attempts are not counted (the wait never grows) and cost no password check. The name limit
    lets anyone hold a known user name locked for a window at a time: the price of stopping password guessing."""

    def __init__(
        self,
        max_failures: int = SIGN_IN_MAX_FAILURES,
        window_s: float = SIGN_IN_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.max_failures, self.window_s, self.clock = max_failures, window_s, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(name: str, client: str | None) -> list[str]:
        return [f"user:{(name or '').strip().lower()}"] + ([f"client:{client}"] if client else [])

    def _wait(self, key: str, now: float) -> float:
        times = self._failures.get(key)
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
            return 0.0
        return times[0] + self.window_s - now if len(times) >= self.max_failures else 0.0

    def begin(self, name: str, client: str | None = None) -> float:
        """Seconds to wait before this attempt may be made (0: go ahead; it counts as a failure until
        ``succeeded``)."""
        with self._lock:
            now = self.clock()
            if len(self._failures) > 1000:  # forget names and clients whose failures have all expired
                for key in list(self._failures):
                    self._wait(key, now)
            wait = max(self._wait(k, now) for k in self._keys(name, client))
            if wait > 0:
                return wait
            for key in self._keys(name, client):
                self._failures.setdefault(key, deque()).append(now)
            return 0.0

    def succeeded(self, name: str, client: str | None = None) -> None:
        """The attempt begun for ``name`` was right: the name's failures are forgotten, the client's this one."""
        user, *rest = self._keys(name, client)
        with self._lock:
            self._failures.pop(user, None)
            for key in rest:
                if self._failures.get(key):
                    self._failures[key].pop()


THROTTLE = SignInThrottle()  # this process's sign-in counts (see the class)


@dataclass(frozen=True)
class SignIn:
    user: User | None
    retry_after_s: float = 0.0  # > 0: refused unchecked, too many failures

    @property
    def message(self) -> str:
        if self.user is not None:
            return ""
        if self.retry_after_s > 0:
            minutes = max(1, math.ceil(self.retry_after_s / 60))
            return f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
        return "Unknown user name or wrong password."


def client_address(peer: str | None, headers: Mapping[str, str], trusted: str) -> str | None:
    """The address a sign-in attempt is counted against: the TCP peer (None for loopback, as Streamlit gives it),
    or, when the peer is a proxy listed in ``trusted`` (UWC_FORWARDED_ALLOW_IPS), the right-most address of its
    ``X-Forwarded-For`` that is not itself such a proxy. Without it every browser behind the proxy shares one
    address, and five wrong passwords from anyone would hold sign-in shut for all."""
    networks = []
    for item in filter(None, (n.strip() for n in trusted.split(","))):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:  # not an address: trusts nobody (the peer is counted, as without the setting)
            continue

    def is_proxy(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip().strip("[]"))
        except ValueError:
            return False
        return any(ip in n for n in networks)

    if not networks or not is_proxy(peer or "127.0.0.1"):
        return peer
    forwarded = next((v for k, v in headers.items() if k.lower() == "x-forwarded-for"), "")
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        if not is_proxy(hop):
            return hop[:64]
    return peer


def sign_in(
    accounts: dict[str, DemoAccount],
    name: str,
    password: str,
    client: str | None = None,
    throttle: SignInThrottle = THROTTLE,
) -> SignIn:
    """A demo sign-in, throttled per user name and per client address (``client``: None when unknown)."""
    wait = throttle.begin(name, client)
    if wait > 0:
        return SignIn(None, wait)
    user = authenticate(accounts, name, password)
    if user is not None:
        throttle.succeeded(name, client)
    return SignIn(user)


def check_auth_settings(settings: Settings) -> str | None:
    """Validate the sign-in settings; return the mode (None = no sign-in) or raise ``AuthConfigError``."""
    mode = (settings.auth or "").strip().lower() or None
    if mode is None:
        return None
    if mode not in MODES:
        raise AuthConfigError(f"UWC_AUTH={settings.auth!r} is not a sign-in mode; use demo or oidc")
    if mode == "demo":
        load_demo_accounts(settings)
    else:
        missing = [f"UWC_{k.upper()}" for k in OIDC_KEYS if not getattr(settings, k)]
        if missing:
            raise AuthConfigError(f"UWC_AUTH=oidc needs {', '.join(missing)}")
    return mode


def oidc_user(info: dict, settings: Settings) -> User:
    """The app user for an OIDC identity (``st.user``): named by e-mail, else subject; admin if listed."""
    # An address the provider has not verified names nobody: someone could set another person's address on an
    # account of their own and take their role.
    email = info.get("email") if info.get("email_verified", True) not in (False, "false") else None
    name = str(email or info.get("sub") or "unknown")
    names = {name.lower(), str(info.get("sub", "")).lower()}
    role = "admin" if names & settings.admin_names else "senior" if names & settings.senior_names else "junior"
    return User(name, role, email)


def write_oidc_secrets(settings: Settings, path: Path) -> Path:
    """The ``[auth]`` section Streamlit's ``st.login`` reads, written owner-only for ``--secrets.files``."""

    def q(v: str | None) -> str:
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    body = (
        "[auth]\n"
        f"redirect_uri = {q(settings.oidc_redirect_uri)}\n"
        f"cookie_secret = {q(settings.oidc_cookie_secret)}\n"
        f"client_id = {q(settings.oidc_client_id)}\n"
        f"client_secret = {q(settings.oidc_client_secret)}\n"
        f"server_metadata_url = {q(settings.oidc_metadata_url)}\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(body)
    return path


# --- Streamlit ------------------------------------------------------------------------------------------------

SESSION_KEY = "uwc_user"


def streamlit_user(settings: Settings) -> User:
    """The signed-in user of this tab; shows the sign-in form (and stops the page) when there is none."""
    import streamlit as st

    mode = (settings.auth or "").strip().lower() or None
    if mode is None:
        return local_user(settings)
    if mode == "oidc":
        if not st.user.is_logged_in:
            _sign_in_page_oidc()
        return oidc_user(st.user.to_dict(), settings)
    user = st.session_state.get(SESSION_KEY)
    if isinstance(user, User):
        return user
    _sign_in_page_demo(settings)
    raise AssertionError("unreachable")  # st.stop() above


def _sign_in_page_oidc() -> None:
    import streamlit as st

    st.title("Underwriting Copilot")
    st.caption("Sign in to see your conversations.")
    st.button("Sign in", icon=":material/login:", type="primary", on_click=st.login)
    st.stop()


def _sign_in_page_demo(settings: Settings) -> None:
    import streamlit as st

    st.title("Underwriting Copilot")
    try:
        accounts = load_demo_accounts(settings)
    except AuthConfigError as exc:
        st.error(f"Sign-in is not configured: {md(exc)}.")
        st.stop()
    with st.form("sign-in"):
        name = st.text_input("User name", key="signin-name")
        password = st.text_input("Password", type="password", key="signin-password")
        submitted = st.form_submit_button("Sign in", icon=":material/login:", type="primary")
    if submitted:
        client = client_address(st.context.ip_address, st.context.headers, settings.forwarded_allow_ips)
        attempt = sign_in(accounts, name, password, client=client)
        if attempt.user is not None:
            st.session_state[SESSION_KEY] = attempt.user
            st.rerun()
        st.error(attempt.message)
    st.stop()


def streamlit_sign_out(settings: Settings) -> None:
    import streamlit as st

    st.session_state.pop(SESSION_KEY, None)
    if (settings.auth or "").strip().lower() == "oidc":
        st.logout()
    st.rerun()
