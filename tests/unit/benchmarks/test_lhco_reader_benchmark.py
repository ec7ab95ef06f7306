"""The LHCO reader benchmark on a small synthetic file: every reader reads every event, and only its own section
of experiments/benchmarks.md is rewritten."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from anomaly_lab.benchmarks.lhco_reader import (
    HEADING,
    READERS,
    read_h5py,
    read_ours,
    read_pandas,
    run,
    synthetic_events,
    write_synthetic,
)
from anomaly_lab.data.lhco.rnd_format import iter_events


def test_synthetic_events_look_like_the_rnd_file() -> None:
    particles, labels = synthetic_events(200, np.random.default_rng(0))
    assert particles.shape == (200, 700, 3) and set(np.unique(labels)) == {0, 1}
    pt = particles[..., 0]
    # pT-ordered with zero padding after the real particles, as the reader hands events on
    assert np.all(np.diff(pt, axis=1) <= 0) and np.all((pt == 0) == ~particles.any(axis=2))


@pytest.mark.parametrize(("reader", "extra"), [(read_h5py, ()), (read_pandas, ()), (read_ours, (False,)),
                                               (read_ours, (True,))])  # fmt: skip
def test_every_reader_reads_every_event(tmp_path: Path, reader, extra: tuple) -> None:
    path = tmp_path / "events.h5"
    write_synthetic(path, 250, chunk=100)
    assert reader(str(path), 60, *extra) == 250  # chunks of 60 do not divide 250: the last one counts too


def test_benchmark_writes_its_section_and_removes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    out.write_text(f"# Benchmarks\n\n## Other study\n\nkept\n\n{HEADING}\n\nstale\n")
    run(300, 100, out, str(tmp_path), fresh_process=False)
    text = out.read_text()
    assert "## Other study" in text and "kept" in text and "stale" not in text and text.count(HEADING) == 1
    rows = [line.split("|")[1].strip() for line in text.splitlines() if line.startswith("| ") and "|---" not in line]
    assert rows[1:] == [name for name, _, _ in READERS]  # a header, then one row per reader in order
    assert "--n 300 --chunk 100" in text
    assert list(tmp_path.iterdir()) == [out]  # the synthetic file is gone


def test_written_synthetic_file_reads_back_as_generated(tmp_path: Path) -> None:
    path = tmp_path / "events.h5"
    write_synthetic(path, 30, chunk=20, seed=4)
    rng = np.random.default_rng(4)
    first, second = synthetic_events(20, rng), synthetic_events(10, rng)
    particles, labels = (np.concatenate(parts) for parts in zip(first, second, strict=True))
    ((got, got_labels),) = list(iter_events(path, chunk_size=30))
    np.testing.assert_array_equal(got, particles)
    np.testing.assert_array_equal(got_labels, labels)
