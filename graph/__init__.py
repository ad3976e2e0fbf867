"""The agent layer. Before LangGraph is first imported, two dependency packages' ``__init__`` are left until
something reads a name from them (``graph/deferred.py``): the LangGraph SDK's (its HTTP client, ~8 MB) and
langsmith's generated API types (~165 modules, ~5 MB), of which LangGraph's path needs one submodule each."""

from graph.deferred import defer_package_init

defer_package_init("langgraph_sdk")  # langgraph.runtime needs langgraph_sdk.auth.types
defer_package_init("langsmith.types")  # langchain-core's tracers reach langsmith.types.run_select_field
