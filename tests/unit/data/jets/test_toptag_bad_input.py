"""Top Quark Tagging reader on bad input: one clear line for every kind of bad file, pT order, no NaN passed on."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from anomaly_lab.data.jets.toptag_format import (
    LABEL_COLUMN,
    TopTagFormatError,
    iter_jets,
    jet_frame,
    n_jets,
    write_jets,
)


def jets(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n jets with 1..40 constituents each, pT-descending and zero-padded as the reference files are."""
    rng = np.random.default_rng(seed)
    p4 = np.zeros((n, 200, 4), np.float32)
    for i, k in enumerate(rng.integers(1, 41, n)):
        pt, eta, phi = np.sort(rng.exponential(20.0, k))[::-1] + 1.0, rng.normal(0, 0.3, k), rng.normal(0, 0.3, k)
        p4[i, :k] = np.stack([pt * np.cosh(eta), pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)], -1)
    return p4, rng.random((n, 4)).astype(np.float32), np.arange(n) % 2


def frame(n: int, seed: int = 0) -> pd.DataFrame:
    return jet_frame(*jets(n, seed), ttv=0)


def first_chunk(path: Path) -> None:
    next(iter_jets(path))


def raises_one_line(read: Callable[[Path], object], path: Path) -> str:
    with pytest.raises(TopTagFormatError) as err:
        read(path)
    message = str(err.value)
    assert str(path) in message and "\n" not in message
    return message


@pytest.mark.parametrize("read", [n_jets, first_chunk], ids=["n_jets", "iter_jets"])
@pytest.mark.parametrize("problem", ["missing", "empty", "truncated", "not_hdf5"])
def test_unreadable_file_says_why(tmp_path: Path, problem: str, read: Callable[[Path], object]) -> None:
    path = tmp_path / "train.h5"
    expected = {"missing": "no such file", "empty": "empty file", "not_hdf5": "not a pandas HDF5 store"}.get(problem)
    if problem == "empty":
        path.touch()
    elif problem == "not_hdf5":
        path.write_text("E_0,PX_0\n")
    elif problem == "truncated":
        write_jets(path, [frame(30)])
        size = path.stat().st_size
        os.truncate(path, size // 2)
        expected = f"truncated HDF5 file ({size // 2} bytes on disk, the file's header says {size})"
    message = raises_one_line(read, path)
    assert expected in message and "key 'table'" in message
    assert problem == "truncated" or "truncated" not in message


@pytest.mark.parametrize("problem", ["other_key", "not_pandas", "series"])
def test_wrong_key_names_the_key_and_what_it_holds(tmp_path: Path, problem: str) -> None:
    path = tmp_path / "train.h5"
    if problem == "other_key":
        write_jets(path, [frame(3)], key="jets")
    elif problem == "not_pandas":
        with h5py.File(path, "w") as f:
            f["table"] = np.zeros((3, 806))
    else:
        pd.Series(np.zeros(3)).to_hdf(path, key="table")
    message = raises_one_line(first_chunk, path)
    assert {
        "other_key": "no key 'table' (found ['/jets']",
        "not_pandas": "key 'table' holds 'no pandas object', expected a pandas DataFrame",
        "series": "key 'table' holds 'series', expected a pandas DataFrame",
    }[problem] in message


@pytest.mark.parametrize("dropped", [["PZ_199"], ["E_0", "PX_0"], [LABEL_COLUMN]])
def test_missing_columns_are_named(tmp_path: Path, dropped: list[str]) -> None:
    path = tmp_path / "train.h5"
    frame(5).drop(columns=dropped).to_hdf(path, key="table", format="fixed")
    message = raises_one_line(n_jets, path)
    assert f"key 'table' lacks {len(dropped)} columns, first {dropped}" in message


@pytest.mark.parametrize("layout", ["fixed", "table"])
@pytest.mark.parametrize("column", ["PX_3", LABEL_COLUMN])
def test_text_column_is_named_not_a_pandas_traceback(tmp_path: Path, column: str, layout: str) -> None:
    path = tmp_path / "train.h5"
    bad = frame(4)
    bad[column] = ["a", "b", "c", "d"]
    bad.to_hdf(path, key="table", format=layout)
    message = raises_one_line(first_chunk, path)
    assert f"key 'table' column '{column}' holds" in message and "expected numbers" in message


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_value_is_never_yielded_and_its_row_is_named(tmp_path: Path, bad: float) -> None:
    p4, truth, labels = jets(25)
    p4[17, 2, 1] = bad  # PX_2 of jet 17
    p4[21, 0, 0] = bad  # a later bad row is not the one to report
    path = write_jets(tmp_path / "train.h5", [jet_frame(p4, truth, labels, 0)])
    yielded = []
    with pytest.raises(TopTagFormatError) as err:
        for chunk, _ in iter_jets(path, chunk_size=10):
            yielded.append(chunk)
    assert [len(c) for c in yielded] == [10] and all(np.isfinite(c).all() for c in yielded)
    assert f"{path}: key 'table' row 17 column 'PX_2' holds {bad}, expected a finite value" in str(err.value)


def test_bad_label_is_named(tmp_path: Path) -> None:
    p4, truth, labels = jets(6)
    labels[4] = 2
    path = write_jets(tmp_path / "train.h5", [jet_frame(p4, truth, labels, 0)])
    message = raises_one_line(lambda p: list(iter_jets(p, chunk_size=4)), path)
    assert f"key 'table' row 4 column '{LABEL_COLUMN}' holds 2.0, expected a label 0 or 1" in message


@pytest.mark.parametrize("read", [n_jets, first_chunk], ids=["n_jets", "iter_jets"])
def test_table_without_rows_is_named(tmp_path: Path, read: Callable[[Path], object]) -> None:
    path = tmp_path / "train.h5"
    frame(0).to_hdf(path, key="table", format="fixed")
    assert "key 'table' holds no jets" in raises_one_line(read, path)


@pytest.mark.parametrize("layout", ["fixed", "table"])
def test_shuffled_constituents_come_back_leading_first(tmp_path: Path, layout: str) -> None:
    p4, truth, labels = jets(8, seed=3)
    rng = np.random.default_rng(1)
    shuffled = np.stack([jet[rng.permutation(200)] for jet in p4])
    path = tmp_path / "train.h5"
    jet_frame(shuffled, truth, labels, 0).to_hdf(path, key="table", format=layout)
    chunks = list(iter_jets(path, chunk_size=3))
    got, got_labels = np.concatenate([c for c, _ in chunks]), np.concatenate([lab for _, lab in chunks])
    assert np.array_equal(got_labels, labels)
    n_real = p4.any(axis=2).sum(1)
    for jet, original, k in zip(got, shuffled, n_real, strict=True):
        pt = np.hypot(jet[:k, 1], jet[:k, 2])
        assert np.all(np.diff(pt) <= 0) and np.all(pt > 0)  # real constituents, pT descending
        assert not jet[k:].any()  # then only padding
        same = np.lexsort(jet.T), np.lexsort(original.T)
        assert np.array_equal(jet[same[0]], original[same[1]])  # the same constituents, only reordered
