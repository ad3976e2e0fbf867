"""The decision record's key: each record's hash is an HMAC-SHA256 under a secret the database never holds, so
someone with the database login but not the key cannot append a record that ``uwc audit verify`` accepts.

Where the key comes from, the first one set: ``UWC_AUDIT_KEY`` (from a secret store), ``UWC_AUDIT_KEY_FILE``, else
``audit.key`` in the data folder, created once with mode 0600. A key file's first line is the key new records are
signed with; further lines are retired keys, kept only to verify what they signed (``uwc audit rotate-key`` writes
a new first line). With the environment, ``UWC_AUDIT_OLD_KEYS`` (comma-separated) holds the retired keys. Each
record names its key by an id (an HMAC of a fixed label under the key: it tells nothing of the key itself), so a
chain may span several keys. Every key is registered for redaction (``core.redact``) when it is loaded.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from core import redact

ALG = "hmac-sha256"
MIN_KEY = 32  # characters: a key typed by hand shorter than this is guessable
KEY_FILE = "audit.key"
_ID_LABEL = b"uwc-decision-record-key-id/1"


class AuditKeyError(ValueError):
    """The key cannot be used (too short, unreadable, readable by others); the message is one readable line."""


def key_id(key: bytes) -> str:
    return hmac.new(key, _ID_LABEL, hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class AuditKey:
    current: bytes
    retired: tuple[bytes, ...] = ()
    source: str = "UWC_AUDIT_KEY"  # where it was read from, for messages (never the key)

    @property
    def alg(self) -> str:
        """What a record signed now carries in its ``alg`` field."""
        return f"{ALG}:{key_id(self.current)}"

    def by_alg(self) -> dict[str, bytes]:
        """Every key this process can verify with, by the ``alg`` a record signed with it carries."""
        return {f"{ALG}:{key_id(k)}": k for k in (*self.retired, self.current)}


def _checked(values: list[str], source: str) -> AuditKey:
    values = [v.strip() for v in values if v.strip()]
    if not values:
        raise AuditKeyError(f"the decision record's key in {source} is empty")
    for value in values:
        if len(value) < MIN_KEY:
            raise AuditKeyError(
                f"the decision record's key in {source} is shorter than {MIN_KEY} characters; make one with "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`"
            )
    redact.register(*values)
    return AuditKey(values[0].encode(), tuple(v.encode() for v in values[1:]), source)


def from_values(current: str, retired: str | None = None, source: str = "UWC_AUDIT_KEY") -> AuditKey:
    return _checked([current, *(retired or "").split(",")], source)


def from_file(path: Path, create: bool = True) -> AuditKey:
    """The key in ``path`` (first line current, the rest retired); created once, mode 0600, when missing."""
    if create and not path.exists():
        try:
            _write_new(path, [])
        except OSError as exc:
            raise AuditKeyError(
                f"cannot create the decision record's key file {path} ({exc.strerror or exc}); set UWC_AUDIT_KEY or "
                "UWC_AUDIT_KEY_FILE"
            ) from None
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise AuditKeyError(f"the decision record's key file {path} is readable by others: chmod 600 {path}")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise AuditKeyError(f"cannot read the decision record's key file {path} ({reason})") from None
    return _checked(text.splitlines(), str(path))


def _write_new(path: Path, keep: list[str]) -> None:
    """A new key first, then ``keep``: written to a private scratch file, then put in place in one step (a new
    file by a hard link, so two processes creating it at once end up with the same key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join([secrets.token_hex(32), *keep]) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        if keep:
            os.replace(scratch, path)
        else:
            try:
                os.link(scratch, path)
            except FileExistsError:
                pass  # another process made it first: theirs is the key
    finally:
        scratch.unlink(missing_ok=True)


def rotate_file(path: Path) -> AuditKey:
    """Sign new records with a new key; the old ones stay in the file (as retired keys) to verify older records."""
    old = from_file(path, create=False)
    _write_new(path, [k.decode() for k in (old.current, *old.retired)])
    return from_file(path, create=False)


def key_file(settings) -> Path:
    return settings.audit_key_file or settings.data_dir / KEY_FILE


def load_key(settings) -> AuditKey:
    """The decision record's key for ``settings``: the environment's, else the key file's (created when missing)."""
    if settings.audit_key:
        return from_values(settings.audit_key, settings.audit_old_keys)
    return from_file(key_file(settings))
