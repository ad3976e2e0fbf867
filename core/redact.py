"""One redaction function for everything shown or stored: errors, messages, events, logs and cassettes.

Secrets reach text through URL userinfo (``http://user:pass@proxy``), providers echoing a key or an
``Authorization`` header in an error, and keys pasted into settings. ``redact`` replaces each with ``[REDACTED]``
and keeps the rest readable (the scheme and host of a URL, the name of a header).

Patterns alone miss a key in a format they do not know, or a proxy password echoed without its URL, so the
configured secrets are also removed by value: ``register`` (called when settings are loaded, and by a model
given a key directly) keeps every key, password, token and URL password, and ``redact`` removes each, also
URL-encoded. Values shorter than ``MIN_SECRET`` characters, and short plain words ("postgres", "password"), are
not registered: they would be cut out of ordinary text everywhere (a table name, a sign-in error), and the patterns
still catch them in URLs and headers.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import TypeVar, cast
from urllib.parse import quote, quote_plus, unquote, urlsplit

from core.bounded import Bounded

MARK = "[REDACTED]"
T = TypeVar("T")

# URL userinfo: keep scheme and host, hide "user:password@".
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<info>[^\s/@'\"<>]+)@")
# Header or parameter echoes: "Authorization: Bearer xyz", "api-key=xyz", '"x-api-key": "xyz"'.
_HEADER = re.compile(
    r"(?P<name>\b(?:authorization|proxy-authorization|x-api-key|api[-_]?key|access[-_]?token|secret|password|token)"
    r"[\"']?\s*[:=]\s*[\"']?)(?:(?:bearer|basic|token)\s+)?(?P<value>[^\s\"',;}&]+)",
    re.IGNORECASE,
)
# Known key formats of providers litellm supports (OpenAI, Anthropic, Groq, Hugging Face, AWS, Google, xAI,
# GitHub, GitLab, Replicate, Perplexity, Fireworks, Slack), then long opaque tokens (hex, base64-ish).
_KEYS = re.compile(
    r"\b(?:sk-(?:ant-|proj-|or-)?[A-Za-z0-9_\-]{16,}"
    r"|gsk_[A-Za-z0-9]{16,}"
    r"|hf_[A-Za-z0-9]{16,}"
    r"|(?:AKIA|ASIA)[A-Z0-9]{16}"
    r"|AIza[0-9A-Za-z_\-]{30,}"
    r"|xai-[A-Za-z0-9]{16,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}"
    r"|github_pat_[A-Za-z0-9_]{20,}"
    r"|glpat-[A-Za-z0-9_\-]{16,}"
    r"|r8_[A-Za-z0-9]{16,}"
    r"|pplx-[A-Za-z0-9]{16,}"
    r"|fw_[A-Za-z0-9]{16,}"
    r"|xox[abprs]-[A-Za-z0-9-]{10,}"
    r"|csk-[A-Za-z0-9]{16,}"  # Cerebras
    r"|nvapi-[A-Za-z0-9_\-]{16,}"  # NVIDIA NIM
    r"|tvly-[A-Za-z0-9_\-]{16,}"  # Tavily
    r"|lsv2_[A-Za-z0-9_]{16,}"  # LangSmith
    r"|dapi[0-9a-f]{32}"  # Databricks
    r"|pa-[A-Za-z0-9_\-]{30,}"  # Voyage
    r"|eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*)"  # JWTs (Vertex, Azure AD tokens)
)
_HEX = re.compile(r"\b[0-9a-fA-F]{32,}\b")
# Prefix-less keys (Mistral, Cohere, Azure, Together...): 32+ characters mixing upper case, lower case and digits.
_MIXED = re.compile(
    r"(?<![A-Za-z0-9_\-])(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[a-z])(?=[A-Za-z0-9]*[A-Z])[A-Za-z0-9]{32,}\b"
)
# Base64-ish runs of 40+ characters with both letters and digits (not ordinary words or numbers).
# A run mixing base64's "/" or "+" with base64url's "_" or "-" is a path or a slug, not a token: left alone.
_OPAQUE = re.compile(
    r"(?<![A-Za-z0-9+/_\-])(?=[A-Za-z0-9+/_\-]*\d)(?=[A-Za-z0-9+/_\-]*[A-Za-z])"
    r"(?![A-Za-z0-9+/_\-]*[/+][A-Za-z0-9+/_\-]*[_\-])(?![A-Za-z0-9+/_\-]*[_\-][A-Za-z0-9+/_\-]*[/+])"
    r"[A-Za-z0-9+/_\-]{40,}={0,2}"
)


MIN_SECRET = 6
# Environment variables whose values are secrets whatever the provider (OPENAI_API_KEY, HF_TOKEN, ...).
_SECRET_VAR = re.compile(r"(?:^|_)(?:API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)(?:_|$)", re.I)
_PROXY_VAR = re.compile(r"^(?:https?|all|ftp|no)_proxy$", re.I)

_registry_lock = threading.Lock()
_registered: tuple[str, ...] = ()  # longest first, each with its URL-encoded forms


def _forms(value: str) -> set[str]:
    return {value, quote(value, safe=""), quote_plus(value, safe=""), unquote(value)}


_WORD = re.compile(r"[A-Za-z]{1,11}")  # a short plain word: too common in text to remove wherever it appears


def _registrable(value: str) -> bool:
    return len(value) >= MIN_SECRET and not _WORD.fullmatch(value)


def register(*values: str | None) -> None:
    """Remember secret values (a key, a password, a token) so that ``redact`` removes them from any text."""
    global _registered
    new = {f for v in values if v and _registrable(v.strip()) for f in _forms(v.strip()) if len(f) >= MIN_SECRET}
    with _registry_lock:
        if new - set(_registered):
            _registered = tuple(sorted(new | set(_registered), key=len, reverse=True))


def url_password(url: str | None) -> str | None:
    """The password in a URL's userinfo (``scheme://user:password@host``), if any."""
    if not url or "@" not in url:
        return None
    try:
        return urlsplit(url.strip()).password
    except ValueError:
        return None


