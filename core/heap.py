"""The C heap of a process (glibc's malloc): freed memory handed back to the system, and one arena for all threads.

What a process allocates and frees in one go (a sentence model's run, an index built from parsed rows) stays
resident in the allocator's heap, among the later allocations, until it is trimmed; a peak then counts it on top
of what comes next. Elsewhere than glibc both are no-ops."""

from __future__ import annotations

from functools import cache

M_ARENA_MAX = -8  # mallopt's parameter for the number of arenas (glibc's malloc.h)


@cache
def _libc_function(name: str):
    import ctypes

    try:
        return getattr(ctypes.CDLL(None), name, None)  # glibc's; None elsewhere
    except (OSError, TypeError):  # no C library to open by name (Windows)
        return None


def give_back() -> None:
    """Return the heap's free pages to the system: 0.2-1 ms a call; nothing where the C library has no trim."""
    trim = _libc_function("malloc_trim")
    if trim is not None:
        trim(0)


def one_arena() -> None:
    """Every thread allocates from one heap from now on. glibc gives a thread that finds the heap's lock taken an
    arena of its own (up to 8 per core), which keeps its own freed memory; the Streamlit process runs each page's
    script and each turn on threads of their own, and its peak grew with the conversations (10 that classify:
    242 MB, 232 MB with one arena). Python allocates under its GIL, so the threads hardly wait for the lock."""
    mallopt = _libc_function("mallopt")
    if mallopt is not None:
        mallopt(M_ARENA_MAX, 1)
