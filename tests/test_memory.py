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


def test_langsmiths_api_types_are_loaded_only_when_asked_for():
    """LangGraph's path loads one module of ``langsmith.types``; reading a name from the package loads them all, and
    langsmith's client still imports."""
    code = (
        "import sys\n"
        "import graph.copilot\n"
        "print(sum(m.startswith('langsmith.types.') for m in sys.modules) <= 2)\n"
        "import langsmith\n"
        "from langsmith import Client, types\n"
        "from langsmith.types import Dataset, Run\n"
        "print(langsmith.types is types, Run.__module__, sum(m.startswith('langsmith.types.') for m in sys.modules) > 100)"
    )
    assert run(code) == ["True", "True", "langsmith.types.run", "True"]


def test_classifying_a_business_loads_no_chroma(seeded):
    """``classify_business`` scores the NAICS codes with numpy over the vectors kept beside the index: no chromadb
    (~21 MB), which a guideline search still loads."""
    code = (
        "import sys\n"
        "from tests.conftest import open_toolkit\n"
        f"toolkit = open_toolkit({str(seeded['dir'])!r})\n"
        "top = toolkit.call('classify_business', {'description': 'a bakery selling bread and cakes'}).result\n"
        "print(top['candidates'][0]['naics'], 'chromadb' in sys.modules)\n"
        "toolkit.call('search_guidelines', {'query': 'deductible for a bakery'})\n"
        "print('chromadb' in sys.modules)"
    )
    assert run(code)[1:] == ["False", "True"]
