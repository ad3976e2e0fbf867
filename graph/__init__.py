"""The agent layer. Before LangGraph is first imported: the SDK's package ``__init__`` (its HTTP client, ~8 MB) is
left until something reads a name from it (``graph/deferred.py``)."""

from graph.deferred import defer_package_init

defer_package_init("langgraph_sdk")
