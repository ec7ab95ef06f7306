"""GWOSC chunk positions: the default is unchanged, a stride cuts overlapping windows, splits stay apart in time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from anomaly_lab.data.gw.gwosc import GwoscFormatError
from anomaly_lab.data.gw.sources import GwoscStrain
from tests.writers import write_gwosc_file

FS, CONTEXT, WINDOW, STRIDE = 2048.0, 4 * 2048, 512, 1024  # 4 s chunks, 0.25 s windows, 0.5 s stride
SIZES = {"train": 40, "val": 10, "test_background": 10, "val_signal": 8, "test_signal": 10}
FLAGS = ["DATA", "CBC_CAT1"]


@pytest.fixture(scope="module")
def long_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gwosc") / "H-H1_GWOSC_4KHZ_R1-1126259446-128.hdf5"
    return write_gwosc_file(path, duration_s=128, nan_seconds=(50, 54), failed_cat1_seconds=(90, 92))


def source(path: Path, **kwargs: object) -> GwoscStrain:
    return GwoscStrain([str(path)], FS, CONTEXT, WINDOW, FLAGS, [], 4.0, seed=3, **kwargs)


def owners(src: GwoscStrain) -> list[np.ndarray]:
    """Per stretch, which split's chunk covers each sample (-1: none); fails on a sample two splits share."""
    out = [np.full(len(x), -1) for x in src.stretches]
    for k, positions in enumerate(src.split_positions.values()):
        for i, start in positions:
            span = out[i][start : start + CONTEXT]
            assert np.all((span == -1) | (span == k)), "a sample lies in two splits' chunks"
            span[:] = k
    return out


def test_default_positions_are_todays_one_window_apart_shuffled_over_all_stretches(long_file: Path) -> None:
    src = source(long_file)
    today = [(i, s) for i, x in enumerate(src.stretches) for s in range(0, len(x) - CONTEXT + 1, WINDOW)]
    np.random.default_rng(3).shuffle(today)
    assert src._positions == today and src.n_available == len(today)
    chunks = list(src.chunks(5, np.random.default_rng(0)))
    for chunk, (i, s) in zip(chunks, today[:5], strict=True):
        np.testing.assert_array_equal(chunk, src.stretches[i][s : s + CONTEXT])


def test_splits_share_no_sample_and_lie_in_ordered_blocks_one_chunk_apart(long_file: Path) -> None:
    src = source(long_file, stride=STRIDE, split_sizes=SIZES)
    owner = np.concatenate(owners(src))  # the stretches laid end to end: the valid time
    used = [np.flatnonzero(owner == k) for k in range(len(SIZES))]
    assert all(len(u) for u in used)
    for k in range(len(SIZES) - 1):
        # split order in time is the request order, with at least one chunk length of valid data between
        assert used[k + 1][0] - used[k][-1] > CONTEXT


def test_windows_inside_a_split_are_cut_at_the_stride_and_shuffled(long_file: Path) -> None:
    src = source(long_file, stride=STRIDE, split_sizes=SIZES)
    for name, positions in src.split_positions.items():
        grid = src.grid(*src.blocks[name])
        assert len(positions) == SIZES[name] and set(positions) <= set(grid)
        for i in {i for i, _ in grid}:
            assert set(np.diff([s for j, s in grid if j == i])) <= {STRIDE}
    train = src.split_positions["train"]
    assert train != sorted(train)


def test_a_short_stride_supplies_more_windows_than_the_default(long_file: Path) -> None:
    sizes = SIZES | {"train": 400}  # 100 s of windows at the default 0.25 s; the file holds ~120 s of valid data
    with pytest.raises(GwoscFormatError, match="at a stride of 0.25 s"):
        source(long_file, split_sizes=sizes)
    src = source(long_file, stride=WINDOW // 2, split_sizes=sizes)
    for name, n in sizes.items():
        assert len(list(src.chunks(n, np.random.default_rng(0)))) == n, name


def test_too_few_windows_for_a_split_is_a_one_line_error_with_the_count(long_file: Path) -> None:
    with pytest.raises(GwoscFormatError) as err:
        source(long_file, stride=STRIDE, split_sizes=SIZES | {"val": 100000})
    message = str(err.value)
    assert message.startswith("data.files: at a stride of 0.5 s the valid data hold") and "\n" not in message
    assert "split 'val' (100000) does not fit" in message


def test_a_split_may_be_drawn_in_parts_but_never_into_the_next(long_file: Path) -> None:
    src = source(long_file, stride=STRIDE, split_sizes=SIZES)
    rng = np.random.default_rng(0)
    first = [c.copy() for c in src.chunks(30, rng)] + [c.copy() for c in src.chunks(10, rng)]  # train, in two parts
    whole = [c.copy() for c in source(long_file, stride=STRIDE, split_sizes=SIZES).chunks(40, rng)]
    np.testing.assert_array_equal(np.array(first), np.array(whole))
    assert len(list(src.chunks(8, rng))) == 8  # part of val
    with pytest.raises(ValueError, match="only 2 windows are left"):
        list(src.chunks(3, rng))
