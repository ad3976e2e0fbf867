"""Retrieval: the offline embeddings, the Chroma index and the hybrid (BM25 + embedding) search.

Used by the tools (search_guidelines, classify_business) and by the seed builder; imports nothing above it.
"""
