"""The ADC2021 reader: good files stream back exactly, each kind of bad file is one clear error naming the problem."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from anomaly_lab.data.adc2021.objects_format import (
    ObjectFormatError,
    ObjectWriter,
    iter_objects,
    n_events,
    write_objects,
)
from tests.writers import adc2021_events


def _raw_file(path: Path, particles: np.ndarray, **extra: np.ndarray) -> Path:
    with h5py.File(path, "w") as f:
        f["Particles"] = particles
        f["Particles_Names"] = np.array([b"Pt", b"Eta", b"Phi", b"Class"])
        f["Particles_Classes"] = np.array([b"MET_class_1", b"Four_Ele_class_2", b"Four_Mu_class_3", b"Ten_Jet_class_4"])
        for k, v in extra.items():
            if k in f:
                del f[k]
            f[k] = v
    return path


def test_written_file_streams_back_in_chunks_exactly(tmp_path: Path) -> None:
    events = adc2021_events(1000, seed=1)
    path = write_objects(tmp_path / "bg.h5", events)
    chunks = list(iter_objects(path, chunk_size=300))
    assert [len(c) for c in chunks] == [300, 300, 300, 100]
    np.testing.assert_array_equal(np.concatenate(chunks), events.astype(np.float32))
    assert n_events(path) == 1000
    with h5py.File(path) as f:
        assert [n.decode() for n in f["Particles_Names"][()]] == ["Pt", "Eta", "Phi", "Class"]


def test_public_layout_without_names_is_read(tmp_path: Path) -> None:
    path = tmp_path / "cut.h5"
    with h5py.File(path, "w") as f:
        f["Particles"] = adc2021_events(10)
    assert n_events(path) == 10


def test_black_box_ids_come_with_their_events(tmp_path: Path) -> None:
    events = adc2021_events(50, seed=2)
    with ObjectWriter(tmp_path / "bb.h5", event_ids=True) as w:
        w.append(events[:20], ids=np.arange(100, 120))
        w.append(events[20:])
    (objects, ids), *_ = list(iter_objects(tmp_path / "bb.h5", 100, with_ids=True))
    np.testing.assert_array_equal(ids, np.r_[np.arange(100, 120), np.arange(20, 50)])
    np.testing.assert_array_equal(objects, events.astype(np.float32))


def test_failed_write_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "half.h5"
    with pytest.raises(RuntimeError), ObjectWriter(path) as w:
        w.append(adc2021_events(10))
        raise RuntimeError("crash mid-write")
    assert not path.exists() and not list(tmp_path.iterdir())


def _bad(events: np.ndarray, event: int, row: int, values: list[float]) -> np.ndarray:
    out = events.copy()
    out[event, row] = values
    return out


GOOD = adc2021_events(20, seed=3)


@pytest.mark.parametrize(
    ("particles", "extra", "message"),
    [
        (GOOD[:, :18], {}, "has shape (20, 18, 4)"),
        (GOOD[..., :3], {}, "has shape (20, 19, 3)"),
        (GOOD[:0], {}, "holds no events"),
        (
            _bad(GOOD, 7, 2, [40.0, 0.1, 0.2, 3.0]),
            {},
            "event 7 row 2 is [40.0, 0.10000000149011612, 0.20000000298023224, 3.0], expected class 2 (electrons) or 0",
        ),
        (_bad(GOOD, 4, 12, [0.0, 0.3, 0.0, 0.0]), {}, "event 4 row 12"),
        (_bad(GOOD, 5, 10, [np.nan, 0.3, 0.0, 4.0]), {}, "expected finite values"),
        (_bad(GOOD, 6, 0, [30.0, 1.0, 0.0, 1.0]), {}, "expected eta = 0 for MET"),
        (_bad(GOOD, 8, 9, [-5.0, 1.0, 0.0, 4.0]), {}, "expected pT >= 0"),
        (GOOD, {"Particles_Names": np.array([b"pt", b"eta", b"phi", b"type"])}, "key 'Particles_Names' is"),
        (GOOD, {"Particles_Classes": np.array([b"a", b"b", b"c", b"d"])}, "key 'Particles_Classes' is"),
        (GOOD, {"EvtId": np.arange(3)}, "key 'EvtId' has shape (3,), expected (20,)"),
        (GOOD.astype("S8"), {}, "holds |S8, expected numbers"),
    ],
    ids=[
        "rows",
        "columns",
        "empty",
        "class-in-wrong-row",
        "empty-slot-not-zero",
        "nan",
        "met-eta",
        "negative-pt",
        "names",
        "classes",
        "evtid",
        "strings",
    ],  # fmt: skip
)
def test_bad_file_is_one_clear_error(tmp_path: Path, particles: np.ndarray, extra: dict, message: str) -> None:
    path = _raw_file(tmp_path / "bad.h5", particles, **extra)
    with pytest.raises(ObjectFormatError) as err:
        for _ in iter_objects(path, 8):
            pass
    assert str(path) in str(err.value) and message in str(err.value)


@pytest.mark.parametrize(
    ("content", "message"), [(None, "no such file"), (b"", "empty file"), (b"not hdf5" * 100, "not an HDF5 file")]
)
def test_unreadable_file_is_one_clear_error(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "x.h5"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ObjectFormatError, match=message):
        n_events(path)


def test_file_without_particles_names_what_it_has(tmp_path: Path) -> None:
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["df"] = np.zeros(3)
    with pytest.raises(ObjectFormatError, match=r"no dataset 'Particles' \(found \['df'\]"):
        n_events(tmp_path / "other.h5")


def test_writer_failing_to_start_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(h5py.File, "create_dataset", full_disk)
    with pytest.raises(OSError, match="No space"), ObjectWriter(tmp_path / "new.h5"):
        pass
    assert list(tmp_path.iterdir()) == []


def test_evtid_group_and_bad_chunk_size_are_one_clear_error(tmp_path: Path) -> None:
    path = _raw_file(tmp_path / "bb.h5", GOOD)
    with h5py.File(path, "a") as f:
        f.create_group("EvtId")
    with pytest.raises(ObjectFormatError, match="key 'EvtId' is a group, expected a dataset of 20 event ids"):
        n_events(path)
    with pytest.raises(ValueError, match="chunk_size: expected at least 1 event, got 0"):
        next(iter_objects(write_objects(tmp_path / "ok.h5", GOOD), chunk_size=0))
