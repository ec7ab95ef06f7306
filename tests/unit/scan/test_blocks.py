"""Block planning: every window of a stretch is cut once, from a block that gives it training's clearances."""

from __future__ import annotations

import pytest

from anomaly_lab.scan.blocks import WindowGrid, blocks

# the gw defaults at 2048 Hz: 0.25 s window at 5.5 s inside an 8 s context; stride 1/16 s
GRID = WindowGrid(n_window=512, stride=128, lead=11264, tail=4608)


@pytest.mark.parametrize("n_samples", [16384, 16385, 16384 + 127, 16384 + 128, 40_000, 300_000, 1_000_003])
@pytest.mark.parametrize("block", [16384, 16384 + 128, 50_000, 131072])
def test_every_window_is_cut_once_with_its_clearances(n_samples: int, block: int) -> None:
    plan = list(blocks(GRID, n_samples, block))
    cut = [k for b in plan for k in range(b.k_lo, b.k_hi)]
    assert cut == list(range(GRID.count(n_samples)))
    for b in plan:
        assert 0 <= b.lo < b.hi <= n_samples and b.hi - b.lo == min(block, n_samples)
        for k in (b.k_lo, b.k_hi - 1):
            assert GRID.start(k) - b.lo >= GRID.lead  # as far from the block's start as training's window
            assert b.hi - (GRID.start(k) + GRID.n_window) >= GRID.tail  # and from its end


def test_window_count_and_starts_follow_the_stride() -> None:
    assert GRID.count(GRID.n_context - 1) == 0 and GRID.count(GRID.n_context) == 1
    assert GRID.count(GRID.n_context + 127) == 1 and GRID.count(GRID.n_context + 128) == 2
    assert GRID.start(0) == GRID.lead and GRID.start(3) == GRID.lead + 3 * 128


def test_a_stretch_too_short_for_one_window_gives_no_block() -> None:
    assert list(blocks(GRID, GRID.n_context - 1, 100_000)) == []


def test_a_block_shorter_than_the_context_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot hold one window"):
        list(blocks(GRID, 100_000, GRID.n_context - 1))