def register_environment(environ: Mapping[str, str]) -> None:
    """Register provider keys and tokens (``*_API_KEY``, ``*_TOKEN``, ``*_SECRET``, ...) and proxy passwords."""
    for name, value in environ.items():
        if _SECRET_VAR.search(name):
            register(value)
        elif _PROXY_VAR.match(name):
            register(*(url_password(v) for v in value.split(",")))


def registered() -> tuple[str, ...]:
    return _registered


# A turn redacts the same short texts again and again (each tool event's strings as recorded, a redo's identical
# results, the streamed sentences): ~30 us a string for the patterns. A text found clean is remembered as clean for
# the registered secrets it was checked against (a registration makes a new tuple: every text is checked again). A
# text that held a secret is never kept: the process holds no secret longer for this.
MAX_CLEAN = 4096  # clean texts a process remembers
MAX_CLEAN_CHARS = 2_000  # a longer text is checked every time
_clean = Bounded(MAX_CLEAN)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret replaced by ``[REDACTED]``: registered values, ``secrets`` (exact values to hide
    as well) and anything matching a secret's pattern."""
    if not text:
        return text
    registered = _registered
    if secrets != () or len(text) > MAX_CLEAN_CHARS:
        return _redact(text, secrets, registered)
    if _clean.fetch(text) is registered:
        return text
    out = _redact(text, (), registered)
    if out == text:
        _clean.keep(text, registered)
    return out


def _redact(text: str, secrets: Iterable[str], registered: tuple[str, ...]) -> str:
    extra = sorted({f for s in secrets if s and _registrable(s) for f in _forms(s)}, key=len, reverse=True)
    for secret in (*extra, *registered):
        if secret in text:
            text = text.replace(secret, MARK)
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{MARK}@", text)
    text = _HEADER.sub(lambda m: f"{m['name']}{MARK}", text)
    text = _KEYS.sub(MARK, text)
    text = _HEX.sub(MARK, text)
    text = _MIXED.sub(MARK, text)
    return _OPAQUE.sub(MARK, text)


def redact_obj(value: T, secrets: Iterable[str] = ()) -> T:
    """``redact`` applied to every string inside a JSON-like value (dicts, lists, tuples); same shape back."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return cast(T, redact(value, secrets))
    if isinstance(value, dict):
        return cast(T, {k: redact_obj(v, secrets) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return cast(T, type(value)(redact_obj(v, secrets) for v in value))
    return value


def redact_error(exc: BaseException, limit: int = 300) -> str:
    """An exception as one line a user may read: its type and its redacted, shortened message."""
    text = " ".join(str(exc).split())
    text = redact(text)
    return f"{type(exc).__name__}: {text[:limit]}" if text else type(exc).__name__


_installed = threading.Lock()
_factory_installed = False


def install_log_redaction() -> None:
    """Redact every log record this process creates (message, arguments and traceback), once."""
    global _factory_installed
    with _installed:
        if _factory_installed:
            return
        previous = logging.getLogRecordFactory()
        formatter = logging.Formatter()

        def factory(*args, **kwargs):
            record = previous(*args, **kwargs)
            try:
                record.msg, record.args = redact(record.getMessage()), ()
                if record.exc_info and not record.exc_text:
                    record.exc_text = redact(formatter.formatException(record.exc_info))
            except Exception:  # never let redaction break logging
                pass
            return record

        logging.setLogRecordFactory(factory)
        _factory_installed = True
