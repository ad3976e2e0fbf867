"""A dependency's package ``__init__`` run only when something reads a name from the package itself.

LangGraph's runtime needs one protocol class from ``langgraph_sdk.auth.types``; importing that submodule runs
``langgraph_sdk/__init__.py`` first, which imports the SDK's HTTP client (httpx with its command line: click, rich,
pygments; websockets): ~8 MB in every process that runs a graph, for a client of a LangGraph server this project
never talks to. Likewise langsmith's run trees need one module of ``langsmith.types``, whose ``__init__`` imports
all ~165 generated API types (~5 MB). Registering the package without running its ``__init__`` lets the submodules
load as usual; the first read of a name from the package itself (``langgraph_sdk.get_client``, ``from
langgraph_sdk import Auth``, ``langsmith.types.Run``) runs the ``__init__`` then, so nothing that uses the package
sees a difference.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import types


class _DeferredPackage(types.ModuleType):
    """A package whose ``__init__`` runs at the first read of a name it defines (``__path__`` and ``__spec__`` are
    set, so importing its submodules does not count)."""

    def __getattr__(self, name: str):
        state = self.__dict__["_uwc_deferred"]
        with state["lock"]:
            if state["pending"]:
                state["pending"] = False  # a name read while the __init__ runs is simply not there yet
                self.__spec__.loader.exec_module(self)  # type: ignore[union-attr]
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}") from None


def defer_package_init(name: str) -> bool:
    """Register package ``name`` without running its ``__init__`` (until a name is read from it). Does nothing when
    it is imported already or is not an installed package; returns whether it was deferred."""
    if name in sys.modules:
        return False
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return False
    module = _DeferredPackage(name)
    module.__spec__ = spec
    module.__loader__ = spec.loader
    module.__file__ = spec.origin
    module.__package__ = name
    module.__path__ = list(spec.submodule_search_locations)
    module.__dict__["_uwc_deferred"] = {"lock": threading.RLock(), "pending": True}
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:  # as the import system does: the parent package names its submodule
        setattr(sys.modules[parent], child, module)
    return True
