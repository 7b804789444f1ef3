"""Keep freed memory in the process while training on CPU (glibc's allocator).

glibc serves every block above its mmap threshold (at most 32 MB once it has
adapted) from a fresh ``mmap`` and hands it back to the kernel on ``free``. A
MiniLM step allocates one such block, the word embeddings' 47 MB gradient, so
each step page-faults and zero-fills it anew: 16 ms for what takes 2 ms from
reused memory, and a 1.24x slower step all told on this project's 2-core CPU
(``scripts/bench_allocator.py``). Raising the mmap and trim thresholds for the
fit keeps such blocks in the heap for the next step; the defaults' steady
state is put back afterwards and the heap trimmed, so the process does not
keep the fit's memory. Nothing numerical changes. Where the C library is not
glibc (macOS, musl) this does nothing: those allocators keep large blocks
themselves or are left as they are.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import platform
from collections.abc import Iterator
from functools import cache

M_TRIM_THRESHOLD = -1  # mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
KEEP_BYTES = 1 << 30  # blocks up to 1 GB come from (and go back to) the heap during the fit
# The dynamic thresholds' ceiling on 64-bit glibc (DEFAULT_MMAP_THRESHOLD_MAX, trim = 2x): restored afterwards.
DEFAULT_MMAP_MAX = 32 << 20
DEFAULT_TRIM_MAX = 64 << 20


@cache
def glibc() -> ctypes.CDLL | None:
    """The process's glibc, or None where the C library is another one."""
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def set_thresholds(mmap_bytes: int, trim_bytes: int) -> bool:
    """Set glibc's mmap and trim thresholds; False where glibc is absent or refuses."""
    libc = glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, mmap_bytes)) and bool(libc.mallopt(M_TRIM_THRESHOLD, trim_bytes))


@contextlib.contextmanager
def freed_memory_kept(keep_bytes: int = KEEP_BYTES) -> Iterator[bool]:
    """Inside: freed blocks up to ``keep_bytes`` stay in the heap for reuse. Yields whether it took effect."""
    kept = set_thresholds(keep_bytes, keep_bytes)
    try:
        yield kept
    finally:
        if kept:
            set_thresholds(DEFAULT_MMAP_MAX, DEFAULT_TRIM_MAX)
            glibc().malloc_trim(0)
