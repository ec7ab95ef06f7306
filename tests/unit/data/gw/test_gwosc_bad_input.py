"""GWOSC reader on bad input: one clear line for every kind of bad file; NaN gaps cut, unexplained Inf refused."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest

from anomaly_lab.data.gw.gwosc import GwoscFormatError, read_gwosc
from tests.writers import write_gwosc_file

FS, SECONDS, GPS = 4096, 16, 1126259446
NAN_SECONDS, CAT1_SECONDS = (4, 6), (8, 9)  # DATA bit clear where NaN; CBC_CAT1 failed in second 8


def small_file(path: Path) -> Path:
    return write_gwosc_file(path, duration_s=SECONDS, nan_seconds=NAN_SECONDS, failed_cat1_seconds=CAT1_SECONDS)


def raises_one_line(path: Path, **flags: list[str]) -> str:
    with pytest.raises(GwoscFormatError) as err:
        read_gwosc(path, **flags)
    message = str(err.value)
    assert str(path) in message and "\n" not in message
    return message


@pytest.mark.parametrize("problem", ["missing", "empty", "truncated", "not_hdf5"])
def test_unreadable_file_says_why(tmp_path: Path, problem: str) -> None:
    path = tmp_path / "H-H1_GWOSC_4KHZ_R1-1126259446-16.hdf5"
    expected = {"missing": "no such file", "empty": "empty file", "not_hdf5": "not an HDF5 file"}.get(problem)
    if problem == "empty":
        path.touch()
    elif problem == "not_hdf5":
        path.write_text("strain\n")
    elif problem == "truncated":
        small_file(path)
        size = path.stat().st_size
        os.truncate(path, size // 2)
        expected = f"truncated HDF5 file ({size // 2} bytes on disk, the file's header says {size})"
    message = raises_one_line(path)
    assert expected in message and "GWOSC" in message
    assert problem == "truncated" or "truncated" not in message


def _drop(key: str) -> Callable[[h5py.File], None]:
    def edit(f: h5py.File) -> None:
        del f[key]

    return edit


def _strain(data: np.ndarray, **attrs: object) -> Callable[[h5py.File], None]:
    """Replace strain/Strain by `data` with the usual attributes, some overridden by `attrs`."""

    def edit(f: h5py.File) -> None:
        del f["strain/Strain"]
        d = f.create_dataset("strain/Strain", data=data)
        d.attrs.update({"Xstart": GPS, "Xspacing": 1.0 / FS, "Npoints": data.shape[0]} | attrs)

    return edit


def _attr(name: str, value: object) -> Callable[[h5py.File], None]:
    def edit(f: h5py.File) -> None:
        if value is None:
            del f["strain/Strain"].attrs[name]
        else:
            f["strain/Strain"].attrs[name] = value

    return edit


def _dq_mask(data: np.ndarray) -> Callable[[h5py.File], None]:
    def edit(f: h5py.File) -> None:
        del f["quality/simple/DQmask"]
        f["quality/simple/DQmask"] = data

    return edit


def _as_group(f: h5py.File) -> None:
    del f["strain/Strain"]
    f.create_group("strain/Strain")


N = SECONDS * FS
BAD_FILES = {
    # wrong or missing key
    "no strain": (_drop("strain/Strain"), "missing 'strain/Strain'"),
    "no detector": (_drop("meta/Detector"), "missing 'meta/Detector'"),
    "no DQ mask": (_drop("quality/simple/DQmask"), "missing 'quality/simple/DQmask'"),
    "strain is a group": (_as_group, "'strain/Strain' is a group, expected a dataset"),
    "no Xspacing": (_attr("Xspacing", None), "'strain/Strain' lacks attribute 'Xspacing'"),
    # wrong shape
    "2-D strain": (_strain(np.zeros((2, N))), f"'strain/Strain' holds float64 of shape (2, {N}), expected a non-empty"),
    "no samples": (_strain(np.zeros(0)), "'strain/Strain' holds float64 of shape (0,), expected a non-empty 1-D"),
    "Npoints": (_attr("Npoints", N + 1), f"'strain/Strain' has {N} samples, expected Npoints = {N + 1}"),
    "short DQ mask": (
        _dq_mask(np.ones(3, np.uint32)),
        f"'quality/simple/DQmask' holds uint32 of shape (3,), expected {SECONDS} integers",
    ),
    # wrong type
    "integer strain": (_strain(np.zeros(N, np.int16)), "'strain/Strain' holds int16 of shape"),
    "float DQ mask": (_dq_mask(np.ones(SECONDS)), "'quality/simple/DQmask' holds float64 of shape (16,)"),
    "text Xspacing": (_attr("Xspacing", "1/4096"), "'strain/Strain' attribute 'Xspacing' is '1/4096', expected a"),
    "zero Xspacing": (_attr("Xspacing", 0.0), "attribute 'Xspacing' is 0.0, expected a finite positive number"),
    "NaN Xspacing": (_attr("Xspacing", np.nan), "attribute 'Xspacing' is nan, expected a finite positive number"),
    "Inf Xstart": (_attr("Xstart", np.inf), "attribute 'Xstart' is inf, expected a finite number"),
    "odd rate": (_attr("Xspacing", 1 / 4096.5), "Xspacing gives a non-integer rate 4096.5 Hz"),
}


@pytest.mark.parametrize("problem", list(BAD_FILES))
def test_malformed_file_names_the_key_and_what_was_expected(tmp_path: Path, problem: str) -> None:
    path = small_file(tmp_path / "H-H1_GWOSC_4KHZ_R1-1126259446-16.hdf5")
    edit, expected = BAD_FILES[problem]
    with h5py.File(path, "a") as f:
        edit(f)
    assert expected in raises_one_line(path, dq_flags=["DATA"])


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_inf_in_a_good_second_names_the_first_sample_and_its_gps_time(tmp_path: Path, sign: float) -> None:
    path = small_file(tmp_path / "H-H1_GWOSC_4KHZ_R1-1126259446-16.hdf5")
    first = 2 * FS + 123
    with h5py.File(path, "a") as f:
        f["strain/Strain"][[first, 12 * FS]] = sign * np.inf
    message = raises_one_line(path, dq_flags=["DATA", "CBC_CAT1"])
    assert f"'strain/Strain' sample {first} (GPS {GPS + first / FS:.6f}) is {sign * np.inf}" in message
    assert "a second the DQ mask marks good" in message


@pytest.mark.parametrize(
    ("second", "dq_flags", "accepted"),
    [
        (NAN_SECONDS[0], [], True),  # DATA bit clear: a gap, even when no flag is requested
        (CAT1_SECONDS[0], ["DATA", "CBC_CAT1"], True),  # vetoed by a requested flag
        (CAT1_SECONDS[0], ["DATA"], False),  # CBC_CAT1 failed, but the study did not ask for it
        (10, [], False),  # every bit set
    ],
)
def test_inf_counts_as_a_gap_only_where_the_dq_mask_marks_the_second_bad(
    tmp_path: Path, second: int, dq_flags: list[str], accepted: bool
) -> None:
    path = small_file(tmp_path / "H-H1_GWOSC_4KHZ_R1-1126259446-16.hdf5")
    sample = second * FS + 7
    with h5py.File(path, "a") as f:
        f["strain/Strain"][sample] = np.inf
    if not accepted:
        assert f"sample {sample} (GPS {GPS + sample / FS:.6f}) is inf" in raises_one_line(path, dq_flags=dq_flags)
        return
    seg = read_gwosc(path, dq_flags=dq_flags)
    assert not seg.valid[sample] and np.isinf(seg.strain[sample])
    assert np.isfinite(seg.strain[seg.valid]).all()


def test_nan_anywhere_is_a_gap_not_an_error(tmp_path: Path) -> None:
    path = small_file(tmp_path / "H-H1_GWOSC_4KHZ_R1-1126259446-16.hdf5")
    with h5py.File(path, "a") as f:
        f["strain/Strain"][10 * FS + 5] = np.nan  # in a second every DQ bit calls good
    seg = read_gwosc(path, dq_flags=["DATA"])
    gap = slice(NAN_SECONDS[0] * FS, NAN_SECONDS[1] * FS)
    assert not seg.valid[10 * FS + 5] and not seg.valid[gap].any()
    assert seg.valid.sum() == N - 1 - (NAN_SECONDS[1] - NAN_SECONDS[0]) * FS
