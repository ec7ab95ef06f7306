"""The LHC Olympics R&D file format: our writer round-trips through pandas, every pandas layout reads back the
same, the reader streams with bounded memory, and a bad file is one clear line."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from anomaly_lab.data.lhco.rnd_format import (
    EventWriter,
    LhcoFormatError,
    event_rows,
    iter_events,
    n_events,
    write_events,
)


def events(n: int, seed: int = 0, n_real: int = 40) -> np.ndarray:
    """(n, 700, 3) events: `n_real` pT-ordered particles, then zero padding."""
    rng = np.random.default_rng(seed)
    particles = np.zeros((n, 700, 3), np.float32)
    particles[:, :n_real, 0] = np.sort(rng.exponential(50.0, (n, n_real)), axis=1)[:, ::-1] + 1.0
    particles[:, :n_real, 1] = rng.normal(0.0, 1.5, (n, n_real))
    particles[:, :n_real, 2] = rng.uniform(-np.pi, np.pi, (n, n_real))
    return particles


def test_writer_round_trips_through_pandas(tmp_path: Path) -> None:
    particles, labels = events(50), np.arange(50) % 2
    path = write_events(tmp_path / "events.h5", particles, labels, chunk_size=16)
    frame = pd.read_hdf(path, "df")
    expected = pd.DataFrame(event_rows(particles, labels), columns=range(2101))
    pd.testing.assert_frame_equal(frame, expected)
    assert frame.iloc[:, :3].to_numpy().tolist() == particles[:, 0].astype(np.float64).tolist()  # p0: pT, eta, phi
    assert pd.read_hdf(path, "df", start=10, stop=12).index.tolist() == [10, 11]
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


@pytest.mark.parametrize("layout", ["pandas fixed", "pandas table", "int8 label column", "blosc"])
def test_every_pandas_layout_reads_back_the_same_events(tmp_path: Path, layout: str) -> None:
    particles, labels = events(50), np.arange(50) % 2
    frame = pd.DataFrame(event_rows(particles, labels))
    path = tmp_path / "events.h5"
    if layout == "pandas fixed":  # the public file's layout, written by pandas itself
        frame.to_hdf(path, key="df", format="fixed")
    elif layout == "pandas table":
        frame.to_hdf(path, key="df", format="table")
    elif layout == "int8 label column":  # a second block: read through pandas
        frame.astype({2100: np.int8}).to_hdf(path, key="df", format="fixed")
    else:  # a PyTables filter h5py cannot decode: read through PyTables
        write_events(path, particles, labels, complib="blosc:lz4")
    chunks = list(iter_events(path, chunk_size=20))
    assert [len(p) for p, _ in chunks] == [20, 20, 10]
    assert np.array_equal(np.concatenate([p for p, _ in chunks]), particles)
    assert np.array_equal(np.concatenate([lab for _, lab in chunks]), labels)


def test_black_box_has_no_labels(tmp_path: Path) -> None:
    particles = events(50)
    write_events(tmp_path / "box.h5", particles)
    assert pd.read_hdf(tmp_path / "box.h5", "df").shape == (50, 2100)
    assert all(lab is None for _, lab in iter_events(tmp_path / "box.h5", chunk_size=20))
    with EventWriter(tmp_path / "x.h5", labelled=False) as w, pytest.raises(ValueError, match="not expected"):
        w.append(particles, np.zeros(50))


def test_reader_streams_chunks_with_bounded_memory(tmp_path: Path) -> None:
    particles = events(2000, n_real=300)
    labels = np.arange(2000) % 3 == 0
    path = write_events(tmp_path / "big.h5", particles, labels.astype(int), chunk_size=500)
    file_bytes = 2000 * 2101 * 8
    chunk_bytes = 100 * 2101 * 8
    tracemalloc.start()
    try:
        sizes, first = [], None
        for p, lab in iter_events(path, chunk_size=100):
            sizes.append(len(p))
            first = first if first is not None else (p.copy(), lab.copy())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sizes == [100] * 20 and n_events(path) == 2000
    assert np.array_equal(first[0], particles[:100]) and np.array_equal(first[1], labels[:100])
    assert first[0].dtype == np.float32 and first[0].shape == (100, 700, 3)
    assert peak < 6 * chunk_bytes < file_bytes / 3, f"peak {peak / 1e6:.1f} MB for {file_bytes / 1e6:.0f} MB of rows"


def test_bad_file_gives_one_line_error(tmp_path: Path) -> None:
    cases = {}
    cases["no such file"] = tmp_path / "missing.h5"
    (tmp_path / "text.h5").write_text("not hdf5")
    cases["not a pandas HDF5 file"] = tmp_path / "text.h5"
    pd.DataFrame(np.zeros((3, 2101))).to_hdf(tmp_path / "other_key.h5", key="events")
    cases["no key 'df'"] = tmp_path / "other_key.h5"
    pd.DataFrame(np.zeros((3, 2102))).to_hdf(tmp_path / "columns.h5", key="df")
    cases["has 2102 columns, expected 2101 columns"] = tmp_path / "columns.h5"
    for expected, path in cases.items():
        with pytest.raises(LhcoFormatError) as err:
            next(iter_events(path))
        message = str(err.value)
        assert expected in message and str(path) in message and "\n" not in message
