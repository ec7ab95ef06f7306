"""Top Quark Tagging file format: chunked reading, round trip through our writer and pandas, clear errors."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from anomaly_lab.data.jets.toptag_format import (
    CONSTITUENT_COLUMNS,
    LABEL_COLUMN,
    TopTagFormatError,
    iter_jets,
    jet_frame,
    n_jets,
    write_jets,
)


def synthetic_jets(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n jets of 50 constituents, pT-ordered and zero-padded as the reference files are (the reader sorts by pT)."""
    rng = np.random.default_rng(seed)
    p4 = rng.random((n, 200, 4)).astype(np.float32)
    p4[:, 50:] = 0.0
    order = np.argsort(-np.hypot(p4[..., 1], p4[..., 2]), axis=1, kind="stable")
    p4 = np.take_along_axis(p4, order[..., None], axis=1)
    return p4, rng.random((n, 4)).astype(np.float32), rng.integers(0, 2, n)


def test_written_file_reads_back_in_chunks(tmp_path: Path) -> None:
    p4, truth, labels = synthetic_jets(250)
    path = write_jets(tmp_path / "train.h5", [jet_frame(p4[:100], truth[:100], labels[:100], 0),
                                              jet_frame(p4[100:], truth[100:], labels[100:], 0)])  # fmt: skip
    assert n_jets(path) == 250
    chunks = list(iter_jets(path, chunk_size=80))
    assert [len(c[0]) for c in chunks] == [80, 80, 80, 10]
    np.testing.assert_array_equal(np.concatenate([c[0] for c in chunks]), p4)
    np.testing.assert_array_equal(np.concatenate([c[1] for c in chunks]), labels)


def test_written_file_is_a_pandas_store_with_the_reference_columns(tmp_path: Path) -> None:
    p4, truth, labels = synthetic_jets(10)
    path = write_jets(tmp_path / "val.h5", [jet_frame(p4, truth, labels, 2)])
    frame = pd.read_hdf(path, key="table")
    assert list(frame.columns[:4]) == ["E_0", "PX_0", "PY_0", "PZ_0"]
    assert list(frame.columns[-6:]) == ["truthE", "truthPX", "truthPY", "truthPZ", "ttv", LABEL_COLUMN]
    assert frame.shape == (10, 806) and (frame["ttv"] == 2).all()


def test_fixed_layout_files_read_the_same(tmp_path: Path) -> None:
    p4, truth, labels = synthetic_jets(30)
    path = tmp_path / "fixed.h5"
    jet_frame(p4, truth, labels, 1).to_hdf(path, key="table", format="fixed")
    got = np.concatenate([c[0] for c in iter_jets(path, chunk_size=7)])
    np.testing.assert_array_equal(got, p4)


@pytest.mark.parametrize("problem", ["missing", "not_hdf5", "wrong_key", "missing_column"])
def test_bad_files_give_one_line_errors_naming_file_and_key(tmp_path: Path, problem: str) -> None:
    path = tmp_path / "bad.h5"
    if problem == "not_hdf5":
        path.write_text("not a store")
    elif problem == "wrong_key":
        with h5py.File(path, "w") as f:
            f["jets"] = np.zeros(3)
    elif problem == "missing_column":
        p4, truth, labels = synthetic_jets(5)
        jet_frame(p4, truth, labels, 0).drop(columns=[CONSTITUENT_COLUMNS[-1]]).to_hdf(path, key="table")
    with pytest.raises(TopTagFormatError) as err:
        next(iter_jets(path))
    message = str(err.value)
    assert str(path) in message and "\n" not in message
    if problem in ("wrong_key", "missing_column"):
        assert "table" in message
