"""Freed memory kept during the fit: a large block is reused from the heap, not page-faulted in anew."""

import ctypes
import resource

import pytest

from claimnet.training.allocator import freed_memory_kept, glibc

pytestmark = pytest.mark.skipif(glibc() is None, reason="the C library is not glibc: the module does nothing there")
BLOCK = 48 << 20  # the size of MiniLM's word-embedding gradient, above glibc's largest adaptive mmap threshold
HUGE_PAGE = 2 << 20  # the fewest faults a fresh mapping of BLOCK can take (transparent huge pages always on)


def faults_per_block(blocks: int = 4) -> float:
    """Minor page faults for each malloc-touch-free of a BLOCK through glibc (after one to warm the heap)."""
    libc = glibc()
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]

    def block() -> None:
        pointer = libc.malloc(BLOCK)
        assert pointer
        ctypes.memset(pointer, 1, BLOCK)
        libc.free(pointer)

    block()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(blocks):
        block()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / blocks


def test_large_blocks_are_reused_inside_and_mapped_afresh_after():
    fresh = BLOCK // HUGE_PAGE
    assert faults_per_block() >= fresh  # glibc's default: mmap on malloc, munmap on free
    with freed_memory_kept() as kept:
        assert kept
        assert faults_per_block() < 4
    assert faults_per_block() >= fresh  # thresholds put back: the process does not hold the fit's memory
