"""LHC Olympics R&D reader on bad input: one clear line for every kind of bad file, pT order, no NaN passed on."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from anomaly_lab.data.lhco.rnd_format import LhcoFormatError, event_rows, iter_events, n_events, write_events


def events(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n events with 1..30 real particles each, pT-descending and zero-padded as the format's files are."""
    rng = np.random.default_rng(seed)
    particles = np.zeros((n, 700, 3), np.float32)
    n_real = rng.integers(1, 31, n)
    for i, k in enumerate(n_real):
        particles[i, :k, 0] = np.sort(rng.exponential(50.0, k))[::-1] + 1.0
        particles[i, :k, 1] = rng.normal(0.0, 1.5, k)
        particles[i, :k, 2] = rng.uniform(-np.pi, np.pi, k)
    return particles, np.arange(n) % 2


def first_chunk(path: Path) -> None:
    next(iter_events(path))


def raises_one_line(read: Callable[[Path], object], path: Path) -> str:
    with pytest.raises(LhcoFormatError) as err:
        read(path)
    message = str(err.value)
    assert str(path) in message and "\n" not in message
    return message


@pytest.mark.parametrize("read", [n_events, first_chunk], ids=["n_events", "iter_events"])
@pytest.mark.parametrize("problem", ["missing", "empty", "truncated", "not_hdf5"])
def test_unreadable_file_says_why(tmp_path: Path, problem: str, read: Callable[[Path], object]) -> None:
    path = tmp_path / "events_anomalydetection.h5"
    expected = {"missing": "no such file", "empty": "empty file", "not_hdf5": "not a pandas HDF5 file"}.get(problem)
    if problem == "empty":
        path.touch()
    elif problem == "not_hdf5":
        path.write_text("pT, eta, phi\n")
    elif problem == "truncated":
        write_events(path, *events(40))
        size = path.stat().st_size
        os.truncate(path, size // 2)
        expected = f"truncated HDF5 file ({size // 2} bytes on disk, the file's header says {size})"
    message = raises_one_line(read, path)
    assert expected in message and "key 'df'" in message
    assert problem == "truncated" or "truncated" not in message


@pytest.mark.parametrize("problem", ["other_key", "not_pandas", "series"])
def test_wrong_key_names_the_key_and_what_it_holds(tmp_path: Path, problem: str) -> None:
    path = tmp_path / "events.h5"
    if problem == "other_key":
        pd.DataFrame(np.zeros((3, 2101))).to_hdf(path, key="events")
    elif problem == "not_pandas":
        with h5py.File(path, "w") as f:
            f["df"] = np.zeros((3, 2101))
    else:
        pd.Series(np.zeros(3)).to_hdf(path, key="df")
    message = raises_one_line(first_chunk, path)
    assert {
        "other_key": "no key 'df' (found ['/events']",
        "not_pandas": "key 'df' holds 'no pandas object', expected a pandas DataFrame",
        "series": "key 'df' holds 'series', expected a pandas DataFrame",
    }[problem] in message


@pytest.mark.parametrize("n_columns", [3, 2099, 2102])
def test_wrong_column_count_is_named(tmp_path: Path, n_columns: int) -> None:
    path = tmp_path / "events.h5"
    pd.DataFrame(np.zeros((3, n_columns))).to_hdf(path, key="df", format="fixed")
    message = raises_one_line(first_chunk, path)
    assert f"key 'df' has {n_columns} columns, expected 2101 columns" in message


@pytest.mark.parametrize("layout", ["fixed", "table"])
def test_text_column_is_named_not_a_pandas_traceback(tmp_path: Path, layout: str) -> None:
    path = tmp_path / "events.h5"
    frame = pd.DataFrame(event_rows(*events(4)))
    frame[5] = ["a", "b", "c", "d"]
    frame.to_hdf(path, key="df", format=layout)
    message = raises_one_line(first_chunk, path)
    assert "key 'df' column 5 holds" in message and "expected numbers" in message


def test_non_float_block_is_named(tmp_path: Path) -> None:
    path = tmp_path / "events.h5"
    pd.DataFrame(event_rows(*events(4)).astype(np.complex128)).to_hdf(path, key="df", format="fixed")
    message = raises_one_line(first_chunk, path)
    assert "key 'df' column 'df/block0_values' holds complex128, expected numbers" in message


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_value_is_never_yielded_and_its_row_is_named(tmp_path: Path, bad: float) -> None:
    particles, labels = events(25)
    particles[17, 3, 1] = bad  # eta of particle 3 in event 17: column 3 * 3 + 1
    particles[21, 0, 0] = bad  # a later bad row is not the one to report
    path = write_events(tmp_path / "events.h5", particles, labels)
    yielded = []
    with pytest.raises(LhcoFormatError) as err:
        for chunk, _ in iter_events(path, chunk_size=10):
            yielded.append(chunk)
    assert [len(c) for c in yielded] == [10] and all(np.isfinite(c).all() for c in yielded)
    message = str(err.value)
    assert f"{path}: key 'df' row 17 column 10 holds {bad}, expected a finite eta of particle 3" in message
    # read from row 18 on, the first bad row is the later one, still counted from the file's start
    with pytest.raises(LhcoFormatError, match="row 21 column 0 holds .*, expected a finite pT of particle 0"):
        list(iter_events(path, chunk_size=10, start=18))


@pytest.mark.parametrize("label", [np.nan, 0.5, 2.0])
def test_bad_label_is_named(tmp_path: Path, label: float) -> None:
    particles, labels = events(6)
    labels = labels.astype(np.float64)
    labels[4] = label
    path = write_events(tmp_path / "events.h5", particles, labels)
    message = raises_one_line(lambda p: list(iter_events(p, chunk_size=4)), path)
    assert f"key 'df' row 4 column 2100 holds {label}, expected a label 0 or 1" in message


@pytest.mark.parametrize("read", [n_events, first_chunk], ids=["n_events", "iter_events"])
def test_table_without_rows_is_named(tmp_path: Path, read: Callable[[Path], object]) -> None:
    path = tmp_path / "events.h5"
    pd.DataFrame(np.zeros((0, 2101))).to_hdf(path, key="df", format="fixed")
    assert "key 'df' holds no events" in raises_one_line(read, path)


def test_shuffled_particles_come_back_leading_first(tmp_path: Path) -> None:
    particles, labels = events(8, seed=3)
    particles[0, :4] = [(40.0, 0.1, 0.0), (40.0, 0.2, 0.0), (40.0, 0.3, 0.0), (10.0, 0.0, 0.0)]  # a pT tie
    rng = np.random.default_rng(1)
    shuffled = np.stack([event[rng.permutation(700)] for event in particles])
    path = write_events(tmp_path / "shuffled.h5", shuffled, labels)
    chunks = list(iter_events(path, chunk_size=3))
    got, got_labels = np.concatenate([p for p, _ in chunks]), np.concatenate([lab for _, lab in chunks])
    assert np.array_equal(got_labels, labels)
    n_real = (particles[..., 0] > 0).sum(1)
    for event, original, k in zip(got, shuffled, n_real, strict=True):
        assert np.all(np.diff(event[:k, 0]) <= 0) and np.all(event[:k, 0] > 0)  # real particles, pT descending
        assert not event[k:].any()  # then only padding
        same = np.lexsort(event.T), np.lexsort(original.T)
        assert np.array_equal(event[same[0]], original[same[1]])  # the same particles, only reordered
    tied = [[eta for pt, eta, _ in event.tolist() if pt == 40.0] for event in (got[0], shuffled[0])]
    assert len(tied[0]) == 3 and tied[0] == tied[1]  # equal pT keeps the file's order
