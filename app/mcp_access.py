"""Who may reach ``uwc mcp --transport http``: a bearer token, the Host/Origin names it answers to, and the refusal
to start a listener anyone on the network could use.

The SDK's own mechanisms do the checking: ``TransportSecuritySettings`` (Host and Origin, against DNS rebinding)
and a ``TokenVerifier`` behind its bearer middleware (``401`` without the token). This module decides their
settings from ``UWC_MCP_TOKEN`` and ``UWC_MCP_ALLOWED_HOSTS`` and the address bound:

- off loopback, no token: refuse to start (``ListenerRefused``, one line);
- a token set: every request needs ``Authorization: Bearer <token>`` (compared in constant time);
- always: only loopback names, the bound address and the configured names are accepted as ``Host`` (and as the
  host of an ``Origin``); a wildcard address (0.0.0.0, ::) needs the names configured, as it has no name itself.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass

from app.serve import is_loopback
from core.settings import Settings

MIN_TOKEN_CHARS = 16
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
MAKE_TOKEN = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


class ListenerRefused(ValueError):
    """The listener would be open to callers it cannot tell apart; the message says what to set."""


@dataclass(frozen=True)
class HttpAccess:
    token: str | None
    allowed_hosts: tuple[str, ...]  # bare names or addresses, without port or brackets

    def transport_security(self):
        from mcp.server.transport_security import TransportSecuritySettings

        hosts: list[str] = []
        origins: list[str] = []
        for name in self.allowed_hosts:
            host = f"[{name}]" if ":" in name else name  # an IPv6 address in a Host header is bracketed
            hosts += [host, f"{host}:*"]
            origins += [f"{scheme}://{host}{port}" for scheme in ("http", "https") for port in ("", ":*")]
        return TransportSecuritySettings(
            enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
        )


def _names(text: str) -> list[str]:
    return [n.strip().strip("[]").lower() for n in text.split(",") if n.strip()]


def http_access(settings: Settings, host: str) -> HttpAccess:
    """The access rules for an HTTP listener on ``host``, or ``ListenerRefused`` when it must not start."""
    token = settings.mcp_token or None
    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise ListenerRefused(
            f"UWC_MCP_TOKEN is shorter than {MIN_TOKEN_CHARS} characters; make one with `{MAKE_TOKEN}`"
        )
    if token is None and not is_loopback(host):
        raise ListenerRefused(
            f"refusing to serve MCP on {host} without sign-in: set UWC_MCP_TOKEN (make one with `{MAKE_TOKEN}`) "
            "or use --host 127.0.0.1"
        )
    bound = host.strip("[]").lower()
    try:
        wildcard = ipaddress.ip_address(bound).is_unspecified
    except ValueError:
        wildcard = False
    configured = _names(settings.mcp_allowed_hosts)
    if wildcard and not configured:
        raise ListenerRefused(
            f"--host {host} answers on every address: set UWC_MCP_ALLOWED_HOSTS to the names clients use to reach "
            "it (e.g. mcp.example.org,10.0.0.5), or bind one address"
        )
    names = dict.fromkeys([*LOOPBACK_NAMES, *([] if wildcard else [bound]), *configured])
    return HttpAccess(token, tuple(names))


class StaticTokenVerifier:
    """The SDK's ``TokenVerifier`` for one shared secret (``UWC_MCP_TOKEN``)."""

    def __init__(self, token: str):
        self._token = token.encode()

    async def verify_token(self, token: str):
        from mcp.server.auth.provider import AccessToken

        if hmac.compare_digest(token.encode("utf-8", "replace"), self._token):
            return AccessToken(token=token, client_id="uwc-mcp-token", scopes=[])
        return None
