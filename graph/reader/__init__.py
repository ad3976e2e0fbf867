"""The reader: any underwriter text (a chat line, a reply, a pasted e-mail or submission) to typed readings.

``read(text, catalog, asked)`` in ``read.py`` is the one entry. A CRF sequence tagger (``tagger.py``) trained on a
generated corpus (``corpus.py``) marks the spans; ``read`` turns spans into typed values (``values.py``) and holds
the invariants no model is trusted with (which number may become which fact).
"""
