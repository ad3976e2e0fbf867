"""Benchmarks and the red team: commands that measure, never run by the test suite.

``python -m bench`` (``make bench``) is the overall benchmark; ``python -m bench.<name>`` runs one of the others
(``agent``, ``audit``, ``guard``, ``intake``, ``load``, ``observability``, ``offline``, ``providers``, ``referrals``, ``security``, ``sql``, ``ui``).
They reuse the tests' seeded folders and fakes (``tests/conftest.py``, ``tests/fakes.py``); ``bench.ui`` also
starts ``uwc serve`` for the browser tests.
"""
