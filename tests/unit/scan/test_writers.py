"""The scanner's outputs: scores.h5 grows block by block yet reads back verified by load_arrays; an error on the
way leaves no file (and no temporary one); triggers.csv has its columns in order."""

from __future__ import annotations

import csv
from pathlib import Path

import h5py
import numpy as np
import pytest

from anomaly_lab.io import CorruptFileError, load_arrays, load_attrs
from anomaly_lab.scan.writers import ScoresWriter, write_csv


def test_appended_blocks_read_back_whole_and_verified(tmp_path: Path) -> None:
    path = tmp_path / "scores.h5"
    rng = np.random.default_rng(0)
    blocks = [rng.standard_normal(n) for n in (5, 70_000, 3)]
    with ScoresWriter(path, {"score": np.float64, "file_index": np.int32}) as w:
        for i, b in enumerate(blocks):
            w.append({"score": b, "file_index": np.full(len(b), i)})
        w.add("triggers/score", np.array([1.5, 2.5]))
        w.attrs = {"threshold": 1.25, "detector": "H1"}
        assert not path.exists()  # nothing at the final name until the writer closes
    arrays = load_arrays(path)
    np.testing.assert_array_equal(arrays["score"], np.concatenate(blocks))
    assert arrays["file_index"].dtype == np.int32 and arrays["file_index"][-1] == 2 and w.rows == 70_008
    np.testing.assert_array_equal(arrays["triggers/score"], [1.5, 2.5])
    assert load_attrs(path) == {"threshold": 1.25, "detector": "H1"}


def test_columns_come_from_the_first_rows_when_not_given(tmp_path: Path) -> None:
    with ScoresWriter(tmp_path / "s.h5") as w:
        w.append({"score": np.ones(3), "above_threshold": np.array([True, False, True])})
        with pytest.raises(ValueError, match="expected exactly"):
            w.append({"score": np.ones(3)})
    assert load_arrays(tmp_path / "s.h5")["above_threshold"].tolist() == [True, False, True]


def test_the_record_catches_a_changed_value(tmp_path: Path) -> None:
    path = tmp_path / "scores.h5"
    with ScoresWriter(path, {"score": np.float64}) as w:
        w.append({"score": np.arange(10.0)})
    with h5py.File(path, "r+") as f:
        f["score"][3] = 99.0
    with pytest.raises(CorruptFileError, match="'score' crc32"):
        load_arrays(path)


def test_an_error_mid_scan_leaves_no_scores_file_and_no_temporary(tmp_path: Path) -> None:
    old = tmp_path / "scores.h5"
    with ScoresWriter(old, {"score": np.float64}) as w:
        w.append({"score": np.zeros(2)})
    with pytest.raises(RuntimeError, match="killed"), ScoresWriter(old, {"score": np.float64}) as w:
        w.append({"score": np.ones(5)})
        raise RuntimeError("killed mid-way")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.h5"]
    assert load_arrays(old)["score"].tolist() == [0.0, 0.0]  # the previous complete file, untouched


def test_trigger_csv_has_its_columns_in_order_at_full_precision(tmp_path: Path) -> None:
    columns = {"gps_start": np.array([1126259462.4150391]), "gps_end": np.array([1.0]), "gps_peak": np.array([2.0]),
               "score": np.array([3.0]), "detector": ["H1"]}  # fmt: skip
    path = write_csv(tmp_path / "triggers.csv", columns)
    with open(path) as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["gps_start", "gps_end", "gps_peak", "score", "detector"]
    assert float(rows[1][0]) == 1126259462.4150391 and rows[1][4] == "H1"
