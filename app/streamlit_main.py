"""The Streamlit server process of ``uwc serve``: Streamlit's own command line, with what a first turn needs
warmed on a thread from the moment the process starts, while the server starts and the page loads.

Warmed here are process-wide parts, shared by the copilot the page builds (``app/resources.py``): the modules of
the copilot and its tools, and, with the offline model, its intent classifier (fitted, from the cache folder, and
the MiniLM session) and the fact reader (its tagger and lexicons): the bulk of a cold first turn. The copilot
itself is built by the page, in Streamlit's cache, and warms the rest (``Copilot.warm``).
"""

from __future__ import annotations

import logging
import sys
import threading

from core.heap import one_arena

log = logging.getLogger("uwc.app")


def warm() -> None:
    try:
        import graph.copilot  # noqa: F401  (the modules the page's copilot imports)
        import tools.all  # noqa: F401
        from core.settings import get_settings

        settings = get_settings()
        if settings.model == "offline":
            from graph.offline import intent
            from graph.reader.read import read

            intent.shared(settings.cache_path)  # as the copilot's model will ask for it
            intent.classify("Is this business in appetite for general liability?")
            read("Acme Bakery in Columbus, 12 employees, revenue $2.5M")  # the fact reader's tagger and lexicons
    except Exception as exc:  # a warm-up that fails costs nothing: the first turn loads what it needs
        log.warning("warming the server failed: %s: %s", type(exc).__name__, exc)


WARM_JOIN_S = 60.0


def main() -> None:
    one_arena()  # before any thread: each page's script and each turn run on threads of their own
    warming = threading.Thread(target=warm, name="uwc-warm", daemon=True)
    warming.start()
    from streamlit.web.cli import main as streamlit

    sys.argv = ["streamlit", *sys.argv[1:]]
    try:
        streamlit()
    finally:
        # A stop that comes while the warm-up is inside onnxruntime would end the interpreter under it, and the
        # process would abort ("terminate called without an active exception", exit 250): let it finish first.
        warming.join(WARM_JOIN_S)


if __name__ == "__main__":
    main()
