"""The dataset cache never serves stale, corrupt or half-written data, and HDF5 files carry their own check."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from multiprocessing.synchronize import Barrier
from pathlib import Path

import h5py
import numpy as np
import pytest

from anomaly_lab.data.cache import cached, config_key
from anomaly_lab.io import CorruptFileError, load_arrays, load_attrs, save_arrays

CFG = {"source": "files", "version": 1}


def counting_build(source: Path) -> tuple[Callable[[], dict[str, np.ndarray]], list[int]]:
    """A build that reads `source` into an array, and the list its calls are counted in."""
    calls: list[int] = []

    def build() -> dict[str, np.ndarray]:
        calls.append(1)
        return {"x": np.frombuffer(source.read_bytes(), dtype=np.uint8).copy()}

    return build, calls


def entry(cache_dir: Path) -> Path:
    return cache_dir / f"t-{config_key(CFG)}.h5"


def test_arrays_and_user_attrs_survive_a_round_trip(tmp_path: Path) -> None:
    record = np.zeros(2, dtype=[("snr", "f4"), ("id", "i8")])
    record["snr"], record["id"] = [8.5, 12.0], [3, 4]
    arrays = {"score": np.linspace(0, 1, 5, dtype=np.float32), "label": np.array([0, 1, 0, 1, 1]), "inj": record}
    arrays["reference/pca"] = np.arange(5.0)
    save_arrays(tmp_path / "scores.h5", arrays, {"threshold": 0.3, "policy": "fpr"})

    back = load_arrays(tmp_path / "scores.h5")
    assert back.keys() == arrays.keys()
    for name, arr in arrays.items():
        np.testing.assert_array_equal(back[name], arr)
        assert back[name].dtype == arr.dtype
    assert load_attrs(tmp_path / "scores.h5") == {"threshold": 0.3, "policy": "fpr"}
    with h5py.File(tmp_path / "scores.h5") as f:  # plain readers see the attrs as before
        assert f.attrs["threshold"] == 0.3 and f.attrs["policy"] == "fpr"


def test_user_attrs_cannot_overwrite_the_integrity_record(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="reserved"):
        save_arrays(tmp_path / "a.h5", {"x": np.ones(2)}, {"_anomaly_lab_integrity": "{}"})
    assert not (tmp_path / "a.h5").exists()


def test_truncated_file_raises_corrupt_file_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "data.h5"
    save_arrays(path, {"x": np.arange(10_000.0)})
    os.truncate(path, path.stat().st_size // 2)
    with pytest.raises(CorruptFileError, match=str(path)):
        load_arrays(path)


def test_flipped_array_bytes_are_detected(tmp_path: Path) -> None:
    path = tmp_path / "data.h5"
    save_arrays(path, {"x": np.arange(1000.0)})
    with h5py.File(path) as f:
        offset = f["x"].id.get_offset()
    with open(path, "r+b") as f:
        f.seek(offset + 800)
        byte = f.read(1)
        f.seek(offset + 800)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(CorruptFileError, match=r"'x' crc32"):
        load_arrays(path)


def test_file_without_integrity_record_is_refused(tmp_path: Path) -> None:
    with h5py.File(tmp_path / "old.h5", "w") as f:
        f["x"] = np.ones(3)
    with pytest.raises(CorruptFileError, match="no integrity record"):
        load_arrays(tmp_path / "old.h5")


def test_unchanged_input_is_built_once(tmp_path: Path) -> None:
    source = tmp_path / "train.bin"
    source.write_bytes(b"abcdef")
    build, calls = counting_build(source)
    first = cached(tmp_path / "cache", "t", CFG, build, inputs=[source])
    second = cached(tmp_path / "cache", "t", CFG, build, inputs=[source])
    assert len(calls) == 1
    np.testing.assert_array_equal(first["x"], second["x"])
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [entry(tmp_path / "cache").name]


def test_input_changed_in_place_with_same_size_and_mtime_rebuilds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = tmp_path / "train.bin"
    source.write_bytes(b"abcdef")
    build, calls = counting_build(source)
    cached(tmp_path, "t", CFG, build, inputs=[source])
    stat = source.stat()
    with open(source, "r+b") as f:
        f.write(b"X")
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # only the content tells the change

    with caplog.at_level(logging.INFO, logger="anomaly_lab.data.cache"):
        arrays = cached(tmp_path, "t", CFG, build, inputs=[source])
    assert len(calls) == 2 and bytes(arrays["x"]) == b"Xbcdef"
    assert f"input {source} changed (sha256" in caplog.text and "rebuilding" in caplog.text
    assert bytes(load_arrays(entry(tmp_path))["x"]) == b"Xbcdef"  # the stale entry was overwritten


def test_input_replaced_by_another_file_rebuilds(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    source = tmp_path / "train.bin"
    source.write_bytes(b"abcdef")
    build, calls = counting_build(source)
    cached(tmp_path, "t", CFG, build, inputs=[source])
    (tmp_path / "new.bin").write_bytes(b"a longer file")
    os.replace(tmp_path / "new.bin", source)

    with caplog.at_level(logging.INFO, logger="anomaly_lab.data.cache"):
        arrays = cached(tmp_path, "t", CFG, build, inputs=[source])
    assert len(calls) == 2 and bytes(arrays["x"]) == b"a longer file"
    assert f"input {source} changed (size 6 -> 13" in caplog.text


def test_missing_input_lets_the_build_report_it(tmp_path: Path) -> None:
    source = tmp_path / "train.bin"
    source.write_bytes(b"abcdef")
    build, calls = counting_build(source)
    cached(tmp_path, "t", CFG, build, inputs=[source])
    source.unlink()
    with pytest.raises(FileNotFoundError, match="train.bin"):
        cached(tmp_path, "t", CFG, build, inputs=[source])


def test_truncated_entry_is_rebuilt_not_read(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    versions = iter([np.arange(10_000.0), np.arange(10_000.0) + 1])
    calls = []

    def build() -> dict[str, np.ndarray]:
        calls.append(1)
        return {"x": next(versions)}

    cached(tmp_path, "t", CFG, build)
    path = entry(tmp_path)
    os.truncate(path, path.stat().st_size // 2)

    with caplog.at_level(logging.INFO, logger="anomaly_lab.data.cache"):
        arrays = cached(tmp_path, "t", CFG, build)
    assert len(calls) == 2 and arrays["x"][0] == 1
    assert f"cache {path} is corrupt" in caplog.text
    assert load_arrays(path)["x"][0] == 1


def test_entry_with_flipped_bytes_is_rebuilt(tmp_path: Path) -> None:
    calls = []

    def build() -> dict[str, np.ndarray]:
        calls.append(1)
        return {"x": np.arange(1000.0)}

    cached(tmp_path, "t", CFG, build)
    with h5py.File(entry(tmp_path)) as f:
        offset = f["x"].id.get_offset()
    with open(entry(tmp_path), "r+b") as f:
        f.seek(offset + 16)
        f.write(b"\xff")
    arrays = cached(tmp_path, "t", CFG, build)
    assert len(calls) == 2
    np.testing.assert_array_equal(arrays["x"], np.arange(1000.0))


def slow_build_in_child(cache_dir: str, log_path: str, out_path: str, barrier: Barrier) -> None:
    """Runs in a spawned process: wait for the other racer, then ask the cache for one entry with a slow build."""

    def build() -> dict[str, np.ndarray]:
        with open(log_path, "a") as f:
            f.write(f"{os.getpid()}\n")
        time.sleep(0.5)  # long enough that the other racer arrives while this build is running
        return {"x": np.random.default_rng().standard_normal(1000)}

    barrier.wait()
    arrays = cached(cache_dir, "t", CFG, build)
    np.save(out_path, arrays["x"])


@pytest.mark.slow
def test_two_processes_racing_on_one_entry_build_it_once(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    log_path = tmp_path / "builds.txt"
    args = [(str(tmp_path), str(log_path), str(tmp_path / f"{i}.npy"), barrier) for i in range(2)]
    racers = [ctx.Process(target=slow_build_in_child, args=a) for a in args]
    for p in racers:
        p.start()
    for p in racers:
        p.join(timeout=60)
    assert [p.exitcode for p in racers] == [0, 0]
    assert len(log_path.read_text().split()) == 1
    np.testing.assert_array_equal(np.load(tmp_path / "0.npy"), np.load(tmp_path / "1.npy"))
    assert json.loads(load_attrs(entry(tmp_path))["config"]) == CFG
