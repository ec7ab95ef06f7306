"""Where the scanner's whitening blocks and windows sit in a valid stretch of strain (sample arithmetic only).

A training window was whitened inside its own context chunk, `lead` samples after the chunk's start and `tail`
samples before its end. The scanner whitens one long block and cuts many windows from it, each at least `lead`
after the block's start and `tail` before its end, so every window sees at least the clearance from the edge
tapers that training's did. Consecutive blocks overlap by at least `lead + window + tail - stride` samples, so no
window is lost between them, and each window is cut from one block only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class WindowGrid:
    """Windows of `n_window` samples every `stride` samples, each needing `lead` before and `tail` after it."""

    n_window: int
    stride: int
    lead: int
    tail: int

    @property
    def n_context(self) -> int:
        """The shortest span that holds one window with its clearances (training's context chunk)."""
        return self.lead + self.n_window + self.tail

    def count(self, n_samples: int) -> int:
        """Windows in a stretch of `n_samples`: window k starts at `lead + k * stride`."""
        return 0 if n_samples < self.n_context else (n_samples - self.n_context) // self.stride + 1

    def start(self, k: int) -> int:
        """First sample of window k in its stretch."""
        return self.lead + k * self.stride


@dataclass(frozen=True)
class Block:
    """Samples [lo, hi) of a stretch, whitened together, and the windows [k_lo, k_hi) cut from them."""

    lo: int
    hi: int
    k_lo: int
    k_hi: int


def blocks(grid: WindowGrid, n_samples: int, block: int) -> Iterator[Block]:
    """Blocks of `block` samples (the whole stretch when shorter) covering every window of the stretch once.

    Each block starts `lead` before its first window; the last one is moved back to end with the stretch, so
    every block but a short stretch's single one has the same length (one whitening filter serves them all)."""
    if block < grid.n_context:
        raise ValueError(f"block of {block} samples cannot hold one window with its clearances ({grid.n_context})")
    n = grid.count(n_samples)
    length = min(block, n_samples)
    k = 0
    while k < n:
        lo = min(grid.start(k) - grid.lead, n_samples - length)
        hi = lo + length
        # the last window whose clearance ends inside the block: k * stride + n_context <= hi
        k_hi = min(n, (hi - grid.n_context) // grid.stride + 1)
        yield Block(lo, hi, k, k_hi)
        k = k_hi
