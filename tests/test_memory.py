"""What a process does not load (docs/measuring.md, "Flat and light"): each check runs in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(code: str) -> list[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()


def test_the_langgraph_sdk_client_is_loaded_only_when_asked_for():
    """A graph is built and run without the SDK's HTTP client (httpx, websockets, pygments); a name read from the SDK
    package runs its ``__init__`` then, and RemoteGraph still imports."""
    code = (
        "import sys\n"
        "from graph.build import build_graph\n"
        "import langgraph.graph, langgraph.pregel, langgraph.runtime\n"
        "print(*(m in sys.modules for m in ('langgraph_sdk', 'langgraph_sdk.client', 'httpx', 'websockets')))\n"
        "import langgraph_sdk\n"
        "from langgraph_sdk import Auth, get_client\n"
        "from langgraph.pregel.remote import RemoteGraph\n"
        "print('httpx' in sys.modules, callable(get_client), Auth.__module__, langgraph_sdk.__version__ > '0')"
    )
    assert run(code) == ["True", "False", "False", "False", "True", "True", "langgraph_sdk.auth", "True"]
