"""Test-wide setup: offline switches, a guard that fails any non-loopback connection, a seeded data folder."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from core.settings import apply_offline_env

apply_offline_env()


class OutboundConnectionBlocked(RuntimeError):
    pass


def _is_local(address) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guarded_connect(self, address):
    if not _is_local(address):
        raise OutboundConnectionBlocked(f"test tried to connect to {address!r}: tests must stay offline")
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if not _is_local(address):
        raise OutboundConnectionBlocked(f"test tried to connect to {address!r}: tests must stay offline")
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's .env or data folder, or a real API key."""
    monkeypatch.chdir(tmp_path)
    for key in (
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "UWC_MODEL",
        "UWC_DATA_DIR",
        "UWC_DATABASE_URL",
        "UWC_RECORD",
        "UWC_REPLAY",
    ):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture(scope="session")
def seeded(tmp_path_factory):
    """A data folder seeded once per session with the committed inputs and the offline embedding."""
    from retrieval.embeddings import make_embedding
    from seed_db.seed import run_seed

    data_dir = tmp_path_factory.mktemp("data")
    url = f"sqlite:///{data_dir / 'uwc.db'}"
    report = run_seed(url, data_dir / "chroma", make_embedding("local"))
    return {"dir": data_dir, "url": url, "db": data_dir / "uwc.db", "report": report}


@pytest.fixture(scope="session")
def toolkit(seeded):
    """The tools over the session's seeded data folder, behind the real boundary."""
    from tools.context import open_context
    from tools.registry import Toolkit

    return Toolkit(open_context(seeded["dir"]))


@pytest.fixture
def call(toolkit):
    """Call a tool through the boundary; returns the ToolEvent."""
    return toolkit.call
